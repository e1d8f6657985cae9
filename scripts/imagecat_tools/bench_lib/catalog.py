"""Catalog figures against a real local S3 server: events per second at several catalog
sizes (with peak RSS), and S3 requests per invocation counted by method.

Both peers run against the same server in the same run, each in its own bucket, one process
at a time, fed through the project's local Runtime API (its ~0.1-0.6 ms per invocation is
small next to a catalog update's S3 round trips, and both peers pay it alike).

Each run: the bucket's images.json is seeded with N synthetic entries in the lab's shape
({"name","type","size"}), a fresh runtime process takes one warm-up event (first connection,
lazy initialisation), then E single-record events for distinct, really uploaded small PNGs
are queued at once and the clock runs until the last result. Every event adds one entry, so
every event is a full read-modify-write of a catalog of N..N+E entries. Afterwards the catalog
is read back and must hold exactly N + E + 1 entries.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from .. import s3_events
from ..fault_proxy import FaultProxy, request_kind
from ..images import png
from ..local_runtime_api import LocalRuntimeAPI
from . import procfs

CATALOG_KEY = "images.json"


class CatalogBenchError(RuntimeError):
    """A catalog run went wrong: an invocation failed, or the catalog is not what it must be."""


@dataclass(frozen=True)
class Runner:
    """A runtime to start for catalog runs: argv and extra environment."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ThroughputRun:
    peer: str
    size: int
    events: int
    seconds: float
    peak_rss_kb: int
    entries_after: int
    cpu_us: float
    """The runtime process's own CPU time over the timed events, from schedstat where it is
    complete (ns resolution: a few events would be 0 or 1 clock tick of utime + stime)."""
    server_cpu_us: float | None
    """The S3 server's CPU time over the same events (it shares the machine's cores)."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_ms_per_event(self) -> float:
        return self.cpu_us / self.events / 1000

    @property
    def server_cpu_ms_per_event(self) -> float | None:
        return None if self.server_cpu_us is None else self.server_cpu_us / self.events / 1000


@dataclass
class RequestCount:
    peer: str
    case: str
    records: int
    by_kind: dict[str, int]
    seconds: float = 0.0
    """The invocation's wall time (with latency: how many round trips it waited, one after
    another)."""

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def seeded_catalog(entries: int) -> bytes:
    """N entries in the lab's shape, as the lab's Node function writes them (compact JSON)."""
    return json.dumps([{"name": f"seed/{i:06d}.png", "type": "png", "size": 1000 + i % 9000}
                       for i in range(entries)], separators=(",", ":")).encode()


class CatalogBench:
    """Owns the buckets, the uploaded objects and a local Runtime API for one benchmark run."""

    def __init__(self, server, runners: list[Runner], objects: int,
                 latency: tuple[float, float] | None = None):
        self.server = server
        self.latency = latency
        """(min, max) ms on each of the runtime's S3 requests, through the fault proxy (seeding
        and checking go to the server directly); None: straight to the server."""
        self.s3 = server.boto3_client()
        self.runners = runners
        self.api = LocalRuntimeAPI(function_timeout=300.0).start()
        self.buckets: dict[str, str] = {}
        self.objects: dict[str, list[tuple[str, int, str]]] = {}
        for runner in runners:
            bucket = f"bench-{runner.name.replace('_', '-')}-{uuid.uuid4().hex[:8]}".lower()
            self.s3.create_bucket(Bucket=bucket)
            self.buckets[runner.name] = bucket
            self.objects[runner.name] = self._upload(bucket, objects)

    def close(self) -> None:
        self.api.stop()

    def _upload(self, bucket: str, count: int) -> list[tuple[str, int, str]]:
        """Uploads `count` PNGs; returns (key, size, etag) for each, in key order."""
        uploaded = []
        for i in range(count):
            key = f"uploads/img-{i:05d}.png"
            body = png(16 + i % 64, 9 + i % 32) + i.to_bytes(8, "big") * 8  # a distinct ETag each
            etag = self.s3.put_object(Bucket=bucket, Key=key, Body=body,
                                      ContentType="image/png")["ETag"]
            uploaded.append((key, len(body), etag))
        return uploaded

    def _event(self, bucket: str, objects: list[tuple[str, int, str]]) -> bytes:
        return json.dumps(s3_events.event(*(s3_events.record(bucket, key, size=size, etag=etag)
                                            for key, size, etag in objects))).encode()

    def _spawn(self, runner: Runner, endpoint: str | None = None) -> subprocess.Popen:
        env = self.server.child_env()
        env.update(runner.env)
        env["_HANDLER"] = "catalog"
        env["AWS_LAMBDA_RUNTIME_API"] = self.api.address
        if endpoint:
            env["AWS_ENDPOINT_URL_S3"] = endpoint
        # stderr to a file, not a pipe: a runtime that logs every invocation would fill a pipe
        # nobody reads and block.
        log = tempfile.TemporaryFile()
        process = subprocess.Popen(runner.argv, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=log)
        process.log = log
        return process

    def _invoke(self, runner: Runner, process: subprocess.Popen, events: list[bytes],
                timeout: float) -> float:
        """Queues `events` at once and waits for all; returns the seconds it took."""
        started = time.perf_counter()
        ids = [self.api.enqueue(event, trace_id=None) for event in events]
        try:
            results = self.api.wait_for(ids, timeout=timeout)
        except TimeoutError as error:
            raise CatalogBenchError(f"{runner.name}: {error}{_stderr_tail(process)}") from None
        seconds = time.perf_counter() - started
        for result in results:
            if result.kind != "response":
                raise CatalogBenchError(f"{runner.name}: invocation ended {result.kind} "
                                        f"{result.error_type}: {result.body[:400]!r}"
                                        f"{_stderr_tail(process)}")
        return seconds

    def _server_sample(self) -> procfs.ProcessSample | None:
        """The S3 server's counters, when it is one process we know (`weed mini` is)."""
        return procfs.sample_if_running(getattr(self.server, "pid", None))

    def _seeded(self, runner: Runner, entries: int, needed: int) -> tuple[str, list[tuple[str, int, str]]]:
        """`runner`'s bucket with a catalog of `entries` seeded entries, and its uploaded objects
        (at least `needed` of them)."""
        bucket = self.buckets[runner.name]
        objects = self.objects[runner.name]
        if needed > len(objects):
            raise ValueError(f"this run needs {needed} uploaded objects, have {len(objects)}")
        self.s3.put_object(Bucket=bucket, Key=CATALOG_KEY, Body=seeded_catalog(entries),
                           ContentType="application/json")
        return bucket, objects

    def throughput(self, runner: Runner, size: int, events: int) -> ThroughputRun:
        """One run: seed a catalog of `size` entries, one warm-up event, then `events` timed
        single-record events for objects not yet in the catalog."""
        bucket, objects = self._seeded(runner, size, needed=events + 1)
        payloads = [self._event(bucket, [obj]) for obj in objects[:events + 1]]
        with contextlib.ExitStack() as stack:
            endpoint = None
            if self.latency is not None:
                endpoint = stack.enter_context(FaultProxy(self.server.endpoint, latency=self.latency)).endpoint
            return self._timed_run(runner, bucket, objects, size, events, payloads, endpoint)

    def _timed_run(self, runner: Runner, bucket: str, objects: list[tuple[str, int, str]], size: int,
                   events: int, payloads: list[bytes], endpoint: str | None) -> ThroughputRun:
        process = self._spawn(runner, endpoint=endpoint)
        try:
            self._invoke(runner, process, payloads[:1], timeout=120)
            before = procfs.sample(process.pid)
            server_before = self._server_sample()
            seconds = self._invoke(runner, process, payloads[1:], timeout=120 + 10 * events)
            after = procfs.sample(process.pid)
            server_after = self._server_sample()
        finally:
            _stop(process)
        entries = json.loads(self.s3.get_object(Bucket=bucket, Key=CATALOG_KEY)["Body"].read())
        names = {entry["name"] for entry in entries}
        missing = [key for key, _, _ in objects[:events + 1] if key not in names]
        if len(entries) != size + events + 1 or missing:
            raise CatalogBenchError(f"{runner.name}: catalog of {size} + {events + 1} events has "
                                    f"{len(entries)} entries; missing {missing[:5]}")
        return ThroughputRun(peer=runner.name, size=size, events=events, seconds=seconds,
                             peak_rss_kb=after.vm_hwm_kb, entries_after=len(entries),
                             cpu_us=procfs.cpu_us_between(before, after),
                             server_cpu_us=None if server_before is None or server_after is None
                             else procfs.cpu_us_between(server_before, server_after))

    def request_counts(self, runner: Runner, batch: int, proxy_class,
                       seed_entries: int = 1000) -> list[RequestCount]:
        """S3 requests per invocation, by kind, through a counting proxy: one record for a new
        key, `batch` records for new keys, then the same `batch` records delivered again."""
        bucket, objects = self._seeded(runner, seed_entries, needed=batch + 2)
        counted: Counter = Counter()
        lock = threading.Lock()

        def on_answer(method: str, target: str, status: int) -> None:
            with lock:
                counted[request_kind(method, target, status, CATALOG_KEY)] += 1

        cases = [("warm-up", objects[:1]), ("1 new key", objects[1:2]),
                 (f"{batch} new keys", objects[2:batch + 2]),
                 (f"same {batch} again", objects[2:batch + 2])]
        counts = []
        with proxy_class(self.server.endpoint, on_answer=on_answer, latency=self.latency) as proxy:
            process = self._spawn(runner, endpoint=proxy.endpoint)
            try:
                for case, chosen in cases:
                    with lock:
                        counted.clear()
                    seconds = self._invoke(runner, process, [self._event(bucket, chosen)], timeout=300)
                    if case != "warm-up":
                        with lock:
                            counts.append(RequestCount(runner.name, case, len(chosen), dict(counted),
                                                       seconds))
            finally:
                _stop(process)
        return counts


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.log.close()


def _stderr_tail(process: subprocess.Popen) -> str:
    process.log.seek(0)
    text = process.log.read()[-1500:].decode(errors="replace")
    state = "running" if process.poll() is None else f"exited with {process.returncode}"
    return f"\nruntime ({state}) stderr:\n{text}"
