"""The storm (imagecat_tools.storm), small: real uploads and deletes on the local S3 server, every
event delivered twice and shuffled to 8 concurrent bootstrap processes, then an exact audit.

Also proves the audit itself: each kind of divergence is counted on a hand-made catalog, and
the lab's naive logic, put through the same storm, is caught losing entries.
"""

from __future__ import annotations

import json
import time

import pytest

from imagecat_tools.storm import (StormConfig, audit, body_for, format_report,
                   is_image_key, key_pool, make_image, plan_operations, run_storm)

STORM_TIMEOUT = 120.0
"""Every storm in the tests gives up after this (StormConfig's default, 900 s, is for full-size
storms). Quiet, these small storms settle in 2-6 s."""
SMALL = dict(uploads=150, deletes=40, procs=8, max_batch=8, liars=True, timeout=STORM_TIMEOUT)


def boto3_has_conditional_writes() -> bool:
    try:
        import boto3
        client = boto3.session.Session().client(
            "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        members = client.meta.service_model.operation_model("PutObject").input_shape.members
        return "IfMatch" in members and "IfNoneMatch" in members
    except Exception:  # noqa: BLE001
        return False


def assert_exact(result) -> None:
    summary = result.summary()
    report = format_report(result)
    assert result.settled, report
    assert summary["unrecovered"] == 0, report
    assert (summary["lost"], summary["duplicated"], summary["resurrected"], summary["stale"]) \
        == (0, 0, 0, 0), report
    assert summary["malformed"] == 0 and summary["catalog_error"] is None, report
    assert summary["without_etag"] == 0, report
    assert result.ok, report


def test_plan_covers_every_awkward_case():
    """The plan must really contain what the storm claims: re-uploads with a new size and
    with the same size, deletes followed by re-uploads, keys deleted for good, non-images."""
    import random
    operations, plan = plan_operations(random.Random(3), 150, 40, 60)
    assert plan["uploads"] == 150 and plan["deletes"] == 40 and plan["keys"] == 60
    assert plan["reuploads_new_size"] > 0 and plan["reuploads_same_size"] > 0
    assert plan["reuploads_after_delete"] > 0 and plan["deleted_at_end"] > 0
    assert plan["non_image_keys"] > 0 and plan["image_keys"] > 0
    state: dict[str, bool] = {}
    for op in operations:  # a delete only ever falls on a key that exists at that point
        assert op.kind == "put" or state.get(op.key), op
        state[op.key] = op.kind == "put"
    for seed in range(8):  # every upload has exactly its planned size, whatever the seed
        for op in plan_operations(random.Random(seed), 150, 40, 60, liars=True)[0]:
            if op.kind == "put":
                body = body_for(op)
                assert len(body) == op.size, op
                assert (op.fmt is None) == b"not an image".startswith(body[:12]), op
    keys = key_pool(random.Random(3), 60)
    assert len(keys) == 60
    liars = key_pool(random.Random(3), 60, liars=True)
    assert {"text named 13.jpg": None, "png without extension 33": "png",
            "png named 53.gif": "png"}.items() <= liars.items()
    for needle in (" ", "+", "%", "?", "#", "/", "ü", "📷"):
        assert any(needle in k for k in keys), needle
    assert not is_image_key("images.json") and not is_image_key("a.jpg.partial")
    assert is_image_key("Caps1.JPG") and is_image_key("x/y.tif")


def test_audit_counts_each_kind_of_divergence(s3, bucket):
    truth = {"kept.jpg": b"1", "lost.png": b"22", "stale size.gif": b"333",
             "stale etag.webp": b"4444", "dup.jpg": b"5", "notes.txt": b"6"}
    etags = {}
    for key, body in truth.items():
        etags[key] = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')

    def entry(name, size, etag):
        return {"name": name, "type": name.rsplit(".", 1)[1], "size": size, "etag": etag}

    catalog = [
        entry("kept.jpg", 1, etags["kept.jpg"]),
        entry("stale size.gif", 2, etags["stale size.gif"]),
        entry("stale etag.webp", 4, "0" * 32),
        entry("dup.jpg", 1, etags["dup.jpg"]),
        entry("dup.jpg", 1, etags["dup.jpg"]),
        entry("gone.jpg", 7, "1" * 32),
        entry("notes.txt", 1, etags["notes.txt"]),
        {"name": "broken.jpg"},
    ]
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(catalog).encode())
    found = audit(s3, bucket)
    assert found.bucket_images == 5 and found.catalog_entries == 8
    assert found.lost == ["lost.png"]
    assert found.duplicated == ["dup.jpg"]
    assert found.resurrected == ["gone.jpg", "notes.txt"] and found.resurrected_non_images == 1
    assert found.stale == ["stale etag.webp", "stale size.gif"]
    assert found.malformed == 1
    assert not found.exact

    # Judged by content: a wrong pixel size or type is stale too; a text file named .jpg is no
    # image, so its entry is resurrected.
    expected = {"kept.jpg": ("jpg", 4, 3), "lost.png": ("png", 1, 1), "stale size.gif": ("gif", 1, 1),
                "stale etag.webp": ("webp", 1, 1), "dup.jpg": ("jpg", 1, 1)}
    catalog[0].update(width=4, height=3)
    catalog[3].update(width=2, height=1)
    catalog[4].update(width=2, height=1)
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps(catalog).encode())
    by_content = audit(s3, bucket, expected)
    assert by_content.stale == ["dup.jpg", "stale etag.webp", "stale size.gif"]
    del expected["kept.jpg"]
    assert "kept.jpg" in audit(s3, bucket, expected).resurrected

    s3.put_object(Bucket=bucket, Key="images.json", Body=b'[{"name":"a.jpg"')
    assert audit(s3, bucket).catalog_error.startswith("images.json is not JSON")


