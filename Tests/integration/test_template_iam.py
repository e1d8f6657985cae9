"""The README's Security promises, in code: template.yaml translated to plain CloudFormation by
aws-sam-translator (as CloudFormation's SAM transform would), evaluated for each delivery mode
and with the gallery hosted, and every role asked, the way IAM decides, for each (action,
resource) of a table of what it must and must not be able to do. Roles the transform might add
(SAM policy templates, managed policies) would show up here too: only the two written-out roles
may exist."""

from __future__ import annotations

import pytest

from conftest import REPO_ROOT
from template_model import ACCOUNT, REGION, Stack

TEMPLATE = REPO_ROOT / "template.yaml"
BUCKET = f"arn:aws:s3:::imagecat-{ACCOUNT}-{REGION}"
OTHER = "arn:aws:s3:::someone-elses-bucket"
DIGEST = "0a84aa1a70c5e6019a3f9578f4ae3c4922ef0fc9555b308055449b346a002014"

VARIANTS = {
    "direct": {},
    "sqs": {"Delivery": "SQS"},
    "hosted gallery, alarms by email": {"GalleryHosting": "CloudFront", "AlarmEmail": "ops@example.com"},
}

# (action, resource, allowed): the catalog role (catalog and reconcile functions).
CATALOG_ROLE = [
    # It reads what it catalogs, the catalog, its indexes and the reconcile's state...
    ("s3:GetObject", f"{BUCKET}/images/cats/tabby.png", True),
    ("s3:GetObject", f"{BUCKET}/images/uploads/0193b3/cat.png", True),
    ("s3:GetObject", f"{BUCKET}/images.json", True),
    ("s3:GetObject", f"{BUCKET}/images.json.index/3f2a-4", True),
    ("s3:GetObject", f"{BUCKET}/images.json.reconcile", True),
    ("s3:GetObject", f"{BUCKET}/images.json.waiting/1765000000000-3f2a", True),
    # ...and never users' records (email addresses), in either layout, nor anything else.
    ("s3:GetObject", f"{BUCKET}/users/sha256/{DIGEST}.json", False),
    ("s3:GetObject", f"{BUCKET}/users/samlp|corp|jane@example.com.json", False),
    ("s3:GetObject", f"{BUCKET}/notes/secret.txt", False),
    ("s3:GetObject", f"{OTHER}/images/cat.png", False),
    # It writes only the catalog, its indexes and its state: never an image.
    ("s3:PutObject", f"{BUCKET}/images.json", True),
    ("s3:PutObject", f"{BUCKET}/images.json.index/3f2a-4", True),
    ("s3:PutObject", f"{BUCKET}/images.json.reconcile", True),
    ("s3:PutObject", f"{BUCKET}/images.json.waiting/1765000000000-3f2a", True),
    ("s3:AbortMultipartUpload", f"{BUCKET}/images.json", True),
    ("s3:PutObject", f"{BUCKET}/images/cat.png", False),
    ("s3:PutObject", f"{BUCKET}/users/sha256/{DIGEST}.json", False),
    ("s3:PutObject", f"{BUCKET}/images.jsonx", False),
    # It deletes only indexes of old versions and handovers answered for.
    ("s3:DeleteObject", f"{BUCKET}/images.json.index/3f2a-4", True),
    ("s3:DeleteObject", f"{BUCKET}/images.json.waiting/1765000000000-3f2a", True),
    ("s3:DeleteObject", f"{BUCKET}/images.json.reconcile", False),
    ("s3:DeleteObject", f"{BUCKET}/images.json", False),
    ("s3:DeleteObject", f"{BUCKET}/images/cat.png", False),
    ("s3:DeleteObject", f"{BUCKET}/users/samlp|corp|jane@example.com.json", False),
    # It lists this bucket (the reconcile; and S3's 404 rather than 403 for a missing key).
    ("s3:ListBucket", BUCKET, True),
    ("s3:ListBucket", OTHER, False),
    # It sees the uploads in progress of this bucket (a big catalog's writers take turns).
    ("s3:ListBucketMultipartUploads", BUCKET, True),
    ("s3:ListBucketMultipartUploads", OTHER, False),
    # Nothing about the bucket itself.
    ("s3:PutBucketPolicy", BUCKET, False),
    ("s3:PutBucketNotification", BUCKET, False),
    ("s3:DeleteBucket", BUCKET, False),
    ("s3:PutObjectAcl", f"{BUCKET}/images.json", False),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/anything", False),
]

