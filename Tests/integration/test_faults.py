"""Faults: S3 that answers 503 SlowDown and drops connections, runtimes killed mid-invocation,
and a corrupt catalog. The catalog must come out exact, or be left alone.

The fault proxy (imagecat_tools.fault_proxy) sits between the function and the real local S3
server; the runtimes run on the local Runtime API, which hands a dead runtime's invocation to
another one (as Lambda retries).
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from imagecat_tools import s3_events
from imagecat_tools.fault_proxy import FaultProxy, parse_latency
from imagecat_tools.images import make_image
from imagecat_tools.local_runtime_api import LocalRuntimeAPI
from imagecat_tools.storm import StormConfig, audit, format_report, run_storm

from test_storm import STORM_TIMEOUT

CATALOG = "images.json"
KEYS = {"cat one.jpg": "jpg", "a+b=c&d.png": "png", "ünï/фото 1.webp": "webp",
        "deep/nested/x.gif": "gif", "Caps.JPG": "jpg"}


def proxy_client(server, proxy: FaultProxy, **config):
    """A boto3 client that talks to S3 through `proxy` (it signs the proxy's host)."""
    import boto3
    from botocore.config import Config
    options = dict(signature_version="s3v4", s3={"addressing_style": "path"},
                   retries={"total_max_attempts": 1, "mode": "standard"},
                   request_checksum_calculation="when_required",
                   response_checksum_validation="when_required")
    options.update(config)
    return boto3.session.Session().client(
        "s3", endpoint_url=proxy.endpoint, region_name=server.region,
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(**options))


def raw_request(proxy: FaultProxy, method: str, path: str, body: bytes = b"") -> tuple:
    """One unsigned request straight to the proxy: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.request(method, path, body=body or None)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# -- the proxy itself ------------------------------------------------------------------------

def test_proxy_forwards_signed_requests_unchanged_on_kept_alive_connections(s3_server, bucket):
    """No faults: signed requests (SeaweedFS checks the signature against the Host it receives)
    pass, bodies of several MB stream both ways, and connections are reused."""
    with FaultProxy(s3_server.endpoint, seed=1) as proxy:
        s3 = proxy_client(s3_server, proxy)
        big = bytes(range(256)) * (3 * 4096 + 7)   # ~3 MB, not a multiple of any buffer
        s3.put_object(Bucket=bucket, Key="big ü+.bin", Body=big)
        assert s3.get_object(Bucket=bucket, Key="big ü+.bin")["Body"].read() == big
        assert s3.head_object(Bucket=bucket, Key="big ü+.bin")["ContentLength"] == len(big)
        for i in range(20):
            s3.put_object(Bucket=bucket, Key=f"k{i}.jpg", Body=b"x" * (i + 1))
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="k")["KeyCount"]
        counts = proxy.counts()
    assert listed == 20
    assert counts["requests"] == counts["forwarded"] == 24
    assert counts["slowdowns"] == counts["resets"] == 0
    assert counts["connections"] < counts["requests"]  # kept alive


def relayed(proxy, at_least: int) -> int:
    """The proxy's `answer_bytes` once it reaches `at_least`: the proxy counts an answer after
    relaying its last byte, so the client may have read it a moment before (waits up to 10 s)."""
    deadline = time.monotonic() + 10
    while (count := proxy.counts()["answer_bytes"]) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    return count


def test_proxy_counts_the_bytes_it_relays_to_the_client(s3_server, bucket):
    """`answer_bytes`: what the client read from S3, heads included (the bench's bytes per
    page): a whole object, a range of it, a 304 (head only) and a listing."""
    body = bytes(range(256)) * 4000                      # 1,024,000 bytes
    s3_server.boto3_client().put_object(Bucket=bucket, Key="counted.bin", Body=body)
    with FaultProxy(s3_server.endpoint, seed=1) as proxy:
        s3 = proxy_client(s3_server, proxy)
        etag = s3.head_object(Bucket=bucket, Key="counted.bin")["ETag"]
        head_only = relayed(proxy, 1)
        assert 0 < head_only < 2000
        assert s3.get_object(Bucket=bucket, Key="counted.bin")["Body"].read() == body
        whole = relayed(proxy, head_only + len(body) + 1) - head_only
        assert len(body) < whole < len(body) + 2000
        assert len(s3.get_object(Bucket=bucket, Key="counted.bin", Range="bytes=0-65535")["Body"].read()) == 65536
        ranged = relayed(proxy, head_only + whole + 65536 + 1) - head_only - whole
        assert 65536 < ranged < 65536 + 2000
        with pytest.raises(ClientError) as not_modified:
            s3.get_object(Bucket=bucket, Key="counted.bin", IfNoneMatch=etag)
        assert not_modified.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
        before = relayed(proxy, head_only + whole + ranged + 1)
        s3.list_objects_v2(Bucket=bucket)
        assert relayed(proxy, before + 1) > before
    assert before - head_only - whole - ranged < 2000


def test_proxy_delays_every_request_by_its_latency(s3_server, bucket):
    """--latency 10-30: each request waits 10..30 ms before it is forwarded. N requests one
    after another cannot take less than N × 10 ms (a lower bound, so no timing flake); the
    same requests without latency take far less on loopback, so the delay is the proxy's."""
    requests = 20
    with FaultProxy(s3_server.endpoint, seed=1) as plain:
        s3 = proxy_client(s3_server, plain)
        s3.put_object(Bucket=bucket, Key="warm", Body=b"x")  # connection and client set up
        started = time.monotonic()
        for i in range(requests):
            s3.head_object(Bucket=bucket, Key="warm")
        undelayed = time.monotonic() - started
        assert plain.counts()["delayed"] == 0
    with FaultProxy(s3_server.endpoint, seed=1, latency=parse_latency("10-30")) as proxy:
        s3 = proxy_client(s3_server, proxy)
        s3.put_object(Bucket=bucket, Key="warm", Body=b"x")
        started = time.monotonic()
        for i in range(requests):
            s3.head_object(Bucket=bucket, Key="warm")
        delayed = time.monotonic() - started
        counts = proxy.counts()
    assert delayed >= requests * 0.010, f"{requests} requests took {delayed * 1000:.0f} ms"
    assert counts["delayed"] == counts["requests"] == requests + 1
    assert 10 * counts["delayed"] <= counts["latency_ms"] <= 30 * counts["delayed"]
    print(f"{requests} HEADs: {undelayed * 1000:.0f} ms direct, {delayed * 1000:.0f} ms at 10-30 ms")


def test_latency_argument_forms():
    assert parse_latency("10-30") == (10.0, 30.0)
    assert parse_latency("20") == (20.0, 20.0)
    assert parse_latency("0.5-1.5") == (0.5, 1.5)
    for bad in ("30-10", "-5", "ten", "10-", ""):
        with pytest.raises(ValueError, match="latency"):
            parse_latency(bad)


def test_storm_latency_applies_to_the_functions_s3_requests_only(s3_server, bootstrap_path):
    """`--latency` puts the proxy in front of the function only: every request it sees is
    delayed, and none of them is one of the storm's own uploads (those go direct)."""
    result = run_storm(StormConfig(uploads=24, deletes=4, procs=2, max_batch=4, seed=5,
                                   bootstrap=str(bootstrap_path), latency=(10.0, 30.0),
                                   timeout=STORM_TIMEOUT),
                       server=s3_server)
    report = format_report(result)
    print(report)
    faults = result.summary()["faults"]
    assert result.ok, report
    assert faults["requests"] > 0 and faults["delayed"] == faults["requests"]
    assert faults["slowdowns"] == faults["resets"] == 0
    kinds = result.summary()["requests_by_kind"]
    assert kinds and not [k for k in kinds if k.startswith(("PUT object", "DELETE object"))], kinds
    assert result.summary()["latency_ms"] == [10.0, 30.0]
    assert re.search(r"latency: 10-30 ms on each function S3 request \(\d+ delayed, [\d.]+ ms mean", report)


def test_proxy_answers_a_real_looking_slowdown(s3_server, bucket):
    with FaultProxy(s3_server.endpoint, error_rate=1.0, seed=1) as proxy:
        status, headers, body = raw_request(proxy, "GET", f"/{bucket}/x.jpg")
        head_status, head_headers, head_body = raw_request(proxy, "HEAD", f"/{bucket}/x.jpg")
        put_status, _, _ = raw_request(proxy, "PUT", f"/{bucket}/y.jpg", b"abc" * 1000)
        s3 = proxy_client(s3_server, proxy)
        with pytest.raises(ClientError) as caught:
            s3.get_object(Bucket=bucket, Key="x.jpg")
        counts = proxy.counts()
    assert status == 503 and head_status == 503 and put_status == 503
    assert headers["Content-Type"] == "application/xml" and "x-amz-request-id" in headers
    assert re.fullmatch(rb'<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>SlowDown</Code>'
                        rb"<Message>Please reduce your request rate.</Message><RequestId>[0-9A-F]+"
                        rb"</RequestId><HostId>[^<]+</HostId></Error>", body), body
    assert head_body == b""
    assert caught.value.response["Error"]["Code"] == "SlowDown"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert counts["slowdowns"] == counts["requests"] == 4 and counts["forwarded"] == 0


def test_proxy_resets_before_and_after_forwarding(s3_server, bucket):
    """A reset after forwarding means the request took effect although the client saw none."""
    with FaultProxy(s3_server.endpoint, reset_rate=1.0, reset_after_share=1.0, seed=1) as proxy:
        s3 = proxy_client(s3_server, proxy)
        with pytest.raises(ConnectionClosedError):  # the RST, not an S3 error
            s3.put_object(Bucket=bucket, Key="landed.jpg", Body=b"12345")
        after = proxy.counts()
    with FaultProxy(s3_server.endpoint, reset_rate=1.0, reset_after_share=0.0, seed=1) as proxy:
        s3 = proxy_client(s3_server, proxy)
        with pytest.raises(ConnectionClosedError):
            s3.put_object(Bucket=bucket, Key="never.jpg", Body=b"12345")
        before = proxy.counts()
    direct = s3_server.boto3_client()
    assert direct.head_object(Bucket=bucket, Key="landed.jpg")["ContentLength"] == 5
    with pytest.raises(ClientError) as missing:
        direct.head_object(Bucket=bucket, Key="never.jpg")
    assert missing.value.response["Error"]["Code"] == "404"
    assert after["resets_after_forwarding"] == after["forwarded"] == 1
    assert before["resets_before_forwarding"] == 1 and before["forwarded"] == 0


def test_proxy_rates_are_seeded():
    """The same seed gives the same sequence of fates."""
    fates = []
    for _ in range(2):
        proxy = FaultProxy("http://127.0.0.1:9", error_rate=0.2, reset_rate=0.1, seed=42)
        fates.append([proxy._fate() for _ in range(200)])
    assert fates[0] == fates[1]
    assert 20 <= fates[0].count("slowdown") <= 60
    assert 5 <= sum(f.startswith("reset") for f in fates[0]) <= 40


# -- the storm through faults ----------------------------------------------------------------

def test_small_storm_through_faults_is_exact(s3_server, bootstrap_path):
    """10% of the function's S3 requests answered 503 SlowDown, 3% of its connections reset
    (half of those after the server did the work): still exact."""
    result = run_storm(StormConfig(uploads=150, deletes=40, procs=8, max_batch=8, seed=23,
                                   bootstrap=str(bootstrap_path), faults=0.10, resets=0.03,
                                   timeout=STORM_TIMEOUT),
                       server=s3_server)
    print(format_report(result))
    summary = result.summary()
    assert result.ok, format_report(result)
    assert (summary["lost"], summary["duplicated"], summary["resurrected"], summary["stale"]) \
        == (0, 0, 0, 0)
    faults = summary["faults"]
    assert faults["slowdowns"] > 0 and faults["resets_before_forwarding"] > 0 \
        and faults["resets_after_forwarding"] > 0, faults


def test_small_storm_with_runtimes_killed_is_exact(s3_server, bootstrap_path):
    """Three runtimes SIGKILLed at random points of the storm, replacements started: still
    exact. A random victim is often idle on /next (in about half of the runs none of the three
    held an invocation); killing one mid-invocation, at chosen points of a write, is what the
    tests below do, deterministically."""
    result = run_storm(StormConfig(uploads=150, deletes=40, procs=8, max_batch=8, seed=29,
                                   bootstrap=str(bootstrap_path), kill=3, delivery="mixed",
                                   timeout=STORM_TIMEOUT),
                       server=s3_server)
    print(format_report(result))
    assert result.summary()["kills"] == 3
    assert result.ok, format_report(result)


# -- SIGKILL at chosen points ----------------------------------------------------------------

class Harness:
    """One bucket, images uploaded, a fault proxy, and the local Runtime API."""

    def __init__(self, s3_server, bucket, bootstrap_path, proxy: FaultProxy):
        self.s3 = s3_server.boto3_client()
        self.bucket = bucket
        self.records = {}
        self.expected = {}
        for i, (key, fmt) in enumerate(KEYS.items()):
            body = make_image(fmt, 10 + i, 20 + i, 200 + i, i)
            etag = self.s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]
            self.records[key] = s3_events.record(bucket, key, size=len(body), etag=etag)
            self.expected[key] = (fmt, 10 + i, 20 + i)
        self.api = LocalRuntimeAPI(function_timeout=30.0).start()
        self.env = s3_server.child_env()
        self.env.update({"AWS_ENDPOINT_URL_S3": proxy.endpoint, "_HANDLER": "catalog"})
        self.command = [str(bootstrap_path)]

    def spawn(self) -> subprocess.Popen:
        return self.api.spawn(self.command, n=1, env=self.env, stderr=subprocess.DEVNULL)[0]

    def event(self, keys) -> str:
        return self.api.enqueue(s3_events.event(*(self.records[k] for k in keys)))

    def catalog_bytes(self) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=CATALOG)["Body"].read()

    def assert_valid_catalog(self) -> list:
        entries = json.loads(self.catalog_bytes())
        assert isinstance(entries, list)
        for entry in entries:
            assert isinstance(entry["name"], str) and isinstance(entry["type"], str)
            assert type(entry["size"]) is int and isinstance(entry["etag"], str)
        return entries


