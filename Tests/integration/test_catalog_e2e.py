"""The vertical slice end to end: real SeaweedFS, the project's local Runtime API, the real
`bootstrap` (_HANDLER=catalog), S3 notifications shaped as S3 sends them."""

from __future__ import annotations

import json
import threading
import urllib.parse

import pytest

from imagecat_tools import s3_events
from imagecat_tools.fault_proxy import FaultProxy
from imagecat_tools.images import png
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.paths import SAMPLE_IMAGES as SAMPLES

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
        api.spawn([str(bootstrap_path)], n=procs, env={**s3_server.child_env(), "_HANDLER": "catalog", **env})
        started.append(api)
        return api
    started: list[LocalRuntimeAPI] = []
    yield start
    for api in started:
        api.stop()


def test_uploads_become_entries_with_real_types_and_sizes(s3, bucket, runtime):
    files = ["baseline.jpg", "rgb8.png", "still.gif", "lossy.webp", "png-named-as.jpg"]
    records = [upload(s3, bucket, key, (SAMPLES / f).read_bytes()) for key, f in zip(IMAGE_KEYS, files)]
    records.append(upload(s3, bucket, "readme.txt", b"not an image"))
    records.append(upload(s3, bucket, "fake.png", b"plain text wearing a .png name"))
    api = runtime()
    (result,) = api.wait_for([api.enqueue(s3_events.event(*records))], timeout=30)
    assert result.kind == "response", result.body
    summary = json.loads(result.body)
    assert summary["added"] == len(IMAGE_KEYS)
    assert summary["catalogWrites"] == 1
    assert [s["key"] for s in summary["skipped"]] == ["readme.txt", "fake.png"]
    assert all(s["reason"].startswith("not an image: ") for s in summary["skipped"])
    # The catalog is sorted by name, as UTF-8 bytes (S3's listing order).
    entries = catalog(s3, bucket)
    assert [e["name"] for e in entries] == sorted(IMAGE_KEYS, key=lambda k: k.encode())
    by_name = {e["name"]: e for e in entries}
    entries = [by_name[k] for k in IMAGE_KEYS]
    # The content decides the type: the last one is a PNG named .jpeg.
    assert [e["type"] for e in entries] == ["jpg", "png", "gif", "webp", "png"]
    for entry, f in zip(entries, files):
        assert entry["size"] == (SAMPLES / f).stat().st_size
        assert isinstance(entry["width"], int) and isinstance(entry["height"], int)
        head = s3.head_object(Bucket=bucket, Key=entry["name"])
        assert entry["etag"] == head["ETag"].strip('"')


def test_dimensions_behind_big_exif_take_few_bytes(s3, bucket, runtime):
    # The frame header sits ~70 KB in, and a megabyte follows it: reached by following segment
    # lengths (reads ask for 16 KiB past what the walk needs), not by reading the whole file.
    body = (SAMPLES / "big-exif.jpg").read_bytes() + bytes(1_000_000)
    record = upload(s3, bucket, "exif.jpg", body)
    api = runtime()
    (result,) = api.wait_for([api.enqueue(s3_events.event(record))], timeout=30)
    assert 60_000 < json.loads(result.body)["bytesRead"] < 100_000
    (entry,) = catalog(s3, bucket)
    assert (entry["type"], entry["size"]) == ("jpg", len(body))
    assert entry["width"] > 0 and entry["height"] > 0


def test_redelivery_and_self_trigger_change_nothing(s3, bucket, runtime):
    record = upload(s3, bucket, "cat.jpg", png(2, 2))
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


def test_racing_writers_lose_nothing(s3_server, s3, bucket, runtime):
    """Two runtime processes, each handed one-record events at the same moment: every
    conditional write that loses is re-read and re-applied, so all entries survive.

    The race is made certain, not left to scheduling: the two processes reach S3 through a
    proxy that holds the answers to the first two catalog reads until both have been answered,
    so both writers start from the same catalog and one of their conditional writes must lose
    (412, or 409 for a concurrent one); the proxy counts the answers."""
    keys = [f"race/{i:03d}.png" for i in range(40)]
    records = [upload(s3, bucket, key, png(i + 1, 1)) for i, key in enumerate(keys)]
    both_read = threading.Barrier(2, timeout=60)
    held: list[str] = []
    lock = threading.Lock()

    def hold_the_first_two_catalog_reads(method: str, target: str, status: int) -> None:
        if method != "GET" or urllib.parse.urlsplit(target).path != f"/{bucket}/images.json":
            return
        with lock:
            if len(held) >= 2:
                return
            held.append(target)
        both_read.wait()  # raises (and fails the test below) if the second read never comes

    with FaultProxy(s3_server.endpoint, seed=1, on_answer=hold_the_first_two_catalog_reads) as proxy:
        api = runtime(procs=2, AWS_ENDPOINT_URL_S3=proxy.endpoint)
        results = api.wait_for([api.enqueue(s3_events.event(r)) for r in records], timeout=120)
        answers = proxy.counts()["answers"]
    assert all(r.kind == "response" for r in results), [r.body for r in results if r.kind != "response"]
    assert len(held) == 2 and not both_read.broken, "the two writers did not read the catalog at the same time"
    lost = answers.get("412", 0) + answers.get("409", 0)
    assert lost >= 1, f"no conditional write lost, so nothing was retried: {answers}"
    entries = catalog(s3, bucket)
    assert sorted(e["name"] for e in entries) == keys
    assert len(entries) == len(keys)
    # Every event wrote its entry once: 40 writes that took effect, plus one per lost race.
    assert sum(json.loads(r.body)["catalogWrites"] for r in results) == len(keys)


def test_a_delete_removes_and_a_late_create_does_not_resurrect(s3, bucket, runtime):
    created = upload(s3, bucket, "gone.png", png(1, 1))
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
    record = upload(s3, bucket, "c.jpg", png(1, 1))
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
    record = upload(s3, bucket, "x.gif", png(1, 1))
    api = runtime(CATALOG_KEY="meta/catalog.json")
    assert api.wait_for([api.enqueue(s3_events.event(record))], timeout=30)[0].kind == "response"
    body = s3.get_object(Bucket=bucket, Key="meta/catalog.json")["Body"].read()
    assert [e["name"] for e in json.loads(body)] == ["x.gif"]


def test_missing_credentials_is_an_init_error(s3_server, bootstrap_path):
    with LocalRuntimeAPI() as api:
        env = {**s3_server.child_env(), "_HANDLER": "catalog"}
        del env["AWS_SECRET_ACCESS_KEY"]
        api.spawn([str(bootstrap_path)], n=1, env=env)
        error = api.wait_for_init_error(timeout=30)
        assert error.error_type == "Runtime.InvalidConfiguration"
        assert "AWS_SECRET_ACCESS_KEY" in json.dumps(error.to_dict())
