"""template.yaml's operations side, checked on the template as CloudFormation gets it
(aws-sam-translator, template_model.Stack): the alarms of each delivery mode and what they
measure and notify, the dashboard, the functions' JSON logging, the optional gallery hosting
and its headers, the ImagesPrefix pattern, and checkov (offline) with every skip justified
where it is declared."""

from __future__ import annotations

import json
import random
import re
import subprocess

import pytest

from conftest import REPO_ROOT, missing_prerequisite
from template_model import ACCOUNT, REGION, Stack, load

TEMPLATE = REPO_ROOT / "template.yaml"
CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"
BUCKET_HOST = f"https://imagecat-{ACCOUNT}-{REGION}.s3.{REGION}.amazonaws.com"

# The functions' embedded metrics (namespace MetricsNamespace, dimensions FunctionName and
# Handler), as the functions emit them.
CATALOG_METRICS = {
    "RecordsReceived", "EntriesAdded", "EntriesUpdated", "EntriesRemoved", "EntriesUnchanged", "KeysSkipped",
    "KeysSkippedNotImage", "KeysSkippedRefused", "KeysSkippedUnreadable", "InvalidEvents", "CatalogWrites",
    "LostWrites", "Rounds", "KeysCarried", "StaleKeysLeft", "S3Requests", "S3Retries", "S3Latency", "CatalogEntries", "CatalogBytes", "ObservedBytes",
    "ObserveDuration", "ReadDuration", "WriteDuration", "RecheckDuration", "TurnWaitDuration", "CatalogLag", "FailedBuckets",
    "KeysFailed"}
API_METRICS = {"Requests", "Requests2xx", "Requests3xx", "Requests4xx", "Requests5xx", "AuthFailures", "UserinfoLatency",
               "RequestDuration"}
HANDLER_OF = {"CatalogFunction": "catalog", "ReconcileFunction": "reconcile", "ApiFunction": "api"}

COMMON_ALARMS = {"CatalogErrorsAlarm", "ReconcileErrorsAlarm", "ApiErrorsAlarm", "ThrottlesAlarm", "CatalogLagAlarm",
                 "LostWritesAlarm", "SkippedKeysAlarm"}
ALARMS = {"Direct": COMMON_ALARMS | {"CatalogFailuresAlarm"},
          "SQS": COMMON_ALARMS | {"CatalogDeadLettersAlarm", "CatalogQueueAgeAlarm"}}


@pytest.fixture(scope="module")
def direct() -> Stack:
    return Stack(TEMPLATE)


