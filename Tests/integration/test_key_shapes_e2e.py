"""Keys with `./`, `../`, `//`, a literal `%2F`, a trailing space and 1,024 bytes, end to end:
real S3 servers, S3 notifications through the project's local Runtime API, the real bootstrap.

Two servers, because they disagree: SeaweedFS refuses `./` and `../` keys with 400 (and a
1,024-byte key, KeyTooLongError) and stores `//` as `/`; moto stores every key as given and (started with INITIAL_NO_AUTH_ACTION_COUNT and
used with a moto IAM user's key) checks signatures. The function must sign every key exactly as
sent (no SignatureDoesNotMatch anywhere), never crash, catalog what the server holds, and skip a
key the server refuses with a reason while the batch's other records are applied.
(moto re-encodes `%` before checking a signature, so it refuses correctly signed requests for
the `%2F` key: that key is exercised against SeaweedFS only.)"""

from __future__ import annotations

import json
import os

import pytest

from conftest import REPO_ROOT

from imagecat_tools import s3_events
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.s3_server import S3Server

PNG = (REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images" / "rgb8.png").read_bytes()
LONG = "images/" + "k" * (1024 - len("images/") - len(".png")) + ".png"
assert len(LONG.encode()) == 1024
KEYS = {
    "dot": "images/./dot.png",
    "dotdot": "images/sub/../up.png",
    "double slash": "images//double.png",
    "literal %2F": "images/lit%2Fslash.png",
    "trailing space": "images/trailing.png ",
    "1024 bytes": LONG,
}
OK = "images/ok.png"


@pytest.fixture(scope="module")
def moto_with_auth(tmp_path_factory):
    """moto server checking signatures, and a client whose IAM user's key it accepts."""
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "6"
    try:
        server = S3Server("moto").start()
    finally:
        del os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]
    try:
        import boto3
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=server.region,
                           aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
        iam.create_user(UserName="imagecat")
        iam.put_user_policy(UserName="imagecat", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="imagecat")["AccessKey"]
        server.access_key, server.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        # Use up what is left of the unauthenticated allowance, then prove a bad signature fails.
        wrong = server.boto3_client(secret_key="x" * 40, retries={"max_attempts": 1, "mode": "standard"})
        refused = False
        for _ in range(8):
            try:
                wrong.list_buckets()
            except Exception:  # noqa: BLE001
                refused = True
                break
        assert refused, "moto is not checking signatures"
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["seaweedfs", "moto"])
def server(request, s3_server):
    return s3_server if request.param == "seaweedfs" else request.getfixturevalue("moto_with_auth")


def test_key_shapes_through_bootstrap(server, bootstrap_path, tmp_path):
    s3 = server.boto3_client()
    bucket = f"imagecat-keys-{os.urandom(6).hex()}"
    s3.create_bucket(Bucket=bucket)
    keys = dict(KEYS)
    if server.kind == "moto":
        del keys["literal %2F"]
    refused = {}
    records = []
    for name, key in [("ok", OK), *keys.items()]:
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=PNG, ContentType="image/png")
        except Exception as error:  # noqa: BLE001  (SeaweedFS: 400 for dot segments)
            refused[name] = key
            assert server.kind == "seaweedfs" and name in ("dot", "dotdot", "1024 bytes"), (name, error)
        records.append(s3_events.record(bucket, key, size=len(PNG)))
    if server.kind == "seaweedfs":
        # SeaweedFS 4.48 also refuses a 1,024-byte key (KeyTooLongError), which S3 allows.
        assert {"dot", "dotdot"} <= set(refused) <= {"dot", "dotdot", "1024 bytes"}, refused

    out = tmp_path / "bootstrap.out"
    with open(out, "wb") as sink:
        api = LocalRuntimeAPI(function_timeout=60.0).start()
        try:
            api.spawn([str(bootstrap_path)], env={**server.child_env(), "_HANDLER": "catalog"}, stdout=sink, stderr=sink)
            (result,) = api.wait_for([api.enqueue(s3_events.event(*records))], timeout=60)
            assert api.processes[0].poll() is None, "bootstrap died"
        finally:
            api.stop()
    printed = out.read_text(errors="replace")
    body = result.body.decode() if isinstance(result.body, bytes) else result.body
    assert "SignatureDoesNotMatch" not in printed + body, printed + body
    assert result.kind == "response", body
    summary = json.loads(body)

    catalog = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    names = {entry["name"] for entry in catalog}
    listed = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])} - {"images.json"}
    assert OK in names
    for name, key in keys.items():
        if name in refused:
            # Not applied, and the rest of the batch still was. A dot-segment key is refused on
            # every request (400), so the function skips it with S3's answer as the reason; the
            # over-long key was only refused on upload, so reading it finds no object at all.
            assert key not in names
            if name != "1024 bytes":
                assert key in {s["key"] for s in summary["skipped"]}, summary
        elif server.kind == "seaweedfs" and name == "double slash":
            # Stored as images/double.png: the event's key names no object, so no entry for it.
            assert "images/double.png" in listed
        else:
            assert key in names, (name, key, sorted(names))
            assert key in listed


