"""bucket-policy.json's TLS rule, as the README states it: plain HTTP and TLS older than 1.2 are
denied to everyone on the bucket and its objects, and the policy allows nothing to anyone."""

from __future__ import annotations

import json

from conftest import REPO_ROOT

POLICY = json.loads((REPO_ROOT / "bucket-policy.json").read_text())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def denies_everything_to_everyone(statement) -> bool:
    return (statement["Effect"] == "Deny" and statement.get("Principal") in ("*", {"AWS": "*"})
            and as_list(statement["Action"]) == ["s3:*"]
            and sorted(as_list(statement["Resource"])) == ["arn:aws:s3:::YOUR-BUCKET", "arn:aws:s3:::YOUR-BUCKET/*"])


def test_plain_http_is_denied():
    matches = [s for s in POLICY["Statement"] if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(matches) == 1, POLICY
    assert denies_everything_to_everyone(matches[0]), matches[0]


def test_tls_older_than_1_2_is_denied():
    matches = [s for s in POLICY["Statement"] if s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}]
    assert len(matches) == 1, POLICY
    assert denies_everything_to_everyone(matches[0]), matches[0]


def test_nothing_is_allowed_to_anyone():
    assert POLICY["Statement"], "an empty policy would make the two tests above vacuous"
    for statement in POLICY["Statement"]:
        assert statement["Effect"] == "Deny", statement
        assert "NotPrincipal" not in statement and "NotAction" not in statement and "NotResource" not in statement


def test_a_valid_policy_document_with_unique_sids_and_placeholder_resources():
    """Checks moved from the former test_bucket_policy.py, whose Allow-statement checks had
    nothing to check: the document's version, unique statement ids, and only the YOUR-BUCKET
    placeholder as resource (never a real bucket)."""
    assert POLICY["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in POLICY["Statement"]]
    assert all(sids) and len(sids) == len(set(sids)), sids
    for statement in POLICY["Statement"]:
        for resource in as_list(statement["Resource"]):
            assert resource in ("arn:aws:s3:::YOUR-BUCKET", "arn:aws:s3:::YOUR-BUCKET/*"), resource
