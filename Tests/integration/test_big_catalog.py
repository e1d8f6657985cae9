"""A catalog of 100,000 entries (18 MB) through the real `bootstrap` on SeaweedFS: the catalog
function splices its writes into it (multipart: the changed windows uploaded, the rest copied
server-side) and keeps it exact, sorted and indexed; the API pages it and looks entries up a
block at a time. The 1,000,000 and 10,000,000 runs are in the benchmark tooling (BENCHMARKS.md).

moto does not enforce `If-Match` on a multipart completion nor `x-amz-copy-source-if-match`, so
what these tests check of a splice is checked on SeaweedFS (the reference backend)."""

from __future__ import annotations

import json
import time

import pytest

from imagecat_tools import s3_events
from imagecat_tools.big_catalog import check, entry_lines, is_rare, preload
from imagecat_tools.fault_proxy import FaultProxy
from imagecat_tools.images import png
from imagecat_tools.local_api import build_event
from imagecat_tools.local_runtime_api import LocalRuntimeAPI

ENTRIES = 100_000


@pytest.fixture
def functions(s3_server, bootstrap_path):
    started: list[LocalRuntimeAPI] = []

    def start(handler: str, **env) -> LocalRuntimeAPI:
        api = LocalRuntimeAPI(function_timeout=120.0).start()
        api.spawn([str(bootstrap_path)], env={**s3_server.child_env(), "_HANDLER": handler, **env})
        started.append(api)
        return api
    yield start
    for api in started:
        api.stop()


def upload(s3, bucket, key) -> dict:
    body = png(4, 3)
    put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="image/png")
    return s3_events.record(bucket, key, size=len(body), etag=put["ETag"])


def sqs(records) -> list[str]:
    return [json.dumps({"Records": [record]}) for record in records]


def saved_prefix(s3, bucket, etag) -> dict:
    """The prefix the index of version `etag` names, after checking that the object it is saved
    as holds exactly the catalog's first bytes, under the ETag the index names."""
    index = json.loads(s3.get_object(Bucket=bucket, Key=f"images.json.index/{etag}")["Body"].read())
    prefix = index["prefix"]
    saved = s3.get_object(Bucket=bucket, Key=f"images.json.index/prefix-{prefix['anchor']}")
    assert saved["ETag"].strip('"') == prefix["base"]
    first = s3.get_object(Bucket=bucket, Key="images.json", Range=f"bytes=0-{prefix['length'] - 1}")["Body"].read()
    assert saved["Body"].read() == first
    return prefix


def test_a_rare_type_is_spread_over_the_preloaded_catalog(s3, bucket):
    """`rare_every`: one entry in K is a gif, none at either end, names still sorted; without it
    the catalog is what it always was (the same names, all jpg)."""
    names = preload(s3, bucket, 1000, keep_names_every=1, rare_every=100)
    entries = json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())
    assert [e["name"] for e in entries] == names and check(s3, bucket).entries == 1000
    rare = [i for i, e in enumerate(entries) if e["type"] == "gif"]
    assert rare == list(range(50, 1000, 100)) == [i for i in range(1000) if is_rare(i, 100)]
    assert all(entries[i]["name"].endswith(".gif") for i in rare)
    plain = [name for name, _ in entry_lines(1000)]
    assert [n.rsplit(".", 1)[0] for n in plain] == [n.rsplit(".", 1)[0] for n in names]
    assert all(n.endswith(".jpg") for n in plain) and not is_rare(50, 0)


