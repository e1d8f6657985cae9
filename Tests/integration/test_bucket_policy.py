"""bucket-policy.json replaces the lab's public read/write policy: it must grant nothing to
everyone, refuse plain HTTP, and leave granting to the function's IAM role."""

from __future__ import annotations

import json

import pytest

from conftest import REPO_ROOT

POLICY_PATH = REPO_ROOT / "bucket-policy.json"


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def is_everyone(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(value) for value in principal.values())
    return False


@pytest.fixture(scope="module")
def statements() -> list[dict]:
    policy = json.loads(POLICY_PATH.read_text())
    assert policy["Version"] == "2012-10-17"
    assert isinstance(policy["Statement"], list) and policy["Statement"]
    return policy["Statement"]


def test_is_valid_json_with_known_effects_and_unique_sids(statements):
    assert all(statement["Effect"] in ("Allow", "Deny") for statement in statements)
    sids = [statement["Sid"] for statement in statements]
    assert len(sids) == len(set(sids))


def test_nothing_is_allowed_to_everyone(statements):
    public = [s for s in statements if s["Effect"] == "Allow" and is_everyone(s.get("Principal"))]
    assert public == []
    assert not any("NotPrincipal" in s for s in statements if s["Effect"] == "Allow")


def test_no_wildcard_action_is_allowed(statements):
    for statement in statements:
        if statement["Effect"] == "Allow":
            assert "NotAction" not in statement
            assert not {"*", "s3:*"} & set(as_list(statement["Action"]))


def test_plain_http_is_denied_on_bucket_and_objects(statements):
    tls_denies = [
        s for s in statements
        if s["Effect"] == "Deny"
        and is_everyone(s.get("Principal"))
        and {"s3:*", "*"} & set(as_list(s["Action"]))
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
    ]
    assert tls_denies, "no statement denies requests with aws:SecureTransport=false"
    resources = set(as_list(tls_denies[0]["Resource"]))
    assert resources == {"arn:aws:s3:::YOUR-BUCKET", "arn:aws:s3:::YOUR-BUCKET/*"}


def test_uses_placeholders_not_a_real_bucket(statements):
    for statement in statements:
        for resource in as_list(statement.get("Resource", [])):
            assert resource.startswith("arn:aws:s3:::YOUR-BUCKET"), resource
