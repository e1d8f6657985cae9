"""The vertical slice end to end: real SeaweedFS, the project's local Runtime API, the real
`bootstrap` (_HANDLER=catalog), S3 notifications shaped as S3 sends them."""

from __future__ import annotations

import json

import pytest

import s3_events
from local_runtime_api import LocalRuntimeAPI

IMAGE_KEYS = ["photos/cat.jpg", "dog one.png", "a+b.gif", "日本/猫.webp", "odd (1)&=%.jpeg"]


def catalog(s3, bucket) -> list[dict]:
    return json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())


def upload(s3, bucket, key, body: bytes) -> dict:
    put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream")
    return s3_events.record(bucket, key, size=len(body), etag=put["ETag"])


@pytest.fixture
def runtime(s3_server, bootstrap_path):
    def start(procs: int = 1, **env) -> LocalRuntimeAPI:
        api = LocalRuntimeAPI(function_timeout=30.0).start()
        api.spawn([str(bootstrap_path)], n=procs, env=s3_server.child_env({"_HANDLER": "catalog", **env}))
        started.append(api)
        return api
    started: list[LocalRuntimeAPI] = []
    yield start
    for api in started:
        api.stop()


def test_uploads_become_entries_with_real_sizes(s3, bucket, runtime):
    records = [upload(s3, bucket, key, b"x" * (10 + i)) for i, key in enumerate(IMAGE_KEYS)]
    records.append(upload(s3, bucket, "readme.txt", b"not an image"))
    api = runtime()
    (result,) = api.wait_for([api.enqueue(s3_events.event(*records))], timeout=30)
    assert result.kind == "response", result.body
    summary = json.loads(result.body)
    assert summary["added"] == len(IMAGE_KEYS)
    assert summary["catalogWrites"] == 1
    assert {"key": "readme.txt", "reason": "not an image: .txt is not an image extension"} in summary["skipped"]
    entries = catalog(s3, bucket)
    assert [e["name"] for e in entries] == IMAGE_KEYS
    for i, entry in enumerate(entries):
        assert entry["size"] == 10 + i
        assert entry["type"] == {"jpeg": "jpg"}.get(entry["name"].rsplit(".", 1)[1], entry["name"].rsplit(".", 1)[1])
        head = s3.head_object(Bucket=bucket, Key=entry["name"])
        assert entry["etag"] == head["ETag"].strip('"')


def test_redelivery_and_self_trigger_change_nothing(s3, bucket, runtime):
    record = upload(s3, bucket, "cat.jpg", b"meow")
    api = runtime()
    first = api.wait_for([api.enqueue(s3_events.event(record))], timeout=30)[0]
    assert json.loads(first.body)["catalogWrites"] == 1
    etag = s3.head_object(Bucket=bucket, Key="images.json")["ETag"]
    # The same event again, plus the notification our own write of images.json would cause.
    again = api.wait_for([api.enqueue(s3_events.event(record, s3_events.record(bucket, "images.json", size=99)))], timeout=30)[0]
    summary = json.loads(again.body)
    assert summary["catalogWrites"] == 0
    assert {"key": "images.json", "reason": "the catalog itself (no self-trigger)"} in summary["skipped"]
    assert s3.head_object(Bucket=bucket, Key="images.json")["ETag"] == etag
    assert [e["name"] for e in catalog(s3, bucket)] == ["cat.jpg"]


def test_racing_writers_lose_nothing(s3, bucket, runtime):
    """Two runtime processes, each handed one-record events at the same moment: every
    conditional write that loses is re-read and re-applied, so all entries survive."""
    keys = [f"race/{i:03d}.png" for i in range(40)]
    records = [upload(s3, bucket, key, b"p" * (i + 1)) for i, key in enumerate(keys)]
    api = runtime(procs=2)
    results = api.wait_for([api.enqueue(s3_events.event(r)) for r in records], timeout=120)
    assert all(r.kind == "response" for r in results), [r.body for r in results if r.kind != "response"]
    entries = catalog(s3, bucket)
    assert sorted(e["name"] for e in entries) == keys
    assert len(entries) == len(keys)


def test_a_delete_removes_and_a_late_create_does_not_resurrect(s3, bucket, runtime):
    created = upload(s3, bucket, "gone.png", b"png")
    api = runtime()
    assert api.wait_for([api.enqueue(s3_events.event(created))], timeout=30)[0].kind == "response"
    s3.delete_object(Bucket=bucket, Key="gone.png")
    removed = s3_events.record(bucket, "gone.png", event_name="ObjectRemoved:Delete")
    assert json.loads(api.wait_for([api.enqueue(s3_events.event(removed))], timeout=30)[0].body)["removed"] == 1
    late = api.wait_for([api.enqueue(s3_events.event(created))], timeout=30)[0]
    assert json.loads(late.body)["added"] == 0
    assert catalog(s3, bucket) == []


def test_a_corrupt_catalog_is_reported_and_left_alone(s3, bucket, runtime):
    corrupt = b'[{"name":"a.jpg","type":"jpg","size":1},\n{"name":"b.jpg","type":"jpg"}]'
    s3.put_object(Bucket=bucket, Key="images.json", Body=corrupt, ContentType="application/json")
    record = upload(s3, bucket, "c.jpg", b"c")
    api = runtime()
    (result,) = api.wait_for([api.enqueue(s3_events.event(record))], timeout=30)
    assert result.kind == "error"
    assert result.error_type == "Function.CorruptCatalog"
    message = json.loads(result.body)["errorMessage"]
    assert f"s3://{bucket}/images.json is not a valid catalog, left unchanged" in message
    assert 'entry 2 (line 2, column 1' in message and '"size"' in message
    assert s3.get_object(Bucket=bucket, Key="images.json")["Body"].read() == corrupt
    # The runtime kept serving: the next invocation (a different bucket-free event) is answered.
    (next_result,) = api.wait_for([api.enqueue({"Records": []})], timeout=30)
    assert next_result.kind == "response"


def test_a_missing_bucket_names_bucket_and_status(s3, bucket, runtime):
    api = runtime()
    (result,) = api.wait_for([api.enqueue(s3_events.event(s3_events.record("no-such-bucket-imagecat", "x.jpg", size=1)))], timeout=30)
    assert result.kind == "error"
    assert result.error_type == "Function.StorageError"
    assert "s3://no-such-bucket-imagecat" in json.loads(result.body)["errorMessage"]


def test_catalog_key_is_configurable(s3, bucket, runtime):
    record = upload(s3, bucket, "x.gif", b"gif")
    api = runtime(CATALOG_KEY="meta/catalog.json")
    assert api.wait_for([api.enqueue(s3_events.event(record))], timeout=30)[0].kind == "response"
    body = s3.get_object(Bucket=bucket, Key="meta/catalog.json")["Body"].read()
    assert [e["name"] for e in json.loads(body)] == ["x.gif"]


def test_missing_credentials_is_an_init_error(s3_server, bootstrap_path):
    with LocalRuntimeAPI() as api:
        env = s3_server.child_env({"_HANDLER": "catalog"})
        del env["AWS_SECRET_ACCESS_KEY"]
        api.spawn([str(bootstrap_path)], n=1, env=env)
        error = api.wait_for_init_error(timeout=30)
        assert error.error_type == "Runtime.InvalidConfiguration"
        assert "AWS_SECRET_ACCESS_KEY" in json.dumps(error.to_dict())
