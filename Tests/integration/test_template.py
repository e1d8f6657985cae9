"""template.yaml: lint-clean, private, least-privilege, no self-trigger; scripts/deploy's checks.

Parsed with cfn-lint's own loader (it understands !Ref, !Sub, !If ...) and, for the HTTP API's
routes, through the SAM transform as cfn-lint runs it locally (no AWS access)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT

# cfn-lint is a test requirement (scripts/setup installs it): missing, this module fails loudly.
import cfnlint.decode as cfnlint_decode  # noqa: E402
from cfnlint.template.transforms._sam import Transform  # noqa: E402

TEMPLATE = REPO_ROOT / "template.yaml"
DEPLOY = REPO_ROOT / "scripts" / "deploy"
BUCKET_NAME_SUB = "${BucketNamePrefix}-${AWS::AccountId}-${AWS::Region}"
ISSUER = "https://example-tenant.eu.auth0.com/"
AUDIENCE = "https://imagecat.example.com/api"


def plain(node):
    """cfn-lint's nodes as plain dicts/lists/strings."""
    return json.loads(json.dumps(node, default=str))


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = cfnlint_decode.decode(str(TEMPLATE))
    assert not problems, problems
    return plain(decoded)


@pytest.fixture(scope="module")
def transformed() -> dict:
    decoded, problems = cfnlint_decode.decode(str(TEMPLATE))
    assert not problems, problems
    transform = Transform(str(TEMPLATE), decoded, "us-east-1")
    assert transform.transform_template() == []
    return plain(transform.template())


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(node):
    """Every policy statement anywhere in `node` (role policies, bucket and queue policies,
    trust policies), Fn::If branches included."""
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node["Statement"], list):
            yield from node["Statement"]
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements(value)


def is_everyone(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for v in principal.values())
    return False


def sub_text(value) -> str:
    """The text of a `!Sub` (or a plain string)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    assert isinstance(value, str), value
    return value


def branches(value):
    """Both branches of an Fn::If (or the value itself)."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        return [b for b in (yes, no) if b != {"Ref": "AWS::NoValue"}]
    return [value]


# -- lint ----------------------------------------------------------------------------------------