# The API role.
API_ROLE = [
    ("s3:GetObject", f"{BUCKET}/images.json", True),
    ("s3:GetObject", f"{BUCKET}/images.json.index/3f2a-4", True),
    ("s3:GetObject", f"{BUCKET}/images/cats/tabby.png", True),  # its presigned viewing URLs
    ("s3:GetObject", f"{BUCKET}/users/sha256/{DIGEST}.json", True),
    ("s3:GetObject", f"{BUCKET}/users/samlp|corp|jane@example.com.json", True),  # a legacy record, to move it
    ("s3:GetObject", f"{BUCKET}/images.json.reconcile", False),
    ("s3:GetObject", f"{BUCKET}/images.json.waiting/1765000000000-3f2a", False),
    ("s3:GetObject", f"{BUCKET}/notes/secret.txt", False),
    # It writes users' records under their digest and presigns uploads under the upload prefix.
    ("s3:PutObject", f"{BUCKET}/users/sha256/{DIGEST}.json", True),
    ("s3:PutObject", f"{BUCKET}/images/uploads/0193b3/cat.png", True),
    ("s3:PutObject", f"{BUCKET}/users/samlp|corp|jane@example.com.json", False),  # never a legacy key again
    ("s3:PutObject", f"{BUCKET}/images/cats/tabby.png", False),  # no overwriting others' images
    ("s3:PutObject", f"{BUCKET}/images.json", False),
    ("s3:PutObject", f"{BUCKET}/images.json.index/3f2a-4", False),
    # It deletes a legacy record once moved, never a current one, nothing else.
    ("s3:DeleteObject", f"{BUCKET}/users/samlp|corp|jane@example.com.json", True),
    ("s3:DeleteObject", f"{BUCKET}/users/sha256/{DIGEST}.json", False),
    ("s3:DeleteObject", f"{BUCKET}/images/cats/tabby.png", False),
    ("s3:DeleteObject", f"{BUCKET}/images.json", False),
    # No listing at all (a missing record is a 403 it maps to 404).
    ("s3:ListBucket", BUCKET, False),
    ("s3:GetObject", f"{OTHER}/images.json", False),
    ("s3:PutBucketCors", BUCKET, False),
    ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:anything", False),
]


@pytest.fixture(scope="module", params=list(VARIANTS))
def stack(request) -> Stack:
    return Stack(TEMPLATE, **VARIANTS[request.param])


def test_only_the_two_written_out_roles_exist(stack):
    assert sorted(stack.of_type("AWS::IAM::Role")) == ["ApiFunctionRole", "CatalogFunctionRole"]
    # Each Lambda function runs as one of them.
    roles = {name: stack.resolve({"Fn::GetAtt": [name, "Arn"]}) for name in ("ApiFunctionRole", "CatalogFunctionRole")}
    for name, function in stack.of_type("AWS::Lambda::Function").items():
        role = {"CatalogFunction": "CatalogFunctionRole", "ReconcileFunction": "CatalogFunctionRole",
                "ApiFunction": "ApiFunctionRole"}[name]
        assert function["Properties"]["Role"] == roles[role], name


@pytest.mark.parametrize("action, resource, allowed", CATALOG_ROLE)
def test_catalog_role(stack, action, resource, allowed):
    assert stack.role("CatalogFunctionRole").decides(action, resource) is allowed


@pytest.mark.parametrize("action, resource, allowed", API_ROLE)
def test_api_role(stack, action, resource, allowed):
    assert stack.role("ApiFunctionRole").decides(action, resource) is allowed


def test_each_delivery_mode_gets_only_its_queue(stack):
    role = stack.role("CatalogFunctionRole")
    queues = {name: stack.arn(name) for name in ("CatalogFailureQueue", "CatalogQueue", "CatalogDeadLetterQueue")
              if name in stack.resources}
    if stack.parameters["Delivery"] == "Direct":
        assert set(queues) == {"CatalogFailureQueue"}
        # Lambda sends a failed event to the on-failure queue as the function's role.
        assert role.decides("sqs:SendMessage", queues["CatalogFailureQueue"])
        assert not role.decides("sqs:ReceiveMessage", queues["CatalogFailureQueue"])
    else:
        assert set(queues) == {"CatalogQueue", "CatalogDeadLetterQueue"}
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"):
            assert role.decides(action, queues["CatalogQueue"]), action
            assert not role.decides(action, queues["CatalogDeadLetterQueue"]), action
        assert not role.decides("sqs:SendMessage", queues["CatalogQueue"])
    assert not role.decides("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:another-queue")


def test_logs_only_to_the_stacks_own_log_groups(stack):
    catalog, api = stack.role("CatalogFunctionRole"), stack.role("ApiFunctionRole")
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/imagecat-%s:log-stream:2026/12/01/[$LATEST]abc"
    assert catalog.decides("logs:PutLogEvents", stream % "catalog")
    assert catalog.decides("logs:PutLogEvents", stream % "reconcile")
    assert not catalog.decides("logs:PutLogEvents", stream % "api")
    assert api.decides("logs:PutLogEvents", stream % "api")
    assert not api.decides("logs:PutLogEvents", stream % "catalog")
    assert not api.decides("logs:CreateLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/x")


def test_the_model_can_tell_a_wrong_grant(tmp_path):
    """The check itself: a template whose catalog role may read users/ and whose API role may
    delete current records is caught by the same table."""
    text = TEMPLATE.read_text()
    widened = text.replace("${CatalogKey}.waiting/*\"\n              # It writes", "${CatalogKey}.waiting/*\"\n"
                           "                  - !Sub \"arn:${AWS::Partition}:s3:::${BucketNamePrefix}-${AWS::AccountId}-${AWS::Region}/users/*\"\n"
                           "              # It writes", 1)
    widened = widened.replace("              - Sid: NeverDeleteCurrentRecords\n                Effect: Deny\n",
                              "              - Sid: NeverDeleteCurrentRecords\n                Effect: Allow\n", 1)
    assert widened.count("/users/*") == text.count("/users/*") + 1 and "Effect: Deny\n                Action: s3:DeleteObject" not in widened
    (tmp_path / "template.yaml").write_text(widened)
    wrong = Stack(tmp_path / "template.yaml")
    assert wrong.role("CatalogFunctionRole").decides("s3:GetObject", f"{BUCKET}/users/sha256/{DIGEST}.json")
    assert wrong.role("ApiFunctionRole").decides("s3:DeleteObject", f"{BUCKET}/users/sha256/{DIGEST}.json")
