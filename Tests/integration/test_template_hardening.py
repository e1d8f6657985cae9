"""template.yaml's answers to the review's smaller gaps: the catalog role writes only the
catalog (and its reserved state prefix), Direct delivery keeps failed events in a queue after
Lambda's two retries, lifecycle expirations are subscribed, uploads have their own scope
(defaulting to the read scope), and the catalog function is told which bucket it serves.
Parsed with cfn-lint's loader, like test_template.py."""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO_ROOT

import cfnlint.decode as cfnlint_decode  # noqa: E402  (a test requirement, see scripts/setup)
from cfnlint.template.transforms._sam import Transform  # noqa: E402

TEMPLATE = REPO_ROOT / "template.yaml"
BUCKET_ARN = "arn:${AWS::Partition}:s3:::${BucketNamePrefix}-${AWS::AccountId}-${AWS::Region}"


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = cfnlint_decode.decode(str(TEMPLATE))
    assert not problems, problems
    return json.loads(json.dumps(decoded, default=str))


def sub_text(value) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
    assert isinstance(value, str), value
    return value


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_statements(role: dict):
    for policy in role["Properties"]["Policies"]:
        for branch in policy["Fn::If"][1:] if "Fn::If" in policy else [policy]:
            if branch != {"Ref": "AWS::NoValue"}:
                yield from branch["PolicyDocument"]["Statement"]


def test_catalog_role_may_put_only_the_catalog_its_indexes_and_its_reconcile_state(template):
    role = template["Resources"]["CatalogFunctionRole"]
    puts = [s for s in role_statements(role) if "s3:PutObject" in as_list(s["Action"])]
    assert len(puts) == 1 and puts[0]["Effect"] == "Allow"
    assert as_list(puts[0]["Action"]) == ["s3:PutObject", "s3:AbortMultipartUpload"], \
        "only the multipart abort rides on the write grant"
    assert sorted(sub_text(r) for r in as_list(puts[0]["Resource"])) == sorted(
        [BUCKET_ARN + "/${CatalogKey}", BUCKET_ARN + "/${CatalogKey}.index/*", BUCKET_ARN + "/${CatalogKey}.reconcile",
         BUCKET_ARN + "/${CatalogKey}.waiting/*"])
    # The wildcards are the catalog's own folders (indexes, handovers), never the images prefix.
    assert [sub_text(r) for r in as_list(puts[0]["Resource"]) if "*" in sub_text(r)] == [
        BUCKET_ARN + "/${CatalogKey}.index/*", BUCKET_ARN + "/${CatalogKey}.waiting/*"]
    deletes = [s for s in role_statements(role) if "s3:DeleteObject" in as_list(s["Action"])]
    assert [sub_text(r) for s in deletes for r in as_list(s["Resource"])] == [
        BUCKET_ARN + "/${CatalogKey}.index/*", BUCKET_ARN + "/${CatalogKey}.waiting/*"]


def test_incomplete_catalog_uploads_are_aborted_by_a_lifecycle_rule(template):
    rules = template["Resources"]["ImagesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "AbortIncompleteCatalogUploads", "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}} in rules


def test_handovers_of_writers_that_died_expire(template):
    rules = template["Resources"]["ImagesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "ExpireLeftoverHandovers", "Status": "Enabled", "Prefix": {"Fn::Sub": "${CatalogKey}.waiting/"},
            "ExpirationInDays": 1} in rules


def test_big_buckets_can_have_big_sqs_batches(template):
    mapping = template["Resources"]["CatalogQueueMapping"]["Properties"]
    assert mapping["BatchSize"] == {"Ref": "QueueBatchSize"}
    assert mapping["MaximumBatchingWindowInSeconds"] == {"Ref": "QueueBatchingWindowSeconds"}
    size = template["Parameters"]["QueueBatchSize"]
    assert (size["Default"], size["MinValue"], size["MaxValue"]) == (100, 1, 10000)
    # At most 30 s: the queue's visibility timeout allows for that much batching (CatalogTimeouts).
    assert template["Parameters"]["QueueBatchingWindowSeconds"]["MaxValue"] == 30