@pytest.mark.parametrize("fmt", ["jpg", "png", "gif", "webp", "bmp", "tiff", "heic", "avif",
                                 "ico", "svg"])
def test_made_images_have_their_exact_size_and_signature(fmt):
    signatures = {"jpg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n", "gif": b"GIF89a",
                  "webp": b"RIFF", "bmp": b"BM", "tiff": b"II*\0", "heic": b"\0\0\0\x18ftypheic",
                  "avif": b"\0\0\0\x18ftypavif", "ico": b"\0\0\x01\0", "svg": b"<svg "}
    one, two = make_image(fmt, 256, 17, 777, 1), make_image(fmt, 256, 17, 777, 2)
    assert len(one) == len(two) == 777 and one != two
    assert one.startswith(signatures[fmt])


def test_small_storm_is_exact(s3_server, bootstrap_path):
    """150 uploads + 40 deletes, each event twice, shuffled, direct + SQS + EventBridge, 8
    processes: the catalog must equal the bucket's images exactly."""
    result = run_storm(StormConfig(**SMALL, seed=11, bootstrap=str(bootstrap_path),
                                   delivery="mixed", eventbridge=True), server=s3_server)
    print(format_report(result))
    assert_exact(result)
    summary = result.summary()
    assert summary["events"] == 190 and summary["deliveries"] == 380
    # The storm's shape, from its seeded plan rather than from scheduling: keys changed again
    # (new and same sizes), deleted, and uploaded again after a delete, so every event's two
    # copies can overtake each other. How often this run reordered them, or ran the function
    # while uploads went on, depends on the machine's load: reported above, not asserted.
    plan = summary["plan"]
    assert (plan["uploads"], plan["deletes"]) == (150, 40)
    assert plan["reuploads_new_size"] > 0 and plan["reuploads_same_size"] > 0
    assert plan["reuploads_after_delete"] > 0 and plan["lying_names"] > 0
    assert set(summary["invocations_by_shape"]) == {"direct", "sqs", "eventbridge"}
    assert summary["bucket_images"] > 0 and summary["catalog_entries"] == summary["bucket_images"]
    assert summary["retries_by_type"].keys() <= {"Function.CatalogConflict"}
    # What an operator would see, read back from the function's own EMF documents: one per
    # invocation (and a cold start per process), all valid, counting the records delivered.
    metrics = summary["function_metrics"]
    assert metrics["invalid_documents"] == 0, metrics["problems"]
    assert metrics["invocations"] == {"catalog": summary["invocations"]}
    assert 1 <= metrics["cold_starts"] <= 8, "one per process that served an invocation"
    received = next(m for m in metrics["metrics"] if m["name"] == "RecordsReceived")
    assert received["sum"] >= summary["deliveries"], "every delivered record, retries included"
    assert "what an operator would see" in format_report(result)


