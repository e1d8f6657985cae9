"""The storm's figures for issue 11's scenarios: batch sizes and delivery modes, invocation
durations from the local Runtime API, S3 requests by kind, the physical limit, and the peer
run beside the function. Timings are never asserted as speeds, only as structure and as lower
bounds that the injected latency guarantees.
"""

from __future__ import annotations

import json
import time
import types
import urllib.request

import pytest

from imagecat_tools import s3_events
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.storm import Storm, StormConfig, format_report, run_storm
from imagecat_tools.storm import cli as storm_cli
from imagecat_tools.storm.cli import main as storm_main, run_with_peer
from imagecat_tools.fault_proxy import request_kind
from imagecat_tools.storm.synthesis import Operation
from imagecat_tools.storm.delivery import machine_share
from imagecat_tools.storm.report import StormResult, ceiling_line, comparison, format_comparison, physical_limit

from test_storm import STORM_TIMEOUT, assert_exact, boto3_has_conditional_writes


class RecordingAPI:
    """Stands in for LocalRuntimeAPI: records what the storm enqueues."""

    def __init__(self):
        self.enqueued: list[bytes] = []

    def enqueue(self, payload, request_id):
        self.enqueued.append(payload)
        return request_id


def storm_with_copies(copies: int, **config) -> tuple[Storm, RecordingAPI]:
    """A storm (no server) whose deliverer holds `copies` record copies, all due now."""
    storm = Storm(StormConfig(uploads=1, deletes=0, max_delay=0.0, late_share=0.0, **config),
                  server=None, bucket="b")
    storm.api = api = RecordingAPI()
    for i in range(copies // 2):
        op = Operation(i, f"k{i}.png", "put", 10)
        storm.deliverer.add(op, s3_events.record("b", op.key, size=10, etag=f"{i:032x}"))
    return storm, api


def shape_and_size(payload: bytes) -> tuple[str, int]:
    records = json.loads(payload)["Records"]
    return ("sqs" if records[0].get("eventSource") == "aws:sqs" else "direct"), len(records)


def test_sqs_flood_batches_hold_min_to_max_messages_and_wait_for_more():
    storm, api = storm_with_copies(2 * 163, delivery="sqs", min_batch=50, max_batch=100,
                                   batch_window=60.0)
    time.sleep(0.01)
    storm.deliverer.flush()
    first = [shape_and_size(p) for p in api.enqueued]
    assert first and all(shape == "sqs" and 50 <= size <= 100 for shape, size in first), first
    held = 326 - sum(size for _, size in first)
    assert 0 <= held < 100  # too few for the drawn size: they wait (the window has not passed)
    assert len(storm.deliverer.waiting) == held
    waiting_for = storm.deliverer.next_size
    assert held < waiting_for <= 100
    for _ in range(20):  # the batch waits for its own drawn size, not for a new draw each time
        storm.deliverer.flush()
        assert storm.deliverer.next_size == waiting_for
    assert len(api.enqueued) == len(first)
    storm.deliverer.flush(everything=True)  # the end: whatever is left goes, however few
    assert sum(shape_and_size(p)[1] for p in api.enqueued) == 326
    assert storm.result.batch_sizes == [size for _, size in map(shape_and_size, api.enqueued)]
    assert storm.result.deliveries == 326


def test_a_partial_batch_goes_once_its_oldest_copy_waited_the_window():
    storm, api = storm_with_copies(2 * 10, delivery="sqs", min_batch=50, max_batch=100,
                                   batch_window=0.05)
    storm.deliverer.flush()
    assert api.enqueued == []
    time.sleep(0.06)
    storm.deliverer.flush()
    assert [shape_and_size(p) for p in api.enqueued] == [("sqs", 20)]


@pytest.mark.parametrize("delivery, shapes", [("direct", {"direct"}), ("sqs", {"sqs"}),
                                               ("mixed", {"direct", "sqs"})])
def test_delivery_picks_the_event_shape(delivery, shapes):
    storm, api = storm_with_copies(2 * 200, delivery=delivery, max_batch=4)
    storm.deliverer.flush(everything=True)
    assert {shape_and_size(p)[0] for p in api.enqueued} == shapes
    assert all(1 <= shape_and_size(p)[1] <= 4 for p in api.enqueued)


def test_direct_batches_never_wait_and_sqs_batches_wait_one_second_by_default():
    assert StormConfig().batch_window == 0.0
    assert StormConfig(min_batch=50, max_batch=100).batch_window == 1.0
    assert StormConfig(min_batch=50, max_batch=100, batch_window=0.2).batch_window == 0.2
    storm, api = storm_with_copies(2 * 30, max_batch=10)
    storm.deliverer.flush()
    assert sum(shape_and_size(p)[1] for p in api.enqueued) == 60  # all of it, at once


def test_config_and_command_line_reject_what_cannot_run():
    with pytest.raises(ValueError, match="min_batch"):
        StormConfig(min_batch=11, max_batch=10)
    with pytest.raises(ValueError, match="delivery"):
        StormConfig(delivery="kinesis")
    assert StormConfig(delivery="mixed").sqs and not StormConfig().sqs
    with pytest.raises(ValueError, match="ceiling_entries"):
        StormConfig(ceiling_copies=3)
    with pytest.raises(ValueError, match="profiling"):
        run_storm(StormConfig(server_profile=True), server=types.SimpleNamespace(profile_url=""))
    for argv in (["--compare-peer", "--delivery", "sqs"], ["--compare-peer", "--sqs"],
                 ["--compare-peer", "--peer"], ["--peer", "--delivery", "mixed"],
                 ["--min-batch", "20", "--max-batch", "10"],
                 ["--ceiling", "--latency", "10-30"],                              # without --compare-empty
                 ["--ceiling", "--compare-empty", "--preload", "1000"]):           # no proxy to count copies
        with pytest.raises(SystemExit) as exit_info:
            storm_main(["--bootstrap", "/bin/true", *argv])
        assert exit_info.value.code == 2, argv


def test_runtime_api_times_each_invocation_from_next_to_its_answer():
    handed_out = []
    with LocalRuntimeAPI(function_timeout=5, on_handout=handed_out.append) as api:
        ids = [api.enqueue(b"{}"), api.enqueue(b"{}")]
        base = f"http://{api.address}/2018-06-01/runtime/invocation"
        for endpoint, pause in (("response", 0.05), ("error", 0.02)):
            with urllib.request.urlopen(f"{base}/next", timeout=5) as answer:
                request_id = answer.headers["Lambda-Runtime-Aws-Request-Id"]
            time.sleep(pause)
            urllib.request.urlopen(urllib.request.Request(
                f"{base}/{request_id}/{endpoint}", data=b"{}", method="POST",
                headers={"Lambda-Runtime-Function-Error-Type": "Function.Oops"}), timeout=5).read()
        done, failed = api.wait_for(ids)
    assert done.kind == "response" and 0.05 <= done.duration < 5
    assert failed.kind == "error" and 0.02 <= failed.duration < 5
    assert done.to_dict()["duration_ms"] >= 50
    assert handed_out == ids, "on_handout hears of each invocation as /next hands it out"


def test_physical_limit_is_the_write_window_or_the_processes():
    # Direct delivery: 20 ms per request, 5.5 records per invocation, 8 processes. One write per
    # 40 ms window: 25 writes/s × 5.5 = 137.5 records/s; the processes would allow 733.
    direct = physical_limit(20.0, 5.5, 8)
    assert direct["window_ms"] == 40.0 and direct["writes_per_second"] == 25.0
    assert direct["records_per_second_by_window"] == 137.5
    assert direct["records_per_second_by_processes"] == pytest.approx(733.3, abs=0.1)
    assert direct["records_per_second"] == 137.5
    # SQS: 75 records per batch, 3 processes: 1,875 by the window, 3,750 by the processes.
    flood = physical_limit(20.0, 75, 3)
    assert flood["records_per_second"] == 1875.0
    assert physical_limit(20.0, 75, 1)["records_per_second"] == 1250.0  # one process: 60 ms each


def test_a_big_catalogs_window_is_a_write_into_its_tail():
    """Completions alone mean a big catalog: its shortest window is the tail's read, part and
    completion."""
    def limit(requests_by_kind: dict) -> dict:
        result = StormResult(StormConfig(latency=(20.0, 20.0), procs=3), "f", {})
        result.deliveries, result.delivery_seconds, result.batch_sizes = 750, 1.0, [75] * 10
        result.requests_by_kind = requests_by_kind
        return result.limit()
    small = limit({"GET catalog": 10, "PUT catalog": 10})
    assert small["window_round_trips"] == 2 and small["catalog_writes"] == 10
    big = limit({"PART catalog": 10, "COMPLETE catalog": 10, "COMPLETE catalog 412": 3})
    assert big["window_round_trips"] == 3 and big["window_ms"] == 60.0 and big["catalog_writes"] == 10
    assert big["records_per_second"] == pytest.approx(1250.0)   # 16.7 writes/s × 75 records
    grown = limit({"PUT catalog": 4, "COMPLETE catalog": 6})       # past one PutObject mid-run
    assert grown["window_round_trips"] == 2 and grown["catalog_writes"] == 10


def test_requests_are_named_by_what_they_read_or_write():
    assert request_kind("GET", "/b/images.json", 200) == "GET catalog"
    assert request_kind("GET", "/b/images.json", 304) == "GET catalog 304"
    assert request_kind("PUT", "/b/images.json", 412) == "PUT catalog 412"
    assert request_kind("GET", "/b/a%20b/images.json", 206) == "GET object (range)"
    assert request_kind("HEAD", "/b/x.png", 404) == "HEAD object 404"
    assert request_kind("GET", "/b?list-type=2&prefix=x%2F", 200) == "LIST"
    assert request_kind("GET", "/b/?list-type=2", 200) == "LIST"
    assert request_kind("PUT", "/b/images.json.pending/abc", 200) == "PUT catalog state"
    assert request_kind("GET", "/b?list-type=2&prefix=images.json.pending%2F", 200) == "LIST catalog state"
    # A big catalog's splice: a multipart upload's steps.
    assert request_kind("POST", "/b/images.json?uploads", 200) == "CREATE catalog upload"
    assert request_kind("PUT", "/b/images.json?partNumber=2&uploadId=u1", 200) == "PART catalog"
    assert request_kind("POST", "/b/images.json?uploadId=u1", 412) == "COMPLETE catalog 412"
    assert request_kind("DELETE", "/b/images.json?uploadId=u1", 204) == "ABORT catalog"
    assert request_kind("PUT", "/b/images.json.index/abc-3", 200) == "PUT catalog state"


def test_result_gives_percentiles_and_records_per_second_from_first_delivery():
    result = StormResult(StormConfig(), "f", {})
    assert result.summary()["invocation_ms"] == {"p50": None, "p95": None, "max": None, "n": 0}
    result.durations = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    result.deliveries, result.delivery_seconds, result.wall_seconds = 500, 2.0, 10.0
    result.batch_sizes = [5] * 100
    summary = result.summary()
    assert summary["invocation_ms"] == {"p50": 50.0, "p95": 95.0, "max": 100.0, "n": 100}
    assert summary["records_per_second"] == 250.0  # not 500 ÷ the 10 s wall time
    assert summary["records_per_invocation"] == 5.0
    assert summary["physical_limit"] is None  # no latency, no limit


def test_a_ceiling_run_is_named_for_its_copies_and_the_preloaded_run_set_against_it():
    def run(records_per_second: float, **fields) -> StormResult:
        result = StormResult(StormConfig(), "imagecat bootstrap (b)", {})
        result.deliveries, result.delivery_seconds = 1000, 1000 / records_per_second
        for name, value in fields.items():
            setattr(result, name, value)
        return result
    preloaded = run(500, preload={"entries": 1_000_000})
    load = {"copies": 34, "issued": 34, "done": 34, "failed": 0, "entries": 1_000_000,
            "bytes_each": 184_000_000, "late": 0, "errors": []}
    ceiling = run(625, ceiling=load)
    empty = run(1000)
    text = format_comparison([preloaded, ceiling, empty], against="empty")
    print(text)
    rows = text.splitlines()
    assert "1,000,000 entries preloaded" in rows[3] and rows[3].split()[-9] == "0.50×"
    assert "empty catalog + 34 copies of 1,000,000 entries (ceiling)" in rows[4] and rows[4].split()[-9] == "0.62×"
    assert "empty catalog " in rows[5] and rows[5].split()[-9] == "1.00×"
    assert rows[6] == "the preloaded run against the ceiling its server-side copies leave on this machine: 0.80×"
    assert ceiling_line(load) == ("  ceiling load: 34 of 34 server-side copies of a 1,000,000-entry catalog "
                                  "(184,000,000 bytes each) made as invocations started")
    assert "vs_ceiling" not in comparison([preloaded, empty], against="empty")
    # A ceiling run that did not carry all of its load gives no ratio, and says why.
    short = run(700, ceiling={**load, "issued": 30, "done": 29, "failed": 1, "late": 2, "errors": ["SlowDown"]})
    compared = comparison([preloaded, short, empty], against="empty")
    assert "vs_ceiling" not in compared
    assert compared["vs_ceiling_withheld"] == ("only 30 issued (fewer invocations than the run it copies), "
                                               "1 failed: SlowDown, 2 ended after the run settled")
    assert format_comparison([preloaded, short, empty], against="empty").splitlines()[-1] == \
        "no ratio against the ceiling run: " + compared["vs_ceiling_withheld"]
    assert ceiling_line(short.ceiling).endswith("made as invocations started; " + compared["vs_ceiling_withheld"])
    preloaded.settled = False                   # an inexact (unsettled) big run is not compared either
    assert comparison([preloaded, ceiling, empty], against="empty")["vs_ceiling_withheld"] == \
        "the preloaded run was not exact"


def test_a_ceiling_run_copies_as_often_as_the_big_run_created_uploads_over_its_batches(monkeypatch):
    """run_with_empty(ceiling=True): [big, ceiling, empty], the ceiling run configured from the
    big run's uploads of its catalog and its batches; none made: an error, not a second empty run."""
    configs = []

    def fake_run_storm(config, server):
        configs.append(config)
        result = StormResult(config, "imagecat bootstrap (b)", {})
        if config.preload:
            result.requests_by_kind = {"CREATE catalog upload": uploads, "PART catalog": 70}
            result.batch_sizes, result.invocations = [700] * 31, 35
        return result
    monkeypatch.setattr(storm_cli, "run_storm", fake_run_storm)
    big = StormConfig(preload=1_000_000, latency=(10.0, 30.0), seed=3)
    uploads = 34
    runs = storm_cli.run_with_empty(big, server=object(), ceiling=True)
    assert [r.config for r in runs] == configs and len(configs) == 3
    assert (configs[1].ceiling_copies, configs[1].ceiling_entries, configs[1].ceiling_invocations) == (34, 1_000_000, 31)
    assert configs[1].preload == configs[2].preload == 0 and configs[2].ceiling_copies == 0
    assert configs[1].seed == configs[2].seed == 3
    uploads, configs[:] = 0, []
    with pytest.raises(ValueError, match="no ceiling to measure"):
        storm_cli.run_with_empty(big, server=object(), ceiling=True)


def test_machine_share_is_a_share_of_the_kernels_ticks_not_of_wall_time():
    """Over a short window the kernel's ticks and the wall clock disagree (they are read at
    different moments, in 10 ms steps): 2 cores that counted 0.42 busy seconds of 0.42 in a
    0.2 s window are 100 % busy, not 105 %; half of the ticks idle is 50 %."""
    before = {"at": 10.0, "busy": 100.0, "total": 150.0, "server": 1.0, "storm": 2.0}
    full = machine_share(before, {"at": 10.2, "busy": 100.42, "total": 150.42, "server": 1.1, "storm": 2.3})
    assert full["busy_share"] == 1.0 and full["seconds"] == 0.2
    assert (full["server_cpu_seconds"], full["storm_cpu_seconds"]) == (0.1, 0.3)
    half = machine_share(before, {"at": 10.2, "busy": 100.2, "total": 150.4, "server": 1.0, "storm": 2.0})
    assert half["busy_share"] == 0.5
    assert machine_share({}, before) == {} and machine_share(before, before) == {}


def test_small_sqs_flood_under_latency_reports_every_figure(s3_server, bootstrap_path):
    """A small SQS-only storm with 1-3 ms per function S3 request: exact, and every figure
    of the report is there and consistent with the run."""
    config = StormConfig(uploads=40, deletes=6, procs=3, min_batch=5, max_batch=10,
                         delivery="sqs", latency=(1.0, 3.0), seed=5, bootstrap=str(bootstrap_path),
                         timeout=STORM_TIMEOUT)
    result = run_storm(config, server=s3_server)
    report = format_report(result)
    print(report)
    assert_exact(result)
    s = result.summary()
    assert set(s["invocations_by_shape"]) == {"sqs"}
    sizes = result.batch_sizes
    assert sum(sizes) == s["deliveries"] == 92
    assert all(1 <= n <= 10 for n in sizes) and sum(n >= 5 for n in sizes) >= len(sizes) - 2, sizes
    d = s["invocation_ms"]
    assert d["n"] == s["invocations"]
    # every invocation reads the catalog and observes at least one object: ≥ 2 requests ≥ 1 ms
    assert 2.0 <= d["p50"] <= d["p95"] <= d["max"]
    # Uploads that end within the batching window (1 s) have every batch handed out at once.
    assert s["delivery_seconds"] > 0 and s["delivery_seconds"] >= s["feeding_seconds"] >= 0 and s["records_per_second"] > 0
    assert sum(s["requests_by_kind"].values()) == s["faults"]["forwarded"]
    assert s["requests_by_kind"].get("PUT catalog", 0) >= 1
    assert s["requests_per_record"] == pytest.approx(s["faults"]["requests"] / 92, abs=0.01)
    assert s["conflicts"] == {"412": s["faults"]["answers"].get("412", 0),
                              "409": s["faults"]["answers"].get("409", 0)}
    limit = s["physical_limit"]
    assert 1.0 <= limit["latency_ms"] <= 3.0 and limit["records_per_second"] > 0
    assert limit["catalog_writes"] == s["requests_by_kind"]["PUT catalog"]
    assert limit["measured_writes_per_second"] > 0
    # What else the machine did meanwhile: the S3 server (a process tree of its own) and the
    # storm with its proxy used CPU, and no more than the machine's cores had in that time.
    m = s["machine"]
    assert m["seconds"] == pytest.approx(s["delivery_seconds"], abs=0.5)
    assert m["server_cpu_seconds"] > 0 and m["storm_cpu_seconds"] > 0
    assert 0 < m["busy_share"] <= 1
    assert m["server_cpu_seconds"] + m["storm_cpu_seconds"] <= m["cores"] * m["seconds"] * 1.05
    for needle in ("invocation duration (/next → answer): p50", "S3 requests per delivered record",
                   "physical limit at", "delivered records/s", "0 wrong entries", "machine: "):
        assert needle in report, needle


def test_direct_burst_runs_the_peer_on_the_same_plan(s3_server, bootstrap_path):
    if not boto3_has_conditional_writes():
        pytest.skip("boto3 here has no conditional PutObject (IfMatch/IfNoneMatch): the peer "
                    "needs a boto3 from late 2024 or newer")
    config = StormConfig(uploads=30, deletes=6, procs=3, max_batch=5, latency=(1.0, 2.0), seed=7,
                         bootstrap=str(bootstrap_path), timeout=STORM_TIMEOUT)
    ours, theirs = run_with_peer(config, server=s3_server)
    text = format_comparison([ours, theirs])
    print(format_report(theirs), text, sep="\n\n")
    assert_exact(ours)
    assert theirs.label.startswith("python-boto3 peer") and ours.label.startswith("imagecat")
    assert ours.plan == theirs.plan and ours.deliveries == theirs.deliveries == 72
    assert theirs.summary()["invocation_ms"]["n"] == theirs.invocations
    assert theirs.summary()["wrong_entries"] == theirs.audit.wrong >= 0
    lines = text.splitlines()
    assert lines[3].split()[:2] == ["imagecat", "bootstrap"] and lines[4].split()[:3] == \
        ["python-boto3", "peer", f"{theirs.records_per_second:.1f}"]
    assert lines[4].split()[3] == "1.00×"