def test_cfn_lint_passes():
    command = [shutil.which("cfn-lint")] if shutil.which("cfn-lint") else [
        sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"]
    result = subprocess.run(command + [str(TEMPLATE)], capture_output=True, text=True, timeout=300)  # quiet: 5.7 s
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


# -- nothing public, nothing wildcard ------------------------------------------------------------

def test_bucket_blocks_public_access_and_encrypts(template):
    bucket = template["Resources"]["ImagesBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "AccessControl" not in bucket and "WebsiteConfiguration" not in bucket


@pytest.mark.parametrize("which", ["template", "transformed"])
def test_nothing_is_allowed_to_everyone(which, request):
    found = list(statements(request.getfixturevalue(which)["Resources"]))
    assert len(found) >= 8
    for statement in found:
        if statement["Effect"] == "Allow":
            assert not is_everyone(statement.get("Principal")), statement
            assert "NotPrincipal" not in statement and "NotAction" not in statement and "NotResource" not in statement


@pytest.mark.parametrize("which", ["template", "transformed"])
def test_no_wildcard_action_or_resource_is_allowed(which, request):
    for statement in statements(request.getfixturevalue(which)["Resources"]):
        actions = as_list(statement.get("Action", []))
        if statement["Effect"] == "Allow":
            assert not [a for a in actions if a == "*" or a.endswith(":*")], statement
            assert "*" not in as_list(statement.get("Resource", [])), statement
        else:
            # s3:* appears only to DENY (the TLS statements).
            assert statement["Effect"] == "Deny"


def test_tls_is_required_like_bucket_policy_json(template):
    policy = template["Resources"]["ImagesBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ImagesBucket"}
    ours = policy["PolicyDocument"]["Statement"]
    reference = json.loads((REPO_ROOT / "bucket-policy.json").read_text())["Statement"]
    strip = lambda statements: [{k: v for k, v in s.items() if k != "Resource"} for s in statements]  # noqa: E731
    assert strip(ours) == strip(reference), "template.yaml and bucket-policy.json disagree"
    tls = [s for s in ours if s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert tls and tls[0]["Effect"] == "Deny" and is_everyone(tls[0]["Principal"])
    assert tls[0]["Resource"] == [{"Fn::GetAtt": ["ImagesBucket", "Arn"]}, {"Fn::Sub": "${ImagesBucket.Arn}/*"}]


# -- least privilege ----------------------------------------------------------------------------

def allowed(role: dict, effect: str = "Allow") -> dict[str, set[str]]:
    """action → resources (as !Sub texts) over the role's inline policies' statements of this
    effect, Fn::If branches included. (What they add up to, Deny included, is checked on the
    translated template in test_template_iam.py.)"""
    grants: dict[str, set[str]] = {}
    for policy in role["Properties"]["Policies"]:
        for branch in branches(policy):
            for statement in branch["PolicyDocument"]["Statement"]:
                assert statement["Effect"] in ("Allow", "Deny")
                if statement["Effect"] != effect:
                    continue
                for action in as_list(statement["Action"]):
                    for resource in as_list(statement["Resource"]):
                        grants.setdefault(action, set()).add(
                            json.dumps(resource) if isinstance(resource, dict) and "Fn::GetAtt" in resource
                            else sub_text(resource))
    return grants


def test_catalog_role_is_scoped_to_this_bucket(template):
    grants = allowed(template["Resources"]["CatalogFunctionRole"])
    bucket_arn = "arn:${AWS::Partition}:s3:::" + BUCKET_NAME_SUB
    assert {a: r for a, r in grants.items() if a.startswith("s3:")} == {
        # Never users/* (email addresses): only what it catalogs, the catalog, its indexes, the
        # reconcile's state and waiting writers' handovers; it writes (and aborts the multipart uploads of) only those it owns.
        "s3:GetObject": {bucket_arn + "/${ImagesPrefix}*", bucket_arn + "/${CatalogKey}",
                         bucket_arn + "/${CatalogKey}.index/*", bucket_arn + "/${CatalogKey}.reconcile",
                         bucket_arn + "/${CatalogKey}.waiting/*"},
        "s3:ListBucket": {bucket_arn},
        "s3:ListBucketMultipartUploads": {bucket_arn},
        "s3:PutObject": {bucket_arn + "/${CatalogKey}", bucket_arn + "/${CatalogKey}.index/*",
                         bucket_arn + "/${CatalogKey}.reconcile", bucket_arn + "/${CatalogKey}.waiting/*"},
        "s3:AbortMultipartUpload": {bucket_arn + "/${CatalogKey}", bucket_arn + "/${CatalogKey}.index/*",
                                    bucket_arn + "/${CatalogKey}.reconcile", bucket_arn + "/${CatalogKey}.waiting/*"},
        "s3:DeleteObject": {bucket_arn + "/${CatalogKey}.index/*", bucket_arn + "/${CatalogKey}.waiting/*"}}
    assert {a for a in grants if a.startswith("sqs:")} <= {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", "sqs:SendMessage"}
    assert grants["sqs:SendMessage"] == {json.dumps({"Fn::GetAtt": ["CatalogFailureQueue", "Arn"]})}
    assert all(r == {json.dumps({"Fn::GetAtt": ["CatalogQueue", "Arn"]})} for a, r in grants.items()
               if a.startswith("sqs:") and a != "sqs:SendMessage")
    assert set(grants) - {a for a in grants if a.startswith(("s3:", "sqs:"))} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert grants["logs:PutLogEvents"] == {
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-catalog:*",
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-reconcile:*"}


def test_reconcile_runs_hourly_on_the_images_prefix(template):
    function = template["Resources"]["ReconcileFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["CatalogFunctionRole", "Arn"]}
    assert function["Events"]["Hourly"] == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}}
    assert function["Environment"]["Variables"]["CATALOG_PREFIX"] == {"Ref": "ImagesPrefix"}


def test_api_role_reads_only_the_catalog_and_users_and_writes_only_users(template):
    grants = allowed(template["Resources"]["ApiFunctionRole"])
    assert {a: r for a, r in grants.items() if not a.startswith("logs:")} == {
        "s3:GetObject": {"arn:${AWS::Partition}:s3:::${ImagesBucket}/${CatalogKey}",
                         "arn:${AWS::Partition}:s3:::${ImagesBucket}/${CatalogKey}.index/*",
                         "arn:${AWS::Partition}:s3:::${ImagesBucket}/users/*",
                         # presigned viewing URLs: images only
                         "arn:${AWS::Partition}:s3:::${ImagesBucket}/${ImagesPrefix}*"},
        # presigned upload URLs: the upload prefix only, which the catalog notification covers;
        # and users' own records at sign-in (PUT /me), keyed by the sub's digest
        "s3:PutObject": {"arn:${AWS::Partition}:s3:::${ImagesBucket}/${ImagesPrefix}uploads/*",
                         "arn:${AWS::Partition}:s3:::${ImagesBucket}/users/sha256/*"},
        # records under their legacy keys, once moved...
        "s3:DeleteObject": {"arn:${AWS::Partition}:s3:::${ImagesBucket}/users/*"}}
    # ...and never a current one.
    assert allowed(template["Resources"]["ApiFunctionRole"], "Deny") == {
        "s3:DeleteObject": {"arn:${AWS::Partition}:s3:::${ImagesBucket}/users/sha256/*"}}
    assert grants["logs:PutLogEvents"] == {
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-api:*"}


def test_roles_trust_only_lambda_in_this_account(template):
    for role in resources(template, "AWS::IAM::Role").values():
        [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        assert "ManagedPolicyArns" not in role["Properties"]


def test_no_circular_reference_to_the_bucket(template):
    """What the bucket's notification needs must not refer back to the bucket resource."""
    for name in ("CatalogFunctionRole", "CatalogFunction", "CatalogInvokePermission", "CatalogQueuePolicy", "CatalogQueue"):
        text = json.dumps(template["Resources"][name])
        assert "ImagesBucket" not in text, name
    permission = template["Resources"]["CatalogInvokePermission"]["Properties"]
    assert sub_text(permission["SourceArn"]) == "arn:${AWS::Partition}:s3:::" + BUCKET_NAME_SUB
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert template["Resources"]["ImagesBucket"]["Properties"]["BucketName"] == {"Fn::Sub": BUCKET_NAME_SUB}


# -- notifications -------------------------------------------------------------------------------

def notifications(template) -> list[dict]:
    config = template["Resources"]["ImagesBucket"]["Properties"]["NotificationConfiguration"]
    found = []
    for kind in ("LambdaConfigurations", "QueueConfigurations", "TopicConfigurations"):
        for branch in branches(config.get(kind, [])):
            found += as_list(branch)
    return found


def test_catalog_notifications_cannot_match_the_catalog_key(template):
    configs = notifications(template)
    assert sorted(c["Event"] for c in configs) == sorted(["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:LifecycleExpiration:*"] * 2)
    for config in configs:
        rules = config["Filter"]["S3Key"]["Rules"]
        assert rules == [{"Name": "prefix", "Value": {"Ref": "ImagesPrefix"}}]

    parameters = template["Parameters"]
    prefix_pattern = re.compile(parameters["ImagesPrefix"]["AllowedPattern"])
    key_pattern = re.compile(parameters["CatalogKey"]["AllowedPattern"])
    assert prefix_pattern.fullmatch(parameters["ImagesPrefix"]["Default"])
    assert key_pattern.fullmatch(parameters["CatalogKey"]["Default"])
    # Every allowed prefix ends with "/" and no allowed catalog key has one, so no catalog key
    # can start with the prefix (nor can users/ records unless someone picks "users/").
    for prefix in ["images/", "a/", "uploads/2024/", "", "images", "/", "images.json"]:
        if prefix_pattern.fullmatch(prefix):
            assert prefix.endswith("/") and len(prefix) > 1, prefix
    for key in ["images.json", "catalog.json", "images/images.json", "images/", "x/y.json", "images.jsonx"]:
        if key_pattern.fullmatch(key):
            assert "/" not in key, key
    assert not parameters["ImagesPrefix"]["Default"].startswith("users/")


def test_delivery_modes(template):
    r = template["Resources"]
    conditions = template["Conditions"]
    assert (conditions["UseDirect"], conditions["UseSQS"]) == (
        {"Fn::Equals": [{"Ref": "Delivery"}, "Direct"]}, {"Fn::Equals": [{"Ref": "Delivery"}, "SQS"]})
    assert template["Parameters"]["Delivery"]["AllowedValues"] == ["Direct", "SQS"]
    for name in ("CatalogQueue", "CatalogDeadLetterQueue", "CatalogQueuePolicy", "CatalogQueueMapping"):
        assert r[name]["Condition"] == "UseSQS", name
    assert r["CatalogInvokePermission"]["Condition"] == "UseDirect"
    mapping = r["CatalogQueueMapping"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = r["CatalogQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["CatalogDeadLetterQueue", "Arn"]}
    timeouts = template["Mappings"]["CatalogTimeouts"]
    assert r["CatalogFunction"]["Properties"]["Timeout"] == {"Ref": "CatalogTimeoutSeconds"}
    assert queue["VisibilityTimeout"] == {"Fn::FindInMap": ["CatalogTimeouts", {"Ref": "CatalogTimeoutSeconds"}, "Visibility"]}
    allowed = template["Parameters"]["CatalogTimeoutSeconds"]["AllowedValues"]
    assert sorted(timeouts) == sorted(str(seconds) for seconds in allowed)
    window = template["Parameters"]["QueueBatchingWindowSeconds"]["MaxValue"]
    for seconds in allowed:
        # Lambda's advice: six times the function timeout plus the batching window, whatever
        # window the parameter allows.
        assert timeouts[str(seconds)]["Visibility"] == 6 * seconds + window, "six timeouts and a batching window"
        assert timeouts[str(seconds)]["QueueAgeAlarm"] >= 3 * timeouts[str(seconds)]["Visibility"]
    assert queue["SqsManagedSseEnabled"] is True
    [send] = r["CatalogQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert send["Principal"] == {"Service": "s3.amazonaws.com"} and send["Action"] == "sqs:SendMessage"
    assert sub_text(send["Condition"]["ArnEquals"]["aws:SourceArn"]) == "arn:${AWS::Partition}:s3:::" + BUCKET_NAME_SUB
    # The bucket is created after whatever S3 validates when the notification is set.
    [tag] = r["ImagesBucket"]["Properties"]["Tags"]
    assert tag["Value"] == {"Fn::If": ["UseDirect", {"Fn::GetAtt": ["CatalogInvokePermission", "Id"]},
                                       {"Ref": "CatalogQueuePolicy"}]}


# -- functions, API, logs ------------------------------------------------------------------------

def test_functions(template):
    functions = resources(template, "AWS::Serverless::Function")
    assert {f["Properties"]["Handler"] for f in functions.values()} == {"catalog", "reconcile", "api"}
    for name, function in functions.items():
        p = function["Properties"]
        # The reconcile holds a whole bucket listing as well as the catalog: more headroom.
        memory = 256 if p["Handler"] == "reconcile" else 128
        assert (p["Runtime"], p["Architectures"], p["CodeUri"], p["MemorySize"]) == \
            ("provided.al2023", ["x86_64"], "dist/bootstrap.zip", memory), name
        assert "Policies" not in p and p["Role"]["Fn::GetAtt"][1] == "Arn"
        log_group = template["Resources"][function["DependsOn"]]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert sub_text(log_group["Properties"]["LogGroupName"]) == "/aws/lambda/" + sub_text(p["FunctionName"])
    api = functions["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api == {"CATALOG_BUCKET": {"Ref": "ImagesBucket"}, "CATALOG_KEY": {"Ref": "CatalogKey"},
                   "REQUIRED_SCOPE": {"Ref": "RequiredScope"},
                   "UPLOAD_SCOPE": {"Fn::If": ["HasUploadScope", {"Ref": "UploadScope"}, {"Ref": "RequiredScope"}]},
                   "UPLOAD_PREFIX": {"Fn::Sub": "${ImagesPrefix}uploads/"}, "VIEW_PREFIX": {"Ref": "ImagesPrefix"},
                   "OIDC_ISSUER": {"Ref": "Issuer"}, "OIDC_USERINFO_URL": {"Ref": "UserinfoUrl"},
                   "USER_CLAIMS_NAMESPACE": {"Ref": "UserClaimsNamespace"},
                   "METRICS_NAMESPACE": {"Ref": "MetricsNamespace"}}
    for function in functions.values():
        p = function["Properties"]
        assert p["Environment"]["Variables"]["METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
        # JSON logs at the level of the LogLevel parameter; the platform's REPORT lines stay.
        assert p["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": {"Ref": "LogLevel"},
                                      "SystemLogLevel": "INFO"}
    parameters = template["Parameters"]
    assert parameters["UserClaimsNamespace"]["Default"] == parameters["UserinfoUrl"]["Default"] == ""
    userinfo = re.compile(parameters["UserinfoUrl"]["AllowedPattern"])
    assert userinfo.fullmatch("https://tenant.eu.auth0.com/userinfo") and userinfo.fullmatch("")
    assert not userinfo.fullmatch("http://tenant.eu.auth0.com/userinfo"), "the token is never sent in clear"
    namespace = re.compile(parameters["UserClaimsNamespace"]["AllowedPattern"])
    assert namespace.fullmatch("https://imagecat.example.com/") and not namespace.fullmatch("a b")
    # CloudWatch refuses a namespace that starts with ':' (the function refuses it too).
    metrics = re.compile(parameters["MetricsNamespace"]["AllowedPattern"])
    assert metrics.fullmatch("imagecat") and metrics.fullmatch("imagecat/prod:eu")
    assert not metrics.fullmatch(":imagecat") and not metrics.fullmatch("")


def test_cors_only_for_the_gallery_origin(template):
    """No CORS unless GalleryOrigin is given or the gallery is hosted, and then for that one
    origin only: the one given, else the hosted gallery's own (CloudFront's domain)."""
    bucket = template["Resources"]["ImagesBucket"]["Properties"]["CorsConfiguration"]["Fn::If"]
    api = template["Resources"]["ImagesHttpApi"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert template["Conditions"]["HasGalleryCors"] == {"Fn::Or": [{"Condition": "HasGalleryOrigin"},
                                                                    {"Condition": "HostGallery"}]}
    one_origin = [{"Fn::If": ["HasGalleryOrigin", {"Ref": "GalleryOrigin"},
                              {"Fn::Sub": "https://${GalleryDistribution.DomainName}"}]}]
    for condition, rules, otherwise in (bucket, api):
        assert condition == "HasGalleryCors" and otherwise == {"Ref": "AWS::NoValue"}
    assert bucket[1]["CorsRules"][0]["AllowedOrigins"] == one_origin
    assert bucket[1]["CorsRules"][0]["AllowedMethods"] == ["GET", "PUT"]
    assert api[1]["AllowOrigins"] == one_origin
    # The gallery GETs the catalog, POSTs uploads and PUTs /me when the user signs in.
    assert api[1]["AllowMethods"] == ["GET", "POST", "PUT"]
    assert template["Parameters"]["GalleryOrigin"]["Default"] == ""
    assert template["Parameters"]["GalleryHosting"]["Default"] == "None"


def test_every_log_group_has_retention(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    assert len(groups) == 4
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_route_needs_the_jwt_authorizer(transformed):
    [api] = resources(transformed, "AWS::ApiGatewayV2::Api").values()
    body = api["Properties"]["Body"]
    authorizer = body["components"]["securitySchemes"]["Auth0"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "jwt"
    assert authorizer["identitySource"] == "$request.header.Authorization"
    assert authorizer["jwtConfiguration"] == {"issuer": {"Ref": "Issuer"}, "audience": [{"Ref": "Audience"}]}
    routes = {(path, method) for path, methods in body["paths"].items() for method in methods}
    assert routes == {("/images", "get"), ("/images/{name+}", "get"), ("/me", "get"), ("/me", "put"), ("/uploads", "post"),
                      *(("/{proxy+}", method) for method in ("get", "head", "post", "put", "patch", "delete"))}
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            assert operation["security"] == [{"Auth0": []}], (path, method)
            assert operation["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0"


# -- scripts/deploy ------------------------------------------------------------------------------

@pytest.fixture
def fake_aws(tmp_path):
    """`aws` and `sam` stand-ins that record being called: a dry run must call neither."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "called"
    for name in ("aws", "sam"):
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\necho {name} \"$@\" >> {marker}\nexit 0\n")
        tool.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return env, marker


def deploy(args, env=None, cwd_script=DEPLOY):
    return subprocess.run([str(cwd_script), *args], capture_output=True, text=True, timeout=300,
                          env=env)  # quiet: ≤ 6.9 s (a deploy dry run with cfn-lint)


def test_deploy_dry_run_checks_and_prints_without_calling_aws(fake_aws):
    env, marker = fake_aws
    result = deploy(["--dry-run", "--tool", "aws", "--issuer", ISSUER, "--audience", AUDIENCE,
                     "--delivery", "SQS", "--required-scope", "read:images", "--region", "eu-west-1",
                     "--gallery-origin", "https://gallery.example.com",
                     "--user-claims-namespace", "https://imagecat.example.com/",
                     "--userinfo-url", "https://example-tenant.eu.auth0.com/userinfo",
                     "--log-level", "DEBUG", "--alarm-email", "ops@example.com",
                     "--alarm-topic-arn", "arn:aws:sns:eu-west-1:123456789012:pager"], env)
    assert result.returncode == 0, result.stderr
    assert "cfn-lint template.yaml" in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("aws cloudformation package --template-file template.yaml")
    assert lines[1].startswith("aws cloudformation deploy --template-file dist/packaged.yaml --stack-name imagecat")
    for expected in (f"Issuer={ISSUER}", f"Audience={AUDIENCE}", "Delivery=SQS", "RequiredScope=read:images",
                     "CAPABILITY_IAM", "--region eu-west-1", "GalleryOrigin=https://gallery.example.com",
                     "UserClaimsNamespace=https://imagecat.example.com/",
                     "UserinfoUrl=https://example-tenant.eu.auth0.com/userinfo", "LogLevel=DEBUG",
                     "AlarmEmail=ops@example.com", "AlarmTopicArn=arn:aws:sns:eu-west-1:123456789012:pager"):
        assert expected in lines[1], expected
    # Each is a parameter of the template, so CloudFormation does not refuse the override.
    parameters = set(plain(cfnlint_decode.decode(str(TEMPLATE))[0])["Parameters"])
    overrides = lines[1].split("--parameter-overrides ")[1].split()
    assert {o.split("=")[0] for o in overrides} <= parameters, overrides
    # Left out, they are not overridden (the template's defaults, "": no CORS, userinfo discovered).
    bare = deploy(["--dry-run", "--tool", "aws", "--issuer", ISSUER, "--audience", AUDIENCE], env)
    assert bare.returncode == 0, bare.stderr
    assert not [w for w in ("GalleryOrigin", "UserClaimsNamespace", "UserinfoUrl", "LogLevel", "AlarmEmail",
                            "AlarmTopicArn", "GalleryHosting") if w in bare.stdout]
    # Nor are the stack's bucket, prefix and delivery: a redeploy that leaves them out keeps
    # them (an override of the defaults would move the stack to a new, empty bucket).
    assert not [w for w in ("Delivery=", "ImagesPrefix=", "BucketNamePrefix=", "CatalogTimeoutSeconds=",
                            "QueueBatchSize=", "QueueBatchingWindowSeconds=") if w in bare.stdout], bare.stdout
    assert not marker.exists(), marker.read_text()

    sam = deploy(["--dry-run", "--tool", "sam", "--issuer", ISSUER, "--audience", AUDIENCE], env)
    assert sam.returncode == 0, sam.stderr
    assert sam.stdout.startswith("sam deploy --template-file template.yaml --stack-name imagecat --resolve-s3")
    # The fake sam ran for `sam validate --lint` only.
    assert marker.read_text().split("\n")[0].startswith("sam validate --lint")
    assert "deploy" not in marker.read_text()


def test_deploy_refuses_bad_parameters(fake_aws):
    env, marker = fake_aws
    for args, complaint in (
        (["--issuer", "http://example.auth0.com/", "--audience", AUDIENCE], "--issuer"),
        (["--issuer", "https://example.auth0.com", "--audience", AUDIENCE], "--issuer"),
        (["--issuer", ISSUER], "--audience"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--images-prefix", "images"], "--images-prefix"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--images-prefix", ""], "--images-prefix"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--delivery", "Kinesis"], "--delivery"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--required-scope", "a b"], "--required-scope"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--stack-name", "x" * 55], "--stack-name"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--bucket-prefix", "Photos"], "--bucket-prefix"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--catalog-timeout", "90"], "--catalog-timeout"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--queue-batch-size", "10001"], "--queue-batch-size"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--queue-batch-size", "0"], "--queue-batch-size"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--queue-batching-window", "31"], "--queue-batching-window"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--gallery-origin", "http://gallery.example.com"], "--gallery-origin"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--gallery-origin", "https://gallery.example.com/"], "--gallery-origin"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--user-claims-namespace", "https://a b/"], "--user-claims-namespace"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--user-claims-namespace", 'x"y'], "--user-claims-namespace"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--userinfo-url", "http://tenant.auth0.com/userinfo"], "--userinfo-url"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--userinfo-url", "https://tenant auth0.com/"], "--userinfo-url"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--images-prefix", "users/"], "--images-prefix"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--images-prefix", "users/photos/"], "--images-prefix"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--log-level", "VERBOSE"], "--log-level"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--alarm-email", "ops at example.com"], "--alarm-email"),
        (["--issuer", ISSUER, "--audience", AUDIENCE, "--alarm-topic-arn", "arn:aws:sqs:eu-west-1:123456789012:q"],
         "--alarm-topic-arn"),
    ):
        result = deploy(["--dry-run", "--tool", "aws", *args], env)
        assert result.returncode != 0, args
        assert complaint in result.stderr, (args, result.stderr)
    assert not marker.exists()


@pytest.fixture
def repo_copy(tmp_path):
    """template.yaml and scripts/deploy in a scratch tree, so a test can put a zip in dist/."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / "dist").mkdir()
    shutil.copy(TEMPLATE, root / "template.yaml")
    shutil.copy(DEPLOY, root / "scripts" / "deploy")
    return root


def write_zip(path: Path, name: str, mode: int) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFREG | mode) << 16
        archive.writestr(info, b"\x7fELF")


def test_deploy_checks_the_zip(repo_copy, fake_aws):
    env, _ = fake_aws
    script = repo_copy / "scripts" / "deploy"
    args = ["--tool", "aws", "--artifact-bucket", "my-artifacts", "--issuer", ISSUER, "--audience", AUDIENCE]
    zip_path = repo_copy / "dist" / "bootstrap.zip"

    missing = deploy(args, env, script)  # a real run
    assert missing.returncode != 0 and "bootstrap.zip is missing" in missing.stderr
    dry = deploy(["--dry-run", *args], env, script)
    assert dry.returncode == 0 and "warning: dist/bootstrap.zip is missing" in dry.stderr

    write_zip(zip_path, "lib/bootstrap", 0o755)
    assert "no top-level 'bootstrap'" in deploy(["--dry-run", *args], env, script).stderr
    write_zip(zip_path, "bootstrap", 0o644)
    assert "not executable" in deploy(["--dry-run", *args], env, script).stderr
    write_zip(zip_path, "bootstrap", 0o755)
    ok = deploy(["--dry-run", *args], env, script)
    assert ok.returncode == 0, ok.stderr
    assert "missing" not in ok.stderr


def test_the_longest_stack_name_deploy_takes_fits_every_function_name(fake_aws, template):
    """Lambda refuses function names over 64 characters: each `<stack>-<suffix>` the template
    names must fit with the longest stack name scripts/deploy accepts."""
    env, _ = fake_aws
    longest = next(n for n in range(80, 0, -1)
                   if deploy(["--dry-run", "--tool", "aws", "--issuer", ISSUER, "--audience", AUDIENCE,
                              "--stack-name", "x" * n], env).returncode == 0)
    names = [sub_text(r["Properties"]["FunctionName"]) for r in template["Resources"].values()
             if isinstance(r.get("Properties"), dict) and "FunctionName" in r["Properties"]
             and r["Type"] == "AWS::Serverless::Function"]
    assert len(names) == 3, names
    for name in names:
        assert len(name.replace("${AWS::StackName}", "x" * longest)) <= 64, (name, longest)


def test_deploy_passes_the_big_bucket_settings(fake_aws):
    """README's "Big buckets" settings go through scripts/deploy, as template parameters."""
    env, _ = fake_aws
    result = deploy(["--dry-run", "--tool", "aws", "--issuer", ISSUER, "--audience", AUDIENCE, "--delivery", "SQS",
                     "--catalog-timeout", "60", "--queue-batch-size", "1000", "--queue-batching-window", "5",
                     "--images-prefix", "photos/", "--bucket-prefix", "photos"], env)
    assert result.returncode == 0, result.stderr
    overrides = result.stdout.strip().splitlines()[1].split("--parameter-overrides ")[1].split()
    for expected in ("Delivery=SQS", "CatalogTimeoutSeconds=60", "QueueBatchSize=1000", "QueueBatchingWindowSeconds=5",
                     "ImagesPrefix=photos/", "BucketNamePrefix=photos"):
        assert expected in overrides, (expected, overrides)
    parameters = set(plain(cfnlint_decode.decode(str(TEMPLATE))[0])["Parameters"])
    assert {o.split("=")[0] for o in overrides} <= parameters, overrides


def test_the_lag_alarm_is_past_the_longest_batching_window(template):
    """A trickle of uploads waits up to the batching window before its invocation: an alarm at
    or under it would always fire."""
    window = template["Parameters"]["QueueBatchingWindowSeconds"]["MaxValue"]
    alarm = template["Resources"]["CatalogLagAlarm"]["Properties"]
    assert alarm["Threshold"] > window * 1000 * 3, (alarm["Threshold"], window)


def test_deploy_with_a_client_id_needs_the_aws_cli(tmp_path):
    """The gallery is built from the stack's outputs, which the AWS CLI reads: with only the SAM
    CLI a deploy would make the stack, then stop before the gallery."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sam").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sam").chmod(0o755)
    # PATH without any aws: this folder, then what python3 and bash need.
    path = os.pathsep.join([str(bin_dir)] + [d for d in os.environ["PATH"].split(os.pathsep)
                                             if not (Path(d) / "aws").exists()])
    env = dict(os.environ, PATH=path)
    args = ["--tool", "sam", "--issuer", ISSUER, "--audience", AUDIENCE, "--client-id", "spa123"]
    dry = deploy(["--dry-run", *args], env)
    assert dry.returncode == 0 and "--client-id needs the AWS CLI" in dry.stderr, dry.stderr
    real = deploy(args, env)
    assert real.returncode != 0 and "--client-id needs the AWS CLI" in real.stderr, real.stderr


def test_the_tls_policy_stays_with_the_kept_bucket(template):
    """The bucket outlives its stack (Retain): its TLS-only policy must too, or a bucket left
    behind would take plain HTTP."""
    r = template["Resources"]
    assert r["ImagesBucket"]["DeletionPolicy"] == "Retain"
    for name in ("ImagesBucket", "ImagesBucketPolicy"):
        assert (r[name].get("DeletionPolicy"), r[name].get("UpdateReplacePolicy")) == ("Retain", "Retain"), name
    readme = (REPO_ROOT / "README.md").read_text()
    assert "**Removing a stack.**" in readme and "put-bucket-notification-configuration" in readme


def test_readme_names_only_values_the_template_allows(template):
    """Every `Param=Value` the README tells a user to set is one the template accepts."""
    readme = (REPO_ROOT / "README.md").read_text()
    parameters = template["Parameters"]
    checked = 0
    for name, value in re.findall(r"`([A-Z][A-Za-z]+)=([^`\s]+)`", readme):
        if name not in parameters:
            continue
        allowed = parameters[name].get("AllowedValues")
        if allowed is not None:
            assert value in [str(a) for a in allowed], (name, value, allowed)
            checked += 1
    assert checked >= 2, "the README names Delivery= and GalleryHosting= values"
