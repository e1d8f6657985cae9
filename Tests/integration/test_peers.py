"""The comparison runtimes of scripts/peers/ keep the contract the benchmarks rely on: the careful
peer's Runtime API loop, `sum`, and its catalog (upsert, remove, skip the catalog's own key, no
write for a redelivery, conditional writes that lose no entry under contention, a corrupt
catalog left alone); the naive peer appends blindly. Real SeaweedFS, the project's local
Runtime API, the peers started as the storm and the bench start them."""

from __future__ import annotations

import json
import subprocess

import pytest

from imagecat_tools import s3_events
from imagecat_tools.fault_proxy import FaultProxy
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.paths import PEER_FILES, REPO_ROOT, peer_command


@pytest.fixture
def peer(s3_server):
    """start(name="python-boto3", procs=1, endpoint=None, **env) → a LocalRuntimeAPI serving
    that peer; everything started is stopped afterwards."""
    started: list[LocalRuntimeAPI] = []

    def start(name: str = "python-boto3", procs: int = 1, endpoint: str | None = None,
              **env: str) -> LocalRuntimeAPI:
        api = LocalRuntimeAPI(function_timeout=30.0).start()
        started.append(api)
        base = s3_server.child_env()
        if endpoint:
            base["AWS_ENDPOINT_URL_S3"] = endpoint
        api.spawn(peer_command(name), n=procs, env={**base, "_HANDLER": "catalog", **env})
        return api

    yield start
    for api in started:
        api.stop()


def invoke(api: LocalRuntimeAPI, payload) -> tuple[str, dict, str | None]:
    (result,) = api.wait_for([api.enqueue(payload)], timeout=30)  # quiet: ≤ 0.55 s (boto3 start-up)
    return result.kind, json.loads(result.body), result.error_type


def catalog(s3, bucket) -> list[dict]:
    return json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())


def created(bucket: str, key: str, size: int) -> dict:
    return s3_events.record(bucket, key, size=size)


def removed(bucket: str, key: str) -> dict:
    return s3_events.record(bucket, key, event_name="ObjectRemoved:Delete")


def test_the_peers_live_in_the_repository_and_name_nothing_outside_it():
    for path in PEER_FILES.values():
        assert path.is_file() and path.is_relative_to(REPO_ROOT / "scripts" / "peers"), path
        assert "imagecat_tools" not in path.read_text(), f"{path.name} must stand alone"


def test_run_as_a_file_without_a_runtime_api_it_says_how_to_start_it():
    for name in PEER_FILES:
        run = subprocess.run(peer_command(name), capture_output=True, text=True, timeout=60,  # quiet: 0.24 s
                             env={"PATH": "/usr/bin:/bin"})
        assert run.returncode == 2, run.stderr
        assert "AWS_LAMBDA_RUNTIME_API" in run.stderr and "Traceback" not in run.stderr


def test_sum_answers_the_lab_and_reports_bad_input(peer):
    api = peer(_HANDLER="sum")
    assert invoke(api, {"key1": 1, "key2": 2}) == ("response", {"statusCode": 200, "body": 3}, None)
    kind, body, error_type = invoke(api, {"key1": 1, "key2": True})
    assert (kind, error_type, body["errorType"]) == ("error", "Function.ValueError", "ValueError")
    assert "key1 and key2" in body["errorMessage"] and body["stackTrace"]
    assert invoke(api, {"key1": 2, "key2": 0.5})[1] == {"statusCode": 200, "body": 2.5}


def test_an_unknown_handler_is_an_init_error(peer):
    api = peer(_HANDLER="nope")
    error = api.wait_for_init_error(timeout=30)  # quiet: 0.21 s
    assert error.error_type == "Runtime.ValueError" and b"unknown _HANDLER 'nope'" in error.body


def test_catalog_upserts_removes_skips_and_does_not_rewrite_a_redelivery(s3, bucket, peer):
    api = peer()
    first = s3_events.event(created(bucket, "photos/Cat one.JPG", 10), created(bucket, "b.png", 20),
                            created(bucket, "images.json", 99))
    assert invoke(api, first)[:2] == ("response", {"records": 3, "applied": 2, "skipped": 1})
    assert catalog(s3, bucket) == [{"name": "photos/Cat one.JPG", "type": "jpg", "size": 10},
                                   {"name": "b.png", "type": "png", "size": 20}]
    etag = s3.head_object(Bucket=bucket, Key="images.json")["ETag"]
    assert invoke(api, first)[0] == "response"  # a redelivery: nothing new, so no write
    assert s3.head_object(Bucket=bucket, Key="images.json")["ETag"] == etag
    again = s3_events.event(created(bucket, "b.png", 21), removed(bucket, "photos/Cat one.JPG"),
                            s3_events.record(bucket, "c.gif", event_name="ObjectRestore:Completed"))
    assert invoke(api, again)[1] == {"records": 3, "applied": 2, "skipped": 1}
    assert catalog(s3, bucket) == [{"name": "b.png", "type": "png", "size": 21}]