def test_small_storm_catches_the_naive_logic(s3_server):
    """The same storm with the lab's naive logic (unconditional read-append-write) must show
    loss: this is what proves the audit can see it."""
    if not boto3_has_conditional_writes():
        pytest.skip("boto3 here has no conditional PutObject (IfMatch/IfNoneMatch): the peers "
                    "need a boto3 from late 2024 or newer")
    result = run_storm(StormConfig(**SMALL, seed=11, peer="naive"), server=s3_server)
    print(format_report(result))
    summary = result.summary()
    assert not result.ok
    assert summary["lost"] > 0, format_report(result)


def test_audit_of_a_preloaded_catalog_streams_it_against_the_preloaded_names(s3, bucket):
    """A big catalog is audited a range at a time against the preloaded names (in name order):
    one missing is lost, one too many is resurrected, and a catalog out of imagecat's form is
    an error, not an exact result."""
    from imagecat_tools.big_catalog import entry_names, preload
    names = preload(s3, bucket, 300, keep_names_every=1)
    assert names == list(entry_names(300)), "the names preload writes, without their JSON"
    exact = audit(s3, bucket, {}, preloaded=iter(names))
    assert exact.exact and exact.catalog_entries == 300, exact
    extra = sorted(names + ["images/archive/000000150-zzzzzzzz.jpg"], key=str.encode)
    lost = audit(s3, bucket, {}, preloaded=iter(extra))
    assert lost.lost == ["images/archive/000000150-zzzzzzzz.jpg"] and not lost.resurrected
    fewer = audit(s3, bucket, {}, preloaded=iter(names[:10] + names[11:]))
    assert fewer.resurrected == [names[10]] and not fewer.lost
    s3.put_object(Bucket=bucket, Key="images.json", Body=json.dumps([{"name": n, "type": "jpg", "size": 1} for n in names]).encode())
    wrong = audit(s3, bucket, {}, preloaded=iter(names))
    assert not wrong.exact and "does not start with '[' alone" in wrong.catalog_error


def test_a_storm_on_a_preloaded_catalog_keeps_it_exact_with_deletes_spread_over_it(s3_server, bootstrap_path):
    """--preload: images.json holds 20,000 entries (3.7 MB, so it is indexed and read by block)
    before an SQS storm whose plan also deletes 40 of them, spread over the whole catalog; then
    the same plan on an empty catalog, and the ratio."""
    from imagecat_tools.storm.cli import run_with_empty
    from imagecat_tools.storm.report import format_comparison
    config = StormConfig(uploads=120, deletes=20, procs=3, min_batch=10, max_batch=30, batch_window=0.2,
                         delivery="sqs", latency=(1.0, 2.0), seed=5, bootstrap=str(bootstrap_path),
                         timeout=STORM_TIMEOUT, preload=20_000, preload_deletes=40)
    big, empty = run_with_empty(config, server=s3_server)
    report = format_report(big)
    print(report, format_comparison([big, empty], against="empty"), sep="\n\n")
    assert_exact(big)
    assert_exact(empty)
    summary = big.summary()
    assert summary["plan"]["preload_deletes"] == 40 and summary["plan"]["deletes"] == 60
    assert summary["catalog_entries"] == 20_000 - 40 + summary["bucket_images"]
    assert empty.summary()["catalog_entries"] == empty.summary()["bucket_images"]
    assert summary["preload"]["entries"] == 20_000 and summary["preload"]["index_seconds"] > 0
    assert summary["requests_by_kind"].get("PUT catalog state", 0) >= 1, "the index, written beside it"
    assert "preloaded catalog: 20,000 entries" in report and "40 of its entries deleted" in report
    table = format_comparison([big, empty], against="empty").splitlines()
    assert "vs empty" in table[1] and table[-1].strip().split("  ")[0].endswith("empty catalog")
    assert table[-1].split().count("1.00×") == 1