def test_direct_delivery_has_an_on_failure_queue_after_two_retries(template):
    r = template["Resources"]
    config = r["CatalogInvokeConfig"]
    assert config["Condition"] == "UseDirect"
    properties = config["Properties"]
    assert properties["MaximumRetryAttempts"] == 2
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["CatalogFailureQueue", "Arn"]}
    queue = r["CatalogFailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue" and queue["Condition"] == "UseDirect"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 1209600  # the maximum, 14 days
    # Lambda sends to the destination with the function's role.
    sends = [s for s in role_statements(r["CatalogFunctionRole"]) if "sqs:SendMessage" in as_list(s["Action"])]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": ["CatalogFailureQueue", "Arn"]}]
    assert template["Outputs"]["FailedEventsQueueUrl"]["Value"] == {"Ref": "CatalogFailureQueue"}


@pytest.mark.parametrize("kind,target", [("LambdaConfigurations", "Function"), ("QueueConfigurations", "Queue")])
def test_lifecycle_expirations_are_subscribed(template, kind, target):
    configs = template["Resources"]["ImagesBucket"]["Properties"]["NotificationConfiguration"][kind]["Fn::If"][1]
    events = {c["Event"]: c for c in configs}
    assert set(events) == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:LifecycleExpiration:*"}
    expiration = events["s3:LifecycleExpiration:*"]
    assert expiration[target] == events["s3:ObjectRemoved:*"][target]
    assert expiration["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": {"Ref": "ImagesPrefix"}}]}}


def test_upload_scope_defaults_to_the_read_scope(template):
    parameter = template["Parameters"]["UploadScope"]
    assert parameter["Default"] == ""
    assert parameter["AllowedPattern"] == template["Parameters"]["RequiredScope"]["AllowedPattern"]
    assert template["Conditions"]["HasUploadScope"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "UploadScope"}, ""]}]}
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["UPLOAD_SCOPE"] == {"Fn::If": ["HasUploadScope", {"Ref": "UploadScope"}, {"Ref": "RequiredScope"}]}


def test_catalog_function_knows_its_bucket(template):
    variables = template["Resources"]["CatalogFunction"]["Properties"]["Environment"]["Variables"]
    # The bucket's name string, not a reference to the bucket (that would be a circular dependency).
    assert variables["CATALOG_BUCKET"] == {"Fn::Sub": "${BucketNamePrefix}-${AWS::AccountId}-${AWS::Region}"}
    assert "ImagesBucket" not in json.dumps(template["Resources"]["CatalogFunction"])


def test_catalog_role_reads_only_images_the_catalog_and_its_state(template):
    """users/* holds email addresses: the catalog functions have no reason to read them."""
    role = template["Resources"]["CatalogFunctionRole"]
    reads = [s for s in role_statements(role) if "s3:GetObject" in as_list(s["Action"])]
    assert len(reads) == 1 and as_list(reads[0]["Action"]) == ["s3:GetObject"]
    assert sorted(sub_text(r) for r in as_list(reads[0]["Resource"])) == sorted(
        [BUCKET_ARN + "/${ImagesPrefix}*", BUCKET_ARN + "/${CatalogKey}", BUCKET_ARN + "/${CatalogKey}.index/*",
         BUCKET_ARN + "/${CatalogKey}.reconcile", BUCKET_ARN + "/${CatalogKey}.waiting/*"])
    assert not [r for r in as_list(reads[0]["Resource"]) if sub_text(r).endswith("}/*") or "users/" in sub_text(r)]


def routes_matching_options(template_path) -> list[tuple[str, str, list]]:
    """(path, method, security) of every HTTP API route, after the SAM transform, that an OPTIONS
    request can match: an OPTIONS route or an ANY route."""
    decoded, problems = cfnlint_decode.decode(str(template_path))
    assert not problems, problems
    transform = Transform(str(template_path), decoded, "us-east-1")
    assert transform.transform_template() == []
    transformed = json.loads(json.dumps(transform.template(), default=str))
    [api] = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    paths = api["Properties"]["Body"]["paths"]
    assert paths, "the transform produced no routes"
    return [(path, method, operation.get("security", []))
            for path, methods in paths.items() for method, operation in methods.items()
            if method in ("options", "x-amazon-apigateway-any-method")]


def test_no_route_behind_the_authorizer_matches_a_cors_preflight(tmp_path):
    """A browser's CORS pre-flight (OPTIONS, never with a token) must reach API Gateway's own
    CORS answer or an unauthenticated route: a route behind the JWT authorizer that matches
    OPTIONS (OPTIONS or ANY) answers it 401 and the gallery cannot call the API."""
    for path, method, security in routes_matching_options(TEMPLATE):
        assert security in ([], [{}]), f"{method} {path} is behind {security}: pre-flights would get 401"

    # The check itself: the catch-all as ANY behind the default authorizer is caught.
    text = TEMPLATE.read_text()
    any_route = text.replace("            Method: DELETE\n            Path: /{proxy+}",
                             "            Method: ANY\n            Path: /{proxy+}")
    assert any_route != text
    (tmp_path / "template.yaml").write_text(any_route)
    caught = routes_matching_options(tmp_path / "template.yaml")
    assert [(p, m) for p, m, s in caught if s not in ([], [{}])] == [("/{proxy+}", "x-amazon-apigateway-any-method")]