def test_a_corrupt_catalog_fails_the_invocation_and_stays_as_it_was(s3, bucket, peer):
    api = peer()
    for corrupt in (b'[{"name": "a.jpg"', b'{"name": "a.jpg"}', b'[{"size": 1}]'):
        s3.put_object(Bucket=bucket, Key="images.json", Body=corrupt)
        kind, body, error_type = invoke(api, s3_events.event(created(bucket, "x.png", 1)))
        assert (kind, error_type) == ("error", "Function.CorruptCatalog"), body
        assert s3.get_object(Bucket=bucket, Key="images.json")["Body"].read() == corrupt


def test_conditional_writes_lose_nothing_among_concurrent_writers(s3_server, s3, bucket, peer):
    """Four processes, 40 single-record events at once, every write through the counting proxy:
    writes are lost (412) and retried, and every key ends up in the catalog exactly once."""
    with FaultProxy(s3_server.endpoint).start() as proxy:
        api = peer(procs=4, endpoint=proxy.endpoint)
        api.wait_for_waiting(4, timeout=60)      # all four started: no one drains the queue alone
        keys = [f"race/{i:02d}.png" for i in range(40)]
        ids = [api.enqueue(s3_events.event(created(bucket, key, i + 1))) for i, key in enumerate(keys)]
        results = api.wait_for(ids, timeout=120)  # quiet: 1.4 s
        answers = proxy.counts()["answers"]
    assert [r.kind for r in results] == ["response"] * 40, [r.body for r in results if r.kind != "response"]
    assert sorted(e["name"] for e in catalog(s3, bucket)) == keys
    assert answers.get("412", 0) + answers.get("409", 0) > 0, answers  # they did contend


def test_the_naive_logic_appends_blindly(s3, bucket, peer):
    api = peer("naive")
    event = s3_events.event(created(bucket, "a.JPG", 5))
    assert invoke(api, event)[:2] == ("response", {"records": 1})
    assert invoke(api, event)[0] == "response"  # a redelivery is appended again
    assert catalog(s3, bucket) == [{"name": "a.JPG", "type": "jpg", "size": 5}] * 2
    kind, _, error_type = invoke(api, s3_events.event(removed(bucket, "a.JPG")))
    assert (kind, error_type) == ("error", "Function.KeyError")  # a delete has no size


def test_the_api_pages_looks_up_and_keeps_the_catalog_while_s3_answers_304(s3_server, s3, bucket, peer):
    """The peer's `api` handler, the baseline of `scripts/bench --figures pages`: pages in name
    order after the cursor (both orders, with a type filter), lookups, 400/404/405; the catalog
    is downloaded once and kept while a conditional GET answers 304, and again once it changed."""
    from imagecat_tools.local_api import build_event
    stored = [{"name": f"p/{i:02d}.{'png' if i % 5 == 0 else 'jpg'}", "type": "png" if i % 5 == 0 else "jpg",
               "size": i} for i in range(30)]
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(stored[::-1]).encode())  # not sorted
    names = [e["name"] for e in stored]
    answered: list[tuple[str, int]] = []
    with FaultProxy(s3_server.endpoint, on_answer=lambda m, t, status: answered.append((m, status))) as proxy:
        api = peer(endpoint=proxy.endpoint, _HANDLER="api", CATALOG_BUCKET=bucket)

        def get(path: str, query: str = "", method: str = "GET") -> tuple[int, dict]:
            kind, reply, _ = invoke(api, build_event(method, path, query, [], b"", {"sub": "peer"}))
            assert kind == "response" and reply["headers"]["content-type"] == "application/json", reply
            return reply["statusCode"], json.loads(reply["body"])

        status, first = get("/images", "limit=12")
        assert status == 200 and [e["name"] for e in first["images"]] == names[:12]
        served = [e["name"] for e in first["images"]]
        page = first
        while page["nextCursor"]:
            page = get("/images", "limit=12&cursor=" + page["nextCursor"])[1]
            served += [e["name"] for e in page["images"]]
        assert served == names
        assert answered[:2] == [("GET", 200), ("GET", 304)] and set(answered[1:]) == {("GET", 304)}
        down = get("/images", "limit=4&order=name-desc")[1]
        assert [e["name"] for e in down["images"]] == names[:-5:-1]
        down = get("/images", "limit=4&order=name-desc&cursor=" + down["nextCursor"])[1]
        assert [e["name"] for e in down["images"]] == names[-5:-9:-1]
        pngs = get("/images", "type=PNG&limit=4")[1]
        assert [e["name"] for e in pngs["images"]] == names[0:20:5] and pngs["nextCursor"]
        assert [e["name"] for e in get("/images", "type=png&cursor=" + pngs["nextCursor"])[1]["images"]] == names[20::5]
        assert get("/images/p/07.jpg") == (200, stored[7])
        assert get("/images/p/99.jpg")[0] == 404
        assert [get("/images", q)[1]["error"] for q in ("limit=0", "limit=x", "limit=1001")] == ["invalid_limit"] * 3
        assert get("/images", "limit=0")[0] == 400
        assert get("/images", "cursor=@@@")[1]["error"] == "invalid_cursor"
        assert get("/images", "order=random")[1]["error"] == "invalid_order"
        assert get("/images", method="POST")[0] == 405 and get("/elsewhere")[0] == 404
        downloads = answered.count(("GET", 200))
        s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(stored[:3]).encode())
        assert [e["name"] for e in get("/images")[1]["images"]] == names[:3]
        assert answered.count(("GET", 200)) == downloads + 1 == 2