def test_a_boxed_storm_reports_each_boxs_memory_and_cpu(s3_server, bootstrap_path):
    """--box: every runtime process runs in its own Lambda-shaped box; the report gives the
    boxes' CPU, peak memory, limit hits and kills instead of /proc's figures."""
    from imagecat_tools.lambda_box import BoxError, LambdaBox
    try:
        with LambdaBox(16):
            pass
    except BoxError as error:
        pytest.skip(f"needs cgroup v1 cpu and memory groups as root: {error}")
    result = run_storm(StormConfig(uploads=20, deletes=4, procs=2, max_batch=5, seed=9, box=128,
                                   bootstrap=str(bootstrap_path), timeout=STORM_TIMEOUT), server=s3_server)
    report = format_report(result)
    print(report)
    assert_exact(result)
    runtimes = result.summary()["runtimes"]
    assert runtimes["processes"] == 2 and runtimes["box_mb"] == 128, runtimes
    assert 1 < runtimes["peak_rss_mb"] < 128 and runtimes["oom_kills"] == 0, runtimes
    assert runtimes["cpu_seconds"] > 0
    assert "each in a 128 MB Lambda-shaped box (7.2% of a core)" in report


def test_a_profiled_storm_says_where_the_servers_cpu_went(bootstrap_path):
    """--server-profile: the storm starts its own server with Go's profiler, records it from
    the first delivery to settled, and reports the shares by package and by handler."""
    result = run_storm(StormConfig(uploads=60, deletes=10, procs=2, max_batch=5, seed=5, server_profile=True,
                                   bootstrap=str(bootstrap_path), timeout=STORM_TIMEOUT))
    report = format_report(result)
    print(report)
    assert_exact(result)
    # A storm this small gives the server a few dozen samples' worth of CPU (Go samples at
    # 100 Hz): which handlers they fall in is chance (test_server_profile.py checks those).
    profile = result.summary()["server_profile"]
    assert "errors" not in profile, profile
    assert profile["cpu_seconds"] > 0 and profile["packages"], profile
    assert f"S3 server profile ({profile['cpu_seconds']} CPU s sampled): where it went, by package: " in report


