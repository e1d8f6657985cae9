"""Per-key isolation and the reconcile's memory against the real local S3 server, through the
real `bootstrap`: a key the server refuses is skipped while the rest of its batch is applied, and
an unchanged non-image is not fetched again by the next reconcile."""

from __future__ import annotations

import json

import pytest

from imagecat_tools import s3_events
from imagecat_tools.images import png
from conftest import REPO_ROOT, run_tool
from imagecat_tools.local_runtime_api import LocalRuntimeAPI


@pytest.fixture
def runtime(s3_server, bootstrap_path):
    started: list[LocalRuntimeAPI] = []

    def start() -> LocalRuntimeAPI:
        api = LocalRuntimeAPI(function_timeout=30.0).start()
        api.spawn([str(bootstrap_path)], n=1, env={**s3_server.child_env(), "_HANDLER": "catalog"})
        started.append(api)
        return api
    yield start
    for api in started:
        api.stop()


def test_a_key_the_server_refuses_is_skipped_and_the_rest_applied(s3, s3_server, bucket, runtime):
    if s3_server.kind != "seaweedfs":
        pytest.skip("needs a server that refuses ./ keys (SeaweedFS answers 400)")
    put = s3.put_object(Bucket=bucket, Key="images/a.png", Body=png(3, 2))
    good = s3_events.record(bucket, "images/a.png", etag=put["ETag"])
    refused = s3_events.record(bucket, "images/./b.png")
    api = runtime()
    (direct,) = api.wait_for([api.enqueue(s3_events.event(good, refused))], timeout=30)
    assert direct.kind == "response", direct.body
    summary = json.loads(direct.body)
    assert summary["added"] == 1
    (skipped,) = summary["skipped"]
    assert skipped["key"] == "images/./b.png"
    assert skipped["reason"].startswith("S3 refuses it: GetObject "), skipped["reason"]
    entries = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    assert [e["name"] for e in entries] == ["images/a.png"]

    # Under SQS the refused key's message is done, not sent back.
    sqs = {"Records": [
        {"eventSource": "aws:sqs", "messageId": "m-good", "body": json.dumps(s3_events.event(good))},
        {"eventSource": "aws:sqs", "messageId": "m-refused", "body": json.dumps(s3_events.event(refused))},
    ]}
    (answer,) = api.wait_for([api.enqueue(sqs)], timeout=30)
    assert answer.kind == "response", answer.body
    assert json.loads(answer.body) == {"batchItemFailures": []}


def test_the_reconcile_remembers_non_images(s3, s3_server, bucket, bootstrap_path):
    s3.put_object(Bucket=bucket, Key="a.png", Body=png(1, 1))
    s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"not an image")

    def reconcile() -> dict:
        env = {**s3_server.child_env(), "CATALOG_BUCKET": bucket}
        run = run_tool("invoke", "--bootstrap", str(bootstrap_path), "--handler", "reconcile",
                       str(REPO_ROOT / "events" / "scheduled.json"), env=env, timeout=120)  # quiet: 1.6 s
        assert run.returncode == 0, run.stdout + run.stderr
        return json.loads(run.stdout)

    first = reconcile()
    assert (first["added"], first["remembered"], first["complete"]) == (1, 0, True)
    assert [s["key"] for s in first["skipped"]] == ["notes.txt"]
    state = json.loads(s3.get_object(Bucket=bucket, Key="images.json.reconcile")["Body"].read())
    assert state["refused"] == [["notes.txt", s3.head_object(Bucket=bucket, Key="notes.txt")["ETag"].strip('"')]]
    second = reconcile()
    assert (second["added"], second["remembered"], second["bytesRead"]) == (0, 1, 0)