IMAGES = REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images"
POISON = {"images/poison.heic": "huge-ispe.heic", "images/poison.avif": "huge-ispe.avif"}


def test_crafted_huge_images_cannot_kill_bootstrap(server, bootstrap_path, tmp_path):
    """The review's 172-byte HEIC (two `ispe` of 0xFFFFFFFF × 0xFFFFFFFF, no association) and its
    AVIF twin, uploaded beside a good PNG and delivered in one event to bootstrap on a real S3
    server: the process stays alive and serves the next invocation, both are skipped with the
    size-limit reason, and the PNG is cataloged."""
    s3 = server.boto3_client()
    bucket = f"imagecat-poison-{os.urandom(6).hex()}"
    s3.create_bucket(Bucket=bucket)
    records = []
    for key, file in [*POISON.items(), (OK, "rgb8.png")]:
        body = (IMAGES / file).read_bytes()
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream")["ETag"]
        records.append(s3_events.record(bucket, key, size=len(body), etag=etag))
    follow_up = s3.put_object(Bucket=bucket, Key="images/next.png", Body=PNG, ContentType="image/png")["ETag"]

    out = tmp_path / "bootstrap.out"
    with open(out, "wb") as sink:
        api = LocalRuntimeAPI(function_timeout=60.0).start()
        try:
            [process] = api.spawn([str(bootstrap_path)], env={**server.child_env(), "_HANDLER": "catalog"},
                                  stdout=sink, stderr=sink)
            (result,) = api.wait_for([api.enqueue(s3_events.event(*records))], timeout=60)
            assert process.poll() is None, "bootstrap died on the crafted images"
            # The next invocation is served by the same process.
            (after,) = api.wait_for([api.enqueue(s3_events.event(
                s3_events.record(bucket, "images/next.png", size=len(PNG), etag=follow_up)))], timeout=60)
            assert process.poll() is None and len(api.processes) == 1
            assert result.attempts == 1 and after.attempts == 1, "an invocation was retried after a crash"
        finally:
            api.stop()
    printed = out.read_text(errors="replace")
    body = result.body.decode() if isinstance(result.body, bytes) else result.body
    assert result.kind == "response", body + printed
    summary = json.loads(body)
    assert summary["added"] == 1, summary
    skipped = {s["key"]: s["reason"] for s in summary["skipped"]}
    assert set(skipped) == set(POISON), summary
    for key, reason in skipped.items():
        assert "1048576-pixel limit" in reason and "4294967295x4294967295" in reason, (key, reason)
    assert after.kind == "response" and json.loads(after.body)["added"] == 1, after.body

    catalog = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    assert sorted((e["name"], e["type"], e["width"], e["height"]) for e in catalog) == [
        ("images/next.png", "png", 50, 40), (OK, "png", 50, 40)]