@pytest.fixture(scope="module")
def everything() -> Stack:
    """SQS delivery, the gallery hosted, alarms to an email address and to a topic of one's own."""
    return Stack(TEMPLATE, Delivery="SQS", GalleryHosting="CloudFront", AlarmEmail="ops@example.com",
                 AlarmTopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:pager", LogLevel="DEBUG")


def metric_stats(alarm: dict) -> list[dict]:
    """Every metric an alarm reads: its own, or those of its metric math."""
    properties = alarm["Properties"]
    if "Metrics" in properties:
        return [m["MetricStat"]["Metric"] for m in properties["Metrics"] if "MetricStat" in m]
    return [{k: properties[k] for k in ("Namespace", "MetricName", "Dimensions")}]


def function_of(stack: Stack, name: str) -> str:
    return {stack.physical(f): f for f in HANDLER_OF}[name]


# -- alarms ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("delivery", ["Direct", "SQS"])
def test_each_delivery_mode_has_its_alarms(delivery):
    stack = Stack(TEMPLATE, Delivery=delivery)
    alarms = stack.of_type("AWS::CloudWatch::Alarm")
    assert set(alarms) == ALARMS[delivery]
    for name, alarm in alarms.items():
        p = alarm["Properties"]
        assert p["AlarmName"].startswith("imagecat-") and p["AlarmDescription"], name
        assert p["TreatMissingData"] == "notBreaching", f"{name}: no traffic is not a problem"
        assert "README" in p["AlarmDescription"], f"{name} should say where its meaning is written"
        # Without AlarmEmail or AlarmTopicArn nothing is notified (the alarms still show).
        assert p.get("AlarmActions", []) == [] and p.get("OKActions", []) == [], name
    queue = {"Direct": "CatalogFailureQueue", "SQS": "CatalogDeadLetterQueue"}[delivery]
    failures = alarms["CatalogFailuresAlarm" if delivery == "Direct" else "CatalogDeadLettersAlarm"]["Properties"]
    assert (failures["Namespace"], failures["MetricName"], failures["Dimensions"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", [{"Name": "QueueName", "Value": stack.physical(queue)}])
    assert (failures["Threshold"], failures["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold"), \
        "one message in a failure queue is one too many"


def test_alarms_notify_the_email_topic_and_the_given_topic(everything):
    topic = everything.of_type("AWS::SNS::Topic")["AlarmTopic"]["Properties"]
    assert topic["Subscription"] == [{"Protocol": "email", "Endpoint": "ops@example.com"}]
    expected = [everything.ref("AlarmTopic"), f"arn:aws:sns:{REGION}:{ACCOUNT}:pager"]
    for name, alarm in everything.of_type("AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == expected, name
        assert alarm["Properties"]["OKActions"] == expected, name
    # Only a topic of one's own: no topic is made.
    only_arn = Stack(TEMPLATE, AlarmTopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:pager")
    assert only_arn.of_type("AWS::SNS::Topic") == {}
    assert {tuple(a["Properties"]["AlarmActions"]) for a in only_arn.of_type("AWS::CloudWatch::Alarm").values()} == {
        (f"arn:aws:sns:{REGION}:{ACCOUNT}:pager",)}


@pytest.mark.parametrize("delivery", ["Direct", "SQS"])
def test_alarms_read_the_functions_own_metrics_by_their_agreed_names(delivery):
    stack = Stack(TEMPLATE, Delivery=delivery, MetricsNamespace="imagecat-test")
    for name, alarm in stack.of_type("AWS::CloudWatch::Alarm").items():
        for metric in metric_stats(alarm):
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if metric["Namespace"] == "imagecat-test":
                function = function_of(stack, dimensions["FunctionName"])
                assert dimensions == {"FunctionName": stack.physical(function), "Handler": HANDLER_OF[function]}, name
                known = API_METRICS if function == "ApiFunction" else CATALOG_METRICS
                assert metric["MetricName"] in known, (name, metric["MetricName"])
            elif metric["Namespace"] == "AWS/Lambda":
                assert metric["MetricName"] in ("Errors", "Throttles") and set(dimensions) == {"FunctionName"}, name
                function_of(stack, dimensions["FunctionName"])
            else:
                assert metric["Namespace"] == "AWS/SQS", name


def alarm_reads(stack: Stack, alarm: str) -> set[str]:
    return {m["MetricName"] for m in metric_stats(stack.of_type("AWS::CloudWatch::Alarm")[alarm])}


def test_rate_alarms_leave_out_what_healthy_runs_do(direct):
    """Lost writes and skipped keys happen in healthy runs (the storms: 58 % of the direct
    burst's conditional writes lost, ~15 % of keys text files): the alarms are on shares past
    those, and skipped non-images are not counted at all."""
    alarms = direct.of_type("AWS::CloudWatch::Alarm")
    lost = alarms["LostWritesAlarm"]["Properties"]
    assert alarm_reads(direct, "LostWritesAlarm") == {"CatalogWrites", "LostWrites"}
    assert lost["Threshold"] == 90 and lost["DatapointsToAlarm"] == lost["EvaluationPeriods"] == 3
    skipped = alarms["SkippedKeysAlarm"]["Properties"]
    assert alarm_reads(direct, "SkippedKeysAlarm") == {"RecordsReceived", "KeysSkippedRefused", "KeysSkippedUnreadable"}
    assert skipped["Threshold"] == 5
    for alarm in (lost, skipped):
        [expression] = [m["Expression"] for m in alarm["Metrics"] if m.get("ReturnData")]
        assert expression.startswith("IF(") and ">= 20" in expression, "a handful of records is no rate"
    lag = alarms["CatalogLagAlarm"]["Properties"]
    assert (lag["MetricName"], lag["ExtendedStatistic"], lag["Threshold"]) == ("CatalogLag", "p99", 300000)
    assert alarm_reads(direct, "ApiErrorsAlarm") == {"Requests", "Requests5xx", "Errors"}
    # Under SQS a failure is an answer (batchItemFailures), not a failed invocation: the catalog
    # errors alarm reads the failed buckets and keys too.
    assert alarm_reads(direct, "CatalogErrorsAlarm") == {"Errors", "FailedBuckets", "KeysFailed"}
    # A reconcile whose reads all fail one key at a time still finishes its run.
    assert alarm_reads(direct, "ReconcileErrorsAlarm") == {"Errors", "KeysFailed"}
    assert alarm_reads(direct, "ThrottlesAlarm") == {"Throttles"}
    assert len(alarms["ThrottlesAlarm"]["Properties"]["Metrics"]) == 4, "all three functions"


def test_queue_age_alarm_is_past_three_visibility_timeouts(everything):
    alarm = everything.of_type("AWS::CloudWatch::Alarm")["CatalogQueueAgeAlarm"]["Properties"]
    queue = everything.of_type("AWS::SQS::Queue")["CatalogQueue"]["Properties"]
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": everything.physical("CatalogQueue")}]
    assert alarm["Threshold"] == 660 >= 3 * queue["VisibilityTimeout"] == 3 * 210


def test_readme_says_what_each_alarm_means_and_what_to_do(everything, direct):
    readme = (REPO_ROOT / "README.md").read_text()
    operations = readme[readme.index("## Operations"):]
    operations = operations[:operations.index("\n## ", 4)] if "\n## " in operations[4:] else operations
    names = {a["Properties"]["AlarmName"].removeprefix("imagecat-")
             for stack in (everything, direct) for a in stack.of_type("AWS::CloudWatch::Alarm").values()}
    assert len(names) == 10
    for name in names:
        assert f"`STACK-{name}`" in operations, name
    for needed in ("scripts/redrive", "LogLevel", "update-function-configuration", "--logging-config"):
        assert needed in operations, needed


# -- the dashboard ---------------------------------------------------------------------------------

def test_one_dashboard_with_the_figures_that_matter(everything):
    [(name, dashboard)] = everything.of_type("AWS::CloudWatch::Dashboard").items()
    body = json.loads(dashboard["Properties"]["DashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    for wanted in ("records/s", "lost writes", "S3 latency", "Catalog size", "Catalog lag", "API latency",
                   "API 4xx and 5xx", "Errors and throttles"):
        assert [t for t in titles if wanted in t], wanted
    seen = set()
    for widget in body["widgets"]:
        assert widget["properties"]["region"] == REGION
        for metric in widget["properties"]["metrics"]:
            names = [m for m in metric if isinstance(m, str)]
            if not names:
                continue  # an expression
            namespace, metric_name, *dimensions = names
            seen.add(metric_name)
            if namespace == "imagecat":
                pairs = dict(zip(dimensions[::2], dimensions[1::2]))
                function = function_of(everything, pairs["FunctionName"])
                assert pairs == {"FunctionName": everything.physical(function), "Handler": HANDLER_OF[function]}
                assert metric_name in (API_METRICS if function == "ApiFunction" else CATALOG_METRICS), metric_name
            elif namespace == "AWS/ApiGateway":
                assert dimensions == ["ApiId", everything.ref("ImagesHttpApi")]
    assert {"RecordsReceived", "CatalogWrites", "LostWrites", "S3Latency", "CatalogEntries", "CatalogBytes", "CatalogLag",
            "RequestDuration", "4xx", "5xx", "Errors", "Throttles"} <= seen
    stats = {m[-1].get("stat") for w in body["widgets"] for m in w["properties"]["metrics"] if isinstance(m[-1], dict)}
    assert {"p50", "p99"} <= stats


# -- logs -----------------------------------------------------------------------------------------

def test_functions_log_json_with_the_platforms_report_lines(direct, everything):
    for stack, level in ((direct, "INFO"), (everything, "DEBUG")):
        functions = stack.of_type("AWS::Lambda::Function")
        assert set(functions) == set(HANDLER_OF)
        for name, function in functions.items():
            p = function["Properties"]
            assert p["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": level, "SystemLogLevel": "INFO"}, name
            assert p["Environment"]["Variables"]["METRICS_NAMESPACE"] == "imagecat"
    assert load(TEMPLATE)["Parameters"]["LogLevel"]["AllowedValues"] == ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


# -- the gallery's hosting --------------------------------------------------------------------------

GALLERY = {"GalleryBucket", "GalleryBucketPolicy", "GalleryOriginAccessControl", "GalleryHeadersPolicy",
           "GalleryDistribution"}


def test_gallery_hosting_is_optional(direct, everything):
    assert not GALLERY & set(direct.resources) and "GalleryUrl" not in direct.resolve(
        {k: v for k, v in direct.cfn["Outputs"].items() if "Condition" not in v or direct.condition(v["Condition"])})
    assert GALLERY <= set(everything.resources)


def test_the_hosted_gallery_sends_the_headers_a_meta_policy_cannot(everything):
    headers = everything.of_type("AWS::CloudFront::ResponseHeadersPolicy")["GalleryHeadersPolicy"]
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = {}
    for directive in security["ContentSecurityPolicy"]["ContentSecurityPolicy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    assert policy == {
        "default-src": ["'none'"], "script-src": ["'self'"], "style-src": ["'self'"],
        "img-src": ["'self'", BUCKET_HOST],
        "connect-src": ["'self'", "https://example-tenant.eu.auth0.com", f"https://*.execute-api.{REGION}.amazonaws.com",
                        BUCKET_HOST],
        "base-uri": ["'none'"], "form-action": ["'none'"], "frame-ancestors": ["'none'"]}
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    config = everything.of_type("AWS::CloudFront::Distribution")["GalleryDistribution"]["Properties"]["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == everything.ref("GalleryHeadersPolicy")
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == everything.get_att("GalleryOriginAccessControl", "Id")
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultRootObject"] == "index.html"
    # The API and the images bucket allow the hosted gallery's origin (CORS).
    bucket_cors = everything.of_type("AWS::S3::Bucket")["ImagesBucket"]["Properties"]["CorsConfiguration"]
    assert bucket_cors["CorsRules"][0]["AllowedOrigins"] == ["https://d111111abcdef8.cloudfront.net"]


def test_only_the_distribution_reads_the_gallery_bucket(everything):
    bucket = everything.of_type("AWS::S3::Bucket")["GalleryBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    policy = everything.of_type("AWS::S3::BucketPolicy")["GalleryBucketPolicy"]["Properties"]["PolicyDocument"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "CloudFrontReadsThePage", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": everything.arn("GalleryBucket") + "/*",
        "Condition": {"StringEquals": {"AWS:SourceArn":
                                       f"arn:aws:cloudfront::{ACCOUNT}:distribution/{everything.physical('GalleryDistribution')}"}}}]


# -- parameters -----------------------------------------------------------------------------------

def test_images_prefix_may_not_be_users():
    """The pattern (written without look-ahead) is the plain rule: segments of safe characters
    ending with "/", and not under users/, on random strings of the characters that matter."""
    pattern = re.compile(load(TEMPLATE)["Parameters"]["ImagesPrefix"]["AllowedPattern"])
    safe = re.compile(r"[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*/")
    rng = random.Random(18)
    alphabet = "users/U.-*!+,()'z0 "
    samples = ["users/", "users/uploads/", "users", "user/", "usersx/", "us/", "u/", "images/", "Users/", "a/users/",
               "users//", "/users/"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(20000)]
    for sample in samples:
        expected = bool(safe.fullmatch(sample)) and not sample.startswith("users/")
        assert bool(pattern.fullmatch(sample)) is expected, sample


# -- checkov ---------------------------------------------------------------------------------------

def declared_skips(template: dict) -> dict[tuple[str, str], str]:
    """(resource, check) → the comment, for every checkov skip in the template's Metadata."""
    found = {}
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found[(name, skip["id"])] = skip.get("comment", "")
    return found


def test_checkov_passes_offline_with_every_skip_justified(tmp_path):
    """checkov judges a CloudFormation template under its parameters' defaults (resources whose
    condition is false are left out), so it runs on two copies: the defaults, and SQS
    delivery with the gallery hosted and an alarm email. No check fails, every skip carries its
    reason, and no skip is left over from something that no longer fails."""
    if not CHECKOV.exists():
        missing_prerequisite(f"{CHECKOV} (scripts/setup installs checkov)")
    text = TEMPLATE.read_text()
    (tmp_path / "defaults.yaml").write_text(text)
    variant = text.replace("    Default: Direct\n", "    Default: SQS\n", 1).replace("    Default: None\n", "    Default: CloudFront\n", 1)
    variant = variant.replace('  AlarmEmail:\n    Type: String\n    Default: ""', '  AlarmEmail:\n    Type: String\n    Default: ops@example.com', 1)
    assert variant.count("Default: SQS") == variant.count("Default: CloudFront") == variant.count("ops@example.com") == 1
    (tmp_path / "sqs-hosted.yaml").write_text(variant)
    result = subprocess.run([str(CHECKOV), "-d", str(tmp_path), "--framework", "cloudformation", "--skip-download",
                             "--compact", "-o", "json"], capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0, [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert result.returncode == 0, result.stderr
    assert report["summary"]["passed"] > 50 and report["summary"]["parsing_errors"] == 0
    declared = declared_skips(load(TEMPLATE))
    used = {(c["resource"].split(".", 1)[1], c["check_id"]) for c in report["results"]["skipped_checks"]}
    assert used == set(declared), f"declared but not needed: {set(declared) - used}"
    for key, comment in declared.items():
        assert len(comment.split()) >= 8, f"{key}: say why"
    assert ("CatalogQueue", "CKV_AWS_27") in used, "checkov saw the SQS variant"
    assert ("GalleryDistribution", "CKV_AWS_68") in used, "checkov saw the hosted gallery"


def test_a_longer_catalog_timeout_moves_the_queue_and_its_alarm_with_it():
    stack = Stack(TEMPLATE, Delivery="SQS", CatalogTimeoutSeconds="120")
    functions = stack.of_type("AWS::Lambda::Function")
    [catalog] = [f for name, f in functions.items() if name.startswith("CatalogFunction")]
    assert int(catalog["Properties"]["Timeout"]) == 120
    assert stack.of_type("AWS::SQS::Queue")["CatalogQueue"]["Properties"]["VisibilityTimeout"] == 750
    assert stack.of_type("AWS::CloudWatch::Alarm")["CatalogQueueAgeAlarm"]["Properties"]["Threshold"] == 2400