def wait_until(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(0.005)


def test_sigkill_while_in_retry_backoff_then_redelivery_is_exact(s3_server, bucket, bootstrap_path):
    """The runtime gets an event, S3 answers 503 to everything, and while it is backing off
    between retries (after its second 503) it is SIGKILLed. The catalog is untouched and valid; the invocation goes to a new
    runtime once S3 recovers, and the catalog ends exact."""
    with FaultProxy(s3_server.endpoint, seed=5) as proxy:
        h = Harness(s3_server, bucket, bootstrap_path, proxy)
        try:
            first = h.spawn()
            keys = list(KEYS)
            assert h.api.wait_for(h.event(keys[:2]), timeout=20).kind == "response"
            before = h.catalog_bytes()
            proxy.error_rate = 1.0
            victim_id = h.event(keys[2:])
            wait_until(lambda: proxy.counts()["slowdowns"] >= 2, what="two 503s to the runtime")
            first.send_signal(signal.SIGKILL)
            first.wait()
            assert h.catalog_bytes() == before
            assert {e["name"] for e in h.assert_valid_catalog()} == set(keys[:2])
            proxy.error_rate = 0.0
            h.spawn()
            result = h.api.wait_for(victim_id, timeout=30)
        finally:
            h.api.stop()
    assert result.kind == "response", result.body
    assert result.attempts == 2  # delivered again after the crash
    found = audit(h.s3, bucket, h.expected)
    assert found.exact and found.catalog_entries == len(KEYS), found


def test_sigkill_after_the_catalog_write_landed_then_redelivery_is_exact(
        s3_server, bucket, bootstrap_path):
    """The runtime's conditional PUT of images.json reaches S3 and succeeds, and the runtime is
    SIGKILLed before it reads the answer. The catalog is the new valid one; the redelivered
    invocation finds nothing left to do and the catalog stays exact."""
    landed = threading.Event()
    release = threading.Event()

    def hold_catalog_write(method: str, target: str, status: int) -> None:
        if method == "PUT" and target.split("?")[0].endswith("/" + CATALOG) and status == 200:
            landed.set()
            release.wait(20)

    with FaultProxy(s3_server.endpoint, seed=5, on_answer=hold_catalog_write) as proxy:
        h = Harness(s3_server, bucket, bootstrap_path, proxy)
        try:
            victim = h.spawn()
            victim_id = h.event(KEYS)
            assert landed.wait(20), "the runtime never wrote the catalog"
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            release.set()
            written = h.catalog_bytes()
            assert {e["name"] for e in h.assert_valid_catalog()} == set(KEYS)
            h.spawn()
            result = h.api.wait_for(victim_id, timeout=30)
        finally:
            release.set()
            h.api.stop()
    assert result.kind == "response", result.body
    assert result.attempts == 2
    assert json.loads(result.body)["catalogWrites"] == 0  # the redelivery changed nothing
    assert h.catalog_bytes() == written
    found = audit(h.s3, bucket, h.expected)
    assert found.exact and found.catalog_entries == len(KEYS), found


def test_a_catalog_write_landed_then_resent_by_libcurl_is_re_checked(s3_server, bucket, bootstrap_path):
    """A writer observes a key; the key is uploaded again and another writer catalogs the new
    version; then the first writer's conditional PUT of images.json (the key's older entry)
    lands, and its kept-alive connection is reset before the answer. libcurl sends the PUT again
    on a fresh connection by itself and gets the 412 of the writer's own write. The writer must
    count that as a retry (its write may have landed), re-check the key and write its current
    entry: it did not, and the key stayed stale (a fault storm under load found it). (Had the
    client retried by itself, on a fresh connection, the outcome must be the same.)"""
    key, fmt = next(iter(KEYS.items()))
    lock = threading.Lock()
    observed, release = threading.Event(), threading.Event()
    state = {"phase": "observe", "puts_after_reset": [], "held_out": False}

    def hook(method: str, target: str, status: int) -> str | None:
        path = urllib.parse.unquote(target.split("?")[0])
        with lock:
            phase = state["phase"]
            if phase == "observe" and method == "GET" and path.endswith("/" + key):
                state["phase"] = "held"
            elif phase == "armed" and method == "PUT" and path.endswith("/" + CATALOG) and status == 200:
                state["phase"] = "reset"
                return "reset"
            elif phase == "reset" and method == "PUT" and path.endswith("/" + CATALOG):
                state["puts_after_reset"].append(status)
                return None
            else:
                return None
        observed.set()                       # the first writer's observation of the key: held
        if not release.wait(60):
            with lock:
                state["held_out"] = True
        return None

    with FaultProxy(s3_server.endpoint, seed=5, on_answer=hook) as proxy:
        h = Harness(s3_server, bucket, bootstrap_path, proxy)
        try:
            h.spawn()
            first_id = h.event(list(KEYS))
            assert observed.wait(20), "the first writer never observed the key"
            body = make_image(fmt, 30, 40, 300, 9)
            etag = h.s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]
            h.records[key] = s3_events.record(bucket, key, size=len(body), etag=etag)
            h.expected[key] = (fmt, 30, 40)
            h.spawn()
            second = h.api.wait_for(h.event([key]), timeout=20)
            assert second.kind == "response", second.body
            assert {e["name"]: e["etag"] for e in h.assert_valid_catalog()} == {key: etag.strip('"')}
            with lock:
                state["phase"] = "armed"
            release.set()
            first = h.api.wait_for(first_id, timeout=30)
            assert first.kind == "response" and first.attempts == 1, first.body
        finally:
            release.set()
            h.api.stop()
    assert not state["held_out"], "the hold ran out before the second writer was done"
    assert state["phase"] == "reset", "the first writer's catalog write never landed"
    found = audit(h.s3, bucket, h.expected)
    assert found.exact and found.catalog_entries == len(KEYS), found
    assert state["puts_after_reset"] == [412, 200], state    # the resend's 412, then the key's current entry