def test_a_big_catalog_stays_exact_sorted_and_indexed(s3, s3_server, bucket, functions):
    if s3_server.kind != "seaweedfs":
        pytest.skip("needs a server that enforces If-Match on a multipart completion")
    spread = preload(s3, bucket, ENTRIES, keep_names_every=ENTRIES // 50)
    catalog = functions("catalog", CATALOG_BUCKET=bucket)
    now = int(time.time() * 1000)
    new = [f"images/uploads/{now + i:012x}0000000000/photo {i}.png" for i in range(40)]

    # The first write indexes the preloaded catalog (no index yet: as after an upgrade), then splices.
    [result] = catalog.wait_for([catalog.enqueue_sqs_batch(sqs([upload(s3, bucket, k) for k in new[:20]]))], timeout=120)
    assert result.kind == "response" and json.loads(result.body) == {"batchItemFailures": []}, result.body
    first = check(s3, bucket)
    assert first.entries == ENTRIES + 20
    assert first.etag.rsplit("-", 1)[-1].isdigit(), "written as a multipart upload"

    # That write named a prefix and saved it beside the catalog: the next uploads are written
    # into the tail after it, the saved prefix copied into the upload.
    named = saved_prefix(s3, bucket, first.etag)
    [result] = catalog.wait_for([catalog.enqueue_sqs_batch(sqs([upload(s3, bucket, k) for k in new[20:30]]))], timeout=120)
    assert result.kind == "response" and json.loads(result.body) == {"batchItemFailures": []}, result.body
    second = check(s3, bucket)
    assert second.entries == ENTRIES + 30
    assert saved_prefix(s3, bucket, second.etag) == named, "the same prefix, named again"

    # More uploads near the end, deletes spread over the whole catalog (no prefix then: the
    # saved one is dropped), and a redelivery.
    for key in spread:
        s3.put_object(Bucket=bucket, Key=key, Body=png(1, 1))   # exists for a moment, then goes
        s3.delete_object(Bucket=bucket, Key=key)
    deletes = [s3_events.record(bucket, k, event_name="ObjectRemoved:Delete", size=None, etag=None) for k in spread]
    records = [upload(s3, bucket, k) for k in new[30:]] + deletes
    ids = [catalog.enqueue_sqs_batch(sqs(records)), catalog.enqueue_sqs_batch(sqs(records))]
    for result in catalog.wait_for(ids, timeout=240):
        assert result.kind == "response" and json.loads(result.body) == {"batchItemFailures": []}, result.body
    final = check(s3, bucket, keep_names=True)
    assert final.entries == ENTRIES + 40 - len(spread)
    assert set(new) <= set(final.names) and not set(spread) & set(final.names)
    assert final.names[-40:] == new, "new uploads sort last, in upload order"
    # Clean-up is collected after the answer (`afterAnswer`): looked for until it has landed
    # (quiet: at once; 30 s is room for a busy machine).
    deadline = time.monotonic() + 30
    while True:
        indexes = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="images.json.index/").get("Contents", [])]
        if indexes == [f"images.json.index/{final.etag}"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert indexes == [f"images.json.index/{final.etag}"], "older versions' indexes and prefixes are dropped"


def test_the_api_pages_a_big_catalog_a_block_at_a_time(s3, s3_server, bucket, functions):
    names = preload(s3, bucket, ENTRIES, keep_names_every=1)
    with FaultProxy(s3_server.endpoint) as proxy:                # counts what the API reads from S3
        api = functions("api", CATALOG_BUCKET=bucket, AWS_ENDPOINT_URL_S3=proxy.endpoint)

        def answer(path: str, query: str = "") -> dict:
            event = build_event("GET", path, query, [], b"", {"sub": "auth0|big"})
            [result] = api.wait_for([api.enqueue(event)], timeout=120)
            assert result.kind == "response", result.error_type
            return json.loads(result.body)

        def get(path: str, query: str = "") -> dict:
            reply = answer(path, query)
            assert reply["statusCode"] == 200, reply
            return json.loads(reply["body"])

        # No index yet (as after an upgrade): a request does not wait for 18 MB to be read whole.
        early = answer("/images", "limit=100")
        assert early["statusCode"] == 503 and early["headers"]["retry-after"] == "60", early
        assert json.loads(early["body"])["error"] == "catalog_not_ready"
        assert not s3.list_objects_v2(Bucket=bucket, Prefix="images.json.index/").get("KeyCount")

        # The catalog function's next write indexes it (or the hourly reconcile, which here would
        # empty it: the preloaded entries have no objects behind them).
        catalog = functions("catalog", CATALOG_BUCKET=bucket)
        arrival = "images/uploads/" + "f" * 22 + "/first after the upgrade.png"
        [done] = catalog.wait_for([catalog.enqueue_sqs_batch(sqs([upload(s3, bucket, arrival)]))], timeout=120)
        assert done.kind == "response" and json.loads(done.body) == {"batchItemFailures": []}, done.body
        names = sorted(names + [arrival], key=lambda n: n.encode())
        assert names[-1] == arrival, "sorts last, in byte order"

        first = get("/images", "limit=100")
        assert [e["name"] for e in first["images"]] == names[:100]
        started = time.monotonic()
        read_before = proxy.counts()["answer_bytes"]
        page, served = first, list(names[:100])
        for _ in range(5):
            page = get("/images", "limit=100&cursor=" + page["nextCursor"])
            served += [e["name"] for e in page["images"]]
        warm = (time.monotonic() - started) / 5
        read = (proxy.counts()["answer_bytes"] - read_before) / 5
        assert served == names[:600]
        catalog_bytes = s3.head_object(Bucket=bucket, Key="images.json")["ContentLength"]
        # A warm page reads its block or two (~64 KiB each) and a 1-byte probe, not the catalog.
        assert read < 200_000 < catalog_bytes, (read, catalog_bytes)
        last = get("/images", "limit=3&order=name-desc")
        assert [e["name"] for e in last["images"]] == names[-3:][::-1]
        middle = names[ENTRIES // 2]
        assert get("/images/" + middle)["name"] == middle
        print(f"warm page of 100 at {ENTRIES:,} entries: {warm * 1000:.0f} ms and {read / 1000:.0f} KB read from S3 "
              f"per request (debug build, loopback; the catalog is {catalog_bytes / 1e6:.1f} MB)")