def test_a_ceiling_load_copies_a_catalog_server_side_spread_over_the_invocations(s3_server):
    """copy_load: a catalog of the preloaded size written in a bucket of its own, and its copies
    issued a share per invocation handed out (5 over 4: 1, 2, 3, then 5), each upload aborted."""
    from imagecat_tools.storm.copy_load import TAIL_BYTES, CopyLoad
    s3 = s3_server.boto3_client()
    load = CopyLoad(s3, copies=5, invocations=4, entries=20_000, workers=2).prepare()
    size = s3.head_object(Bucket=load.bucket, Key="images.json")["ContentLength"]
    issued = []
    for i in range(4):
        load.on_handout(f"request-{i}")
        issued.append(load.issued)
    assert issued == [1, 2, 3, 5]
    deadline = time.monotonic() + 60
    while load.done + len(load.failures) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    # A copy counts as done before its upload is aborted: the last aborts may still be on their way.
    aborted_by = time.monotonic() + 30
    while s3.list_multipart_uploads(Bucket=load.bucket).get("Uploads", []) and time.monotonic() < aborted_by:
        time.sleep(0.05)
    assert s3.list_multipart_uploads(Bucket=load.bucket).get("Uploads", []) == [], "each copy's upload aborted"
    summary = load.finish(settled_at=0.0)      # a run that "settled" before any copy ended
    assert summary == {"copies": 5, "issued": 5, "done": 5, "failed": 0, "entries": 20_000,
                       "bytes_each": size - TAIL_BYTES, "late": 5, "errors": []}
    load.on_handout("request-4")               # after finish: nothing more, and no error
    assert load.issued == 5 and load.finish() is summary
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert load.bucket not in buckets, "the copies' bucket is gone"
    # Settled after the copies ended: none late. Finished early with cancel: the copies not yet
    # started are dropped (a failed storm does not wait for them).
    on_time = CopyLoad(s3, copies=2, invocations=1, entries=20_000, workers=2).prepare()
    on_time.on_handout("request-0")
    assert on_time.finish(settled_at=time.monotonic() + 3600)["late"] == 0
    cancelled = CopyLoad(s3, copies=6, invocations=1, entries=20_000, workers=1).prepare()
    cancelled.on_handout("request-0")
    dropped = cancelled.finish(cancel=True)
    assert dropped["issued"] == 6 and dropped["done"] < 6 and dropped["failed"] == 0, dropped


class RecordingAPI:
    """Stands in for LocalRuntimeAPI: records what the storm enqueues."""

    def __init__(self):
        self.enqueued: list[tuple[str, bytes]] = []

    def enqueue(self, payload, request_id):
        self.enqueued.append((request_id, payload))
        return request_id


def test_storm_retries_conflicts_and_redelivers_failed_sqs_messages_only():
    """Function.CatalogConflict → the same event again (as Lambda retries an async invoke), up
    to max_retries; any other error → unrecovered; an SQS answer's batchItemFailures → those
    messages, and only those, in a new batch (as SQS makes them visible again)."""
    from imagecat_tools.local_runtime_api import Result
    from imagecat_tools.storm import Storm

    storm = Storm(StormConfig(uploads=1, deletes=0, max_retries=1), server=None, bucket="b")
    storm.api = api = RecordingAPI()
    conflict = b'{"errorType":"Function.CatalogConflict","errorMessage":"contended"}'

    storm.deliver([{"r": 1}], "direct")
    first_id, event = api.enqueued[-1]
    storm.on_result(Result(first_id, "error", conflict, "Function.CatalogConflict"))
    retry_id, again = api.enqueued[-1]
    assert again == event and retry_id != first_id
    storm.on_result(Result(retry_id, "error", conflict, "Function.CatalogConflict"))
    assert len(api.enqueued) == 2  # max_retries=1: no third delivery
    storm.deliver([{"r": 2}], "direct")
    storm.on_result(Result(api.enqueued[-1][0], "error", b"{}", "Function.StorageError"))
    assert len(api.enqueued) == 3

    storm.deliver([{"r": 3}, {"r": 4}, {"r": 5}], "sqs")
    sqs_id, batch = api.enqueued[-1]
    messages = json.loads(batch)["Records"]
    answer = json.dumps({"batchItemFailures": [{"itemIdentifier": messages[1]["messageId"]}]})
    storm.on_result(Result(sqs_id, "response", answer.encode(), None))
    _, redelivered = api.enqueued[-1]
    bodies = [json.loads(m["body"]) for m in json.loads(redelivered)["Records"]]
    assert bodies == [json.loads(messages[1]["body"])]
    assert json.loads(messages[1]["body"]) == {"Records": [{"r": 4}]}

    r = storm.result
    assert (r.retries, r.retries_by_type) == (1, {"Function.CatalogConflict": 1})
    assert r.failures == 3 and r.unrecovered == 2 and r.sqs_redeliveries == 1
    assert r.invocations == 5 and r.deliveries == 5
    assert storm.outstanding == 1  # only the redelivered SQS batch is still out