# -- a corrupt catalog -----------------------------------------------------------------------

CORRUPT = b'[{"name":"a.jpg"'


def test_corrupt_catalog_is_never_overwritten(s3_server, bucket, bootstrap_path):
    """A truncated images.json fails the invocation with Function.CorruptCatalog, naming the
    bucket, the key and the position; under SQS the messages come back as failures. Either way
    the object's bytes are exactly what they were."""
    s3 = s3_server.boto3_client()
    s3.put_object(Bucket=bucket, Key=CATALOG, Body=CORRUPT)
    image = make_image("jpg", 4, 4, 100, 0)
    etag = s3.put_object(Bucket=bucket, Key="a.jpg", Body=image)["ETag"]
    record = s3_events.record(bucket, "a.jpg", size=len(image), etag=etag)
    env = s3_server.child_env()
    env["_HANDLER"] = "catalog"
    with LocalRuntimeAPI(function_timeout=30.0) as api:
        api.spawn([str(bootstrap_path)], n=1, env=env, stderr=subprocess.DEVNULL)
        direct = api.wait_for(api.enqueue(s3_events.event(record)), timeout=20)
        sqs = api.wait_for(api.enqueue_sqs_batch([s3_events.event(record)]), timeout=20)
    assert direct.kind == "error" and direct.error_type == "Function.CorruptCatalog", direct.body
    error = direct.json()
    assert error["errorType"] == "Function.CorruptCatalog"
    message = error["errorMessage"]
    assert f"s3://{bucket}/{CATALOG}" in message, message
    assert f"offset {len(CORRUPT)}" in message and "line 1" in message, message
    assert sqs.kind == "response"
    sent = sqs.json()
    assert len(sent["batchItemFailures"]) == 1, sent
    assert s3.get_object(Bucket=bucket, Key=CATALOG)["Body"].read() == CORRUPT
