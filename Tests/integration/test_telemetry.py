"""Issue 18's logs, metrics and traces, checked on the running program: `bootstrap` against the
real local S3 server (SeaweedFS), invoked through the project's local Runtime API, its output
read back as CloudWatch would read it.

- every S3 request carries the invocation's `X-Amzn-Trace-Id`, unsigned, when
  `AWS_LAMBDA_FUNCTION_NAME` is set (seen by the fault proxy in front of the server, which
  accepts it), and none without it;
- both log formats, and level filtering in each;
- every EMF document meets the published specification (`imagecat_tools.emf_spec`), a batch of
  more than 100 S3 requests included, and its counts agree with what the server saw;
- `/error` carries the X-Ray error cause, bounded;
- the log summary tool reads it all back.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from conftest import REPO_ROOT, run_tool

from imagecat_tools import emf_spec, s3_events
from imagecat_tools.fault_proxy import FaultProxy
from imagecat_tools.local_runtime_api import LocalRuntimeAPI, sqs_batch_event

PNG = (REPO_ROOT / "Tests" / "ImageSnifferTests" / "Images" / "rgb8.png").read_bytes()
RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
FUNCTION = {"AWS_LAMBDA_FUNCTION_NAME": "imagecat-telemetry-test"}


class Run:
    """One catalog process behind a header-recording proxy: its results, requests and output."""

    def __init__(self, s3_server, bootstrap_path, tmp_path, env: dict):
        self.requests: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        self.proxy = FaultProxy(s3_server.endpoint, on_request=self._record).start()
        self.out = tmp_path / f"function-{len(list(tmp_path.iterdir()))}.log"
        self.sink = open(self.out, "wb")
        self.api = LocalRuntimeAPI(function_timeout=60.0).start()
        self.api.spawn([str(bootstrap_path)], stdout=self.sink, stderr=self.sink,
                       env={**s3_server.child_env(), "_HANDLER": "catalog", "AWS_ENDPOINT_URL_S3": self.proxy.endpoint, **env})

    def _record(self, method, target, headers):
        with self.lock:
            self.requests.append((method, target, dict(headers)))

    def invoke(self, event, trace_id):
        request_id = self.api.enqueue(event, trace_id=trace_id)
        return self.api.wait_for(request_id, timeout=60)

    def seen(self) -> int:
        with self.lock:
            return len(self.requests)

    def stop(self) -> list[str]:
        self.api.stop()
        self.proxy.stop()
        self.sink.close()
        return self.out.read_text(errors="replace").splitlines()


@pytest.fixture
def run(s3_server, bootstrap_path, tmp_path):
    runs = []

    def start(env: dict) -> Run:
        runs.append(Run(s3_server, bootstrap_path, tmp_path, env))
        return runs[-1]
    yield start
    for r in runs:
        r.api.stop()
        r.proxy.stop()


def trace(n: int) -> str:
    return f"Root=1-{int(time.time()):08x}-{n:024x};Parent={n:016x};Sampled=1"


def test_every_s3_request_carries_the_invocations_trace_header(run, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a.png", Body=PNG)
    s3.put_object(Bucket=bucket, Key="b.png", Body=PNG)
    function = run(FUNCTION)
    spans = []
    for n, key in enumerate(["a.png", "b.png"], start=1):
        before = function.seen()
        header = trace(n)              # once: a second boundary between two calls changes it
        result = function.invoke(s3_events.event(s3_events.record(bucket, key)), header)
        assert result.kind == "response", result.body
        spans.append((before, function.seen(), header))
    function.stop()
    for start, end, expected in spans:
        assert end - start >= 3, "observe, write, re-check at least"
        for method, target, headers in function.requests[start:end]:
            assert headers.get("x-amzn-trace-id") == expected, (method, target)
            signed = re.search(r"SignedHeaders=([^,]+)", headers["authorization"]).group(1)
            assert "x-amzn-trace-id" not in signed.split(";"), "sent unsigned, as AWS SDKs do"
    names = [e["name"] for e in json.loads(s3.get_object(Bucket=bucket, Key="images.json")["Body"].read())]
    assert names == ["a.png", "b.png"], "the server took the requests with the header"


def test_no_trace_header_outside_lambda(run, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a.png", Body=PNG)
    function = run({})
    assert function.invoke(s3_events.event(s3_events.record(bucket, "a.png")), trace(7)).kind == "response"
    function.stop()
    assert function.requests, "the proxy saw the function's requests"
    assert all("x-amzn-trace-id" not in headers for _, _, headers in function.requests)


def levelled(lines: list[str]) -> tuple[list[dict], list[dict]]:
    """(JSON log records, EMF documents) of a JSON-format run; fails on any other line."""
    records, documents = [], []
    for line in lines:
        value = json.loads(line)
        (documents if "_aws" in value else records).append(value)
    return records, documents


def test_json_format_levels_fields_and_filtering(run, s3, bucket):
    s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"not an image")
    events = [s3_events.event(s3_events.record(bucket, "notes.txt")),
              s3_events.event(s3_events.record("no-such-bucket-for-telemetry", "x.png"))]
    outputs = {}
    for level in ("INFO", "WARN"):
        function = run({**FUNCTION, "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": level})
        ok = function.invoke(events[0], trace(1))
        failed = function.invoke(events[1], trace(2))
        assert ok.kind == "response" and failed.kind == "error", (ok.body, failed.body)
        outputs[level] = (levelled(function.stop()), ok.id, failed.id)

    (records, documents), ok_id, failed_id = outputs["INFO"]
    for record in records:
        assert RFC3339_MS.match(record["timestamp"]), record
        assert record["level"] in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
        assert isinstance(record["message"], str)
    skip = next(r for r in records if r["message"].startswith("skipped notes.txt"))
    assert skip["level"] == "INFO" and skip["requestId"] == ok_id
    assert skip["key"] == "notes.txt" and skip["reason"].startswith("not an image") and skip["skip"] == "notImage"
    failure = next(r for r in records if r["level"] == "ERROR")
    assert failure["requestId"] == failed_id and failure["errorType"] == "Function.StorageError"
    assert len(documents) == 3, "a cold start and one per invocation"
    assert all(d["level"] == "INFO" and RFC3339_MS.match(d["timestamp"]) for d in documents)

    (records, documents), _, failed_id = outputs["WARN"]
    assert [r["level"] for r in records] == ["ERROR"], "the INFO skip is not written at WARN"
    assert len(documents) == 3, "metrics are never filtered out"
    assert all(d["level"] == "WARN" for d in documents), "stamped so that Lambda's WARN filter keeps them"
    failed_document = next(d for d in documents if d.get("requestId") == failed_id)
    assert failed_document["FailedBuckets"] == 1


def test_text_format_filters_by_level_itself(run, s3, bucket):
    s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"not an image")
    by_level = {}
    for level in ("DEBUG", "ERROR"):
        function = run({"AWS_LAMBDA_LOG_LEVEL": level})
        result = function.invoke(s3_events.event(s3_events.record(bucket, "notes.txt")), trace(3))
        assert result.kind == "response", result.body
        by_level[level] = (function.stop(), result.id)
    lines, request_id = by_level["DEBUG"]
    text = [line.split("\t") for line in lines if not emf_spec.is_emf(line)]
    assert text and all(len(parts) == 4 and RFC3339_MS.match(parts[0]) for parts in text), lines
    assert {parts[2] for parts in text} == {"DEBUG", "INFO"}, "the sync summary and the skip"
    assert all(parts[1] == request_id for parts in text)
    lines, _ = by_level["ERROR"]
    assert [line for line in lines if not emf_spec.is_emf(line)] == [], "nothing at ERROR"
    assert sum(emf_spec.is_emf(line) for line in lines) == 2


def test_emf_meets_the_specification_over_a_big_batch(run, s3, bucket, tmp_path):
    """120 keys in one SQS batch: about 130 S3 requests, so S3Latency has to be cut to 100
    values; every document of the run is checked against the specification."""
    keys = [f"batch/{i:03d}.png" for i in range(120)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=PNG)
    function = run(FUNCTION)
    before = function.seen()
    batch = [s3_events.event(s3_events.record(bucket, key)) for key in keys]
    result = function.invoke(sqs_batch_event(batch), trace(9))
    assert result.kind == "response" and json.loads(result.body) == {"batchItemFailures": []}, result.body
    seen = function.seen() - before
    lines = function.stop()
    documents = [line for line in lines if emf_spec.is_emf(line)]
    assert len(documents) == 2
    now = int(time.time() * 1000)
    for line in documents:
        assert emf_spec.problems(line, now_ms=now) == [], line[:500]
    invocation = json.loads(documents[1])
    assert invocation["S3Requests"] == seen > 100, "the function counted what the server saw"
    assert len(invocation["S3Latency"]) == 100, "cut to EMF's 100 values"
    assert invocation["S3Latency"] == sorted(invocation["S3Latency"]), "the representative values, in order"
    assert invocation["RecordsReceived"] == 120 and invocation["EntriesAdded"] == 120
    assert len(invocation["CatalogLag"]) == 100
    assert invocation["CatalogEntries"] == 120
    assert invocation["FunctionName"] == "imagecat-telemetry-test" and invocation["Handler"] == "catalog"

    log = tmp_path / "copy.log"
    log.write_text("\n".join(lines) + "\n")
    summary = json.loads(run_tool("log_summary", str(log), "--json", check=True).stdout)
    by_name = {m["name"]: m for m in summary["metrics"]}
    assert by_name["EntriesAdded"]["sum"] == 120
    assert by_name["S3Requests"]["sum"] == seen
    assert summary["invalid_documents"] == 0 and summary["cold_starts"] == 1


def test_error_reports_carry_a_bounded_xray_cause(run):
    function = run(FUNCTION)
    result = function.invoke({"Records": [{"eventSource": "aws:s3", "eventVersion": "2.1"}]}, trace(4))
    lines = function.stop()
    assert result.kind == "error" and result.error_type == "Function.InvalidEvent"
    assert result.xray_cause is not None and len(result.xray_cause) <= 2048
    cause = json.loads(result.xray_cause)
    assert cause["exceptions"][0]["type"] == "Function.InvalidEvent"
    assert cause["exceptions"][0]["message"] == json.loads(result.body)["errorMessage"]
    invocation = [json.loads(line) for line in lines if emf_spec.is_emf(line)][-1]
    assert invocation["InvalidEvents"] == 1, "a failed invocation still reports its metrics"

