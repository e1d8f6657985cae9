"""The API's pages at big catalog sizes (issue 17), against a real local S3 server, each runtime
in fresh processes, S3 optionally far away (`latency`) and each process optionally in a box
shaped like a Lambda environment (`box_mb`: memory limit and CPU share, `lambda_box.LambdaBox`).

One bucket per size, preloaded once (`big_catalog.preload`, one entry in `size // RARE_COUNT` a
`gif`), then indexed by imagecat's catalog function taking one S3 event for one really uploaded
PNG: every runtime reads the same bucket. Per process (`PagesBench.measure`), one after another:

1. the first page, `GET /images?limit=100`: queued before the process is spawned, timed from
   the spawn to the answer (what a cold API function costs its first caller);
2. later pages: walks of `WALK` pages following `nextCursor`, from random starting names across
   the catalog, in name order and in `order=name-desc`;
3. `GET /images/{name}` for random names;
4. a `type` filter followed through `nextCursor` to its end: `png` (only the bench's uploads,
   at the end of the name order) and `gif` (RARE_COUNT entries spread over the catalog);
5. a page after the catalog changed (the catalog function adds one upload first): the page
   that follows a cursor near the end, which must then hold the new entry.

Every answer is checked against the truth (the preloaded names plus the uploads, in name order):
a figure from a wrong answer is worse than none. Per request: wall ms (the invocation's duration
from `/next` to `/response`; spawn → answer for the first page), the process's CPU (schedstat),
the S3 requests and bytes it read (counted by the fault proxy, which also adds the latency), and
the S3 server's CPU. The process's peak RSS (VmHWM) at the end, and with a box its peak memory,
limit hits, OOM kills and CPU throttling. A process that dies (a box's OOM killer) or does not
answer within `cap` seconds ends its run: that is reported as a result, not an error.

How a runtime spells a cursor is its own business; the bench needs it only to start walks at
random names (`cursor_for`): imagecat's is base64url of `1:` + the name, the peer's base64url of
the name.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from .. import s3_events
from ..big_catalog import RARE_TYPE, is_rare, preload
from ..fault_proxy import FaultProxy, request_kind
from ..images import png
from ..lambda_box import LambdaBox
from ..local_api import build_event
from ..local_runtime_api import LocalRuntimeAPI
from . import procfs
from .report import PYTHON_PEER, median, percentile

CATALOG_KEY = "images.json"
LIMIT = 100
WALK = 5
"""Pages per walk: a random starting name, then `nextCursor` four times."""
RARE_COUNT = 100
"""gif entries spread over every preloaded catalog, whatever its size."""
MAX_TYPE_REQUESTS = 400
"""A type walk longer than this is a bug (imagecat answers ≥ 1 match per 16 blocks)."""
CLAIMS = {"sub": "auth0|pages-bench"}
SETUP_TIMEOUT = 900.0
"""The catalog function's writes: indexing a preloaded catalog took 3.5–4.4 s at 1,000,000
entries on the quiet 2-core machine (it reads all 184 MB; SeaweedFS copies ~180 MB for the
splice), a later one-upload write less; far more on a busy machine or a bigger catalog."""


class PagesBenchError(RuntimeError):
    """The bench cannot go on: a wrong answer, or the catalog function failed."""


class _Ended(Exception):
    """The process under test died or gave no answer within the cap: its run ends here."""


def cursor_for(runtime: str, name: str) -> str:
    """The cursor `runtime` would answer after serving `name`."""
    text = name if runtime == PYTHON_PEER else "1:" + name
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@dataclass
class Request:
    """One measured API request."""

    what: str
    """"first", "page", "page desc", "lookup", "type png", "type gif" or "after change"."""
    ms: float
    cpu_ms: float
    s3_requests: int
    s3_bytes: int
    body_bytes: int
    """The API answer's body: the entries' bytes, as a client gets them."""
    server_cpu_ms: float | None
    kinds: dict[str, int] = field(default_factory=dict)
    """The S3 requests by kind (`fault_proxy.request_kind`)."""


@dataclass
class ProcessRun:
    """One fresh process of one runtime: its requests, memory, and how it ended."""

    runtime: str
    round: int
    requests: list[Request] = field(default_factory=list)
    peak_rss_kb: int | None = None
    """The process's peak RSS: VmHWM at its last sample (after its last answer). Not wait4's
    ru_maxrss, which also holds the forked copy of this (big) process before the exec."""
    cpu_ms_total: float | None = None
    """The process's whole CPU time (wait4's rusage), also when it was killed."""
    seconds: float = 0.0
    box: dict | None = None
    ended: str | None = None
    """Why it stopped before the end (killed, no answer within the cap); None: it did it all."""
    exit_code: int | None = None


@dataclass
class Plan:
    """What one round asks, the same of every runtime: starting names and names to look up."""

    ascending: list[str]
    descending: list[str]
    lookups: list[str]


class PagesBench:
    """One catalog size: its bucket, its truth, the catalog function that changes it, and the
    measured processes. `close()` stops what it started (the bucket stays until the server
    goes)."""

    def __init__(self, server, size: int, catalog_argv: list[str], *, latency=None,
                 box_mb: int | None = None, cap: float = 120.0, progress=lambda message: None):
        self.server = server
        self.size = size
        self.latency = latency
        self.box_mb = box_mb
        self.cap = cap
        self.progress = progress
        self.s3 = server.boto3_client()
        self.bucket = f"bench-pages-{size}-{os.urandom(4).hex()}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.rare_every = max(1, size // RARE_COUNT)
        started = time.monotonic()
        self.truth = preload(self.s3, self.bucket, size, keep_names_every=1, rare_every=self.rare_every)
        self.preload_s = time.monotonic() - started
        if any(a.encode() >= b.encode() for a, b in zip(self.truth, self.truth[1:])):
            raise PagesBenchError("the preloaded names do not rise strictly as UTF-8 bytes")
        self.gifs = [name for i, name in enumerate(self.truth) if is_rare(i, self.rare_every)]
        self.pngs: list[str] = []
        self._uploads = 0
        self.catalog_api = LocalRuntimeAPI(function_timeout=SETUP_TIMEOUT).start()
        self.catalog_api.spawn(catalog_argv, env={**server.child_env(), "_HANDLER": "catalog",
                                                  "CATALOG_BUCKET": self.bucket},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        self.change()                                   # indexes the preloaded catalog
        self.index_s = time.monotonic() - started
        head = self.s3.head_object(Bucket=self.bucket, Key=CATALOG_KEY)
        etag = head["ETag"].strip('"')
        try:
            index = self.s3.get_object(Bucket=self.bucket, Key=f"{CATALOG_KEY}.index/{etag}")["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            raise PagesBenchError(f"the catalog function wrote no index for {etag}") from None
        self.facts = {"entries": size, "catalog_bytes": head["ContentLength"], "index_bytes": len(index),
                      "blocks": len(json.loads(index)["blocks"]), "gifs": len(self.gifs),
                      "preload_s": round(self.preload_s, 1), "index_s": round(self.index_s, 1)}

    def close(self) -> None:
        self.catalog_api.stop()

    # -- the catalog -------------------------------------------------------------------------

    def change(self) -> str:
        """Uploads one PNG and has the catalog function add it (it sorts after every preloaded
        name); returns its name, now part of the truth."""
        self._uploads += 1
        key = f"images/uploads/{time.time_ns():020d}/bench {self._uploads}.png"
        body = png(4, 3) + self._uploads.to_bytes(8, "big")
        etag = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="image/png")["ETag"]
        record = s3_events.record(self.bucket, key, size=len(body), etag=etag)
        invocation = self.catalog_api.enqueue_sqs_batch([json.dumps({"Records": [record]})])
        result = self.catalog_api.wait_for(invocation, timeout=SETUP_TIMEOUT)
        if result.kind != "response" or json.loads(result.body) != {"batchItemFailures": []}:
            raise PagesBenchError(f"the catalog function did not add {key}: {result.kind} {result.body[:400]!r}")
        bisect.insort(self.truth, key)
        self.pngs.append(key)
        return key

    def plan(self, round_number: int, pages: int, lookups: int) -> Plan:
        """Random starting names (far enough from the ends for a whole walk) and lookups, the
        same for every runtime of the round."""
        rng = random.Random(f"pages-{self.size}-{round_number}")
        walks = max(1, -(-pages // WALK))
        span = WALK * LIMIT
        top = max(1, self.size - span)
        return Plan(ascending=[self.truth[rng.randrange(0, top)] for _ in range(walks)],
                    descending=[self.truth[min(self.size - 1, span + rng.randrange(0, top))] for _ in range(walks)],
                    lookups=[self.truth[rng.randrange(0, self.size)] for _ in range(lookups)])

    # -- one process ---------------------------------------------------------------------------

    def measure(self, name: str, argv: list[str], round_number: int, plan: Plan, pages: int) -> ProcessRun:
        run = ProcessRun(runtime=name, round=round_number)
        kinds: Counter = Counter()
        lock = threading.Lock()

        def on_answer(method: str, target: str, status: int) -> None:
            with lock:
                kinds[request_kind(method, target, status, CATALOG_KEY)] += 1

        finished: dict[str, float] = {}
        with contextlib.ExitStack() as stack:
            proxy = stack.enter_context(FaultProxy(self.server.endpoint, latency=self.latency, on_answer=on_answer))
            api = LocalRuntimeAPI(function_timeout=self.cap, requeue_on_crash=False,
                                  on_result=lambda result: finished.setdefault(result.id, time.perf_counter()))
            api.start()
            stack.callback(api.stop)
            box = stack.enter_context(LambdaBox(self.box_mb)) if self.box_mb else None
            env = self.server.child_env()
            env.update({"_HANDLER": "api", "CATALOG_BUCKET": self.bucket, "AWS_ENDPOINT_URL_S3": proxy.endpoint,
                        "AWS_LAMBDA_RUNTIME_API": api.address})
            log = stack.enter_context(tempfile.TemporaryFile())
            session = _Session(self, api, proxy, kinds, lock, finished, log)
            first = api.enqueue(_event("/images", f"limit={LIMIT}"), trace_id=None)
            session.mark()
            spawned = time.perf_counter()
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=log, preexec_fn=box.join if box else None)
            session.process = process
            try:
                try:
                    self._steps(session, run, first, spawned, plan, pages)
                except _Ended as ended:
                    run.ended = f"{ended} ({time.perf_counter() - spawned:.1f} s after the spawn)"
            finally:
                run.seconds = time.perf_counter() - spawned
                run.peak_rss_kb = session.peak_kb or None
                run.exit_code, run.cpu_ms_total = _reap(process)
                if box is not None:
                    run.box = box.stats()
            if run.ended and run.box and run.box["oom_kills"]:
                run.ended += f"; the box's OOM killer struck ({self.box_mb} MB)"
        return run

    def _steps(self, session: "_Session", run: ProcessRun, first: str, spawned: float, plan: Plan, pages: int) -> None:
        reply, request = session.finish("first", first, started=spawned)
        self._check(run.runtime, "the first page", reply, self.truth[:LIMIT])
        run.requests.append(request)
        for order, starts in (("page", plan.ascending), ("page desc", plan.descending)):
            done = 0
            for start in starts:
                cursor = cursor_for(run.runtime, start)
                after = start
                for _ in range(WALK):
                    if done == pages:
                        break
                    query = f"limit={LIMIT}&cursor={cursor}" + ("&order=name-desc" if order == "page desc" else "")
                    reply, request = session.ask(order, "/images", query)
                    self._check(run.runtime, f"a page after {after!r}", reply, self._after(after, order == "page desc"))
                    run.requests.append(request)
                    done += 1
                    if not reply["nextCursor"]:
                        break
                    cursor, after = reply["nextCursor"], reply["images"][-1]["name"]
        for name in plan.lookups:
            reply, request = session.ask("lookup", "/images/" + name, "")
            if reply.get("name") != name:
                raise PagesBenchError(f"{run.runtime}: GET /images/{name} answered {json.dumps(reply)[:300]}")
            run.requests.append(request)
        for kind, expected in (("png", self.pngs), (RARE_TYPE, self.gifs)):
            served, cursor = [], None
            for _ in range(MAX_TYPE_REQUESTS):
                reply, request = session.ask(f"type {kind}", "/images", f"type={kind}&limit={LIMIT}"
                                             + (f"&cursor={cursor}" if cursor else ""))
                run.requests.append(request)
                served += [entry["name"] for entry in reply["images"]]
                cursor = reply["nextCursor"]
                if not cursor:
                    break
            if served != expected:
                raise PagesBenchError(f"{run.runtime}: type={kind} served {len(served)} entries, "
                                      f"expected {len(expected)}: {served[:3]} vs {expected[:3]}")
        before = self.truth[-(LIMIT // 2 + 1)]
        added = self.change()
        reply, request = session.ask("after change", "/images", f"limit={LIMIT}&cursor={cursor_for(run.runtime, before)}")
        self._check(run.runtime, "the page after a change", reply, self._after(before, False))
        if added not in {entry["name"] for entry in reply["images"]}:
            raise PagesBenchError(f"{run.runtime}: the page after a change lacks the new {added!r}")
        run.requests.append(request)

    def _after(self, name: str, descending: bool) -> list[str]:
        """The truth's page after (before, descending) `name`."""
        if descending:
            i = bisect.bisect_left(self.truth, name)
            return self.truth[max(0, i - LIMIT):i][::-1]
        i = bisect.bisect_right(self.truth, name)
        return self.truth[i:i + LIMIT]

    @staticmethod
    def _check(runtime: str, what: str, reply: dict, expected: list[str]) -> None:
        served = [entry["name"] for entry in reply.get("images", [])]
        if served != expected:
            raise PagesBenchError(f"{runtime}: {what} served {len(served)} names, expected {len(expected)}: "
                                  f"{served[:2]}…{served[-1:]} vs {expected[:2]}…{expected[-1:]}")


class _Session:
    """One process under test and the counters around it."""

    def __init__(self, bench: PagesBench, api: LocalRuntimeAPI, proxy: FaultProxy, kinds: Counter,
                 lock: threading.Lock, finished: dict[str, float], log):
        self.bench, self.api, self.proxy, self.kinds, self.lock = bench, api, proxy, kinds, lock
        self.finished, self.log = finished, log
        self.process: subprocess.Popen | None = None
        self._cpu: procfs.ProcessSample | None = None
        self.peak_kb = 0
        """The highest VmHWM sampled (the process's peak RSS so far)."""

    def mark(self) -> None:
        """Reads the counters a request is measured from (the process is idle, or not yet born)."""
        counts = self.proxy.counts()
        self._s3 = (counts["forwarded"], counts["answer_bytes"])
        with self.lock:
            self._kinds = Counter(self.kinds)
        self._server = procfs.sample_if_running(self.bench.server.pid)
        if self.process is not None:
            self._cpu = procfs.sample(self.process.pid)

    def ask(self, what: str, path: str, query: str) -> tuple[dict, Request]:
        self.mark()
        return self.finish(what, self.api.enqueue(_event(path, query), trace_id=None))

    def finish(self, what: str, invocation: str, started: float | None = None) -> tuple[dict, Request]:
        """Waits for `invocation`, then until the process polls `/next` again (idle), and
        measures the request from the last `mark()`."""
        result = self._wait(invocation)
        while invocation not in self.finished:      # on_result runs just after wait_for wakes
            time.sleep(0.0002)
        try:
            self.api.wait_for_waiting(1, timeout=self.bench.cap)
            after = procfs.sample(self.process.pid)
            self.peak_kb = max(self.peak_kb, after.vm_hwm_kb)
        except (TimeoutError, procfs.ProcessGone):
            raise _Ended(f"{what}: answered, then stopped polling for the next invocation{self._tail()}") from None
        counts = self.proxy.counts()
        server = procfs.sample_if_running(self.bench.server.pid)
        with self.lock:
            kinds = dict(Counter(self.kinds) - self._kinds)
        answer = json.loads(result.body)
        if answer.get("statusCode") != 200:
            raise PagesBenchError(f"{what}: answered {answer.get('statusCode')}: {str(answer.get('body'))[:300]}")
        ms = (self.finished[invocation] - started) * 1000 if started is not None else result.duration * 1000
        if self._cpu is None:
            cpu_us = procfs.cpu_us_between(procfs.ProcessSample(0, 0, 0, 0, after.threads, 0), after)
        else:
            cpu_us = procfs.cpu_us_between(self._cpu, after)
        request = Request(what=what, ms=ms, cpu_ms=cpu_us / 1000, s3_requests=counts["forwarded"] - self._s3[0],
                          s3_bytes=counts["answer_bytes"] - self._s3[1], body_bytes=len(answer["body"].encode()),
                          server_cpu_ms=None if server is None or self._server is None
                          else procfs.cpu_us_between(self._server, server) / 1000, kinds=kinds)
        return json.loads(answer["body"]), request

    def _wait(self, invocation: str):
        """The invocation's result; `_Ended` when the process died or the cap passed."""
        deadline = time.monotonic() + self.bench.cap
        while True:
            try:
                result = self.api.wait_for(invocation, timeout=0.1)
            except TimeoutError:
                if _exited(self.process):
                    raise _Ended(f"exited with {self.process.returncode} before answering{self._tail()}") from None
                if time.monotonic() > deadline:
                    raise _Ended(f"no answer within {self.bench.cap:g} s") from None
                continue
            if result.kind == "response":
                return result
            if result.kind == "timeout":
                raise _Ended(f"no answer within {self.bench.cap:g} s")
            state = f"exit code {self.process.returncode}" if _exited(self.process, wait=0.5) else "running"
            raise _Ended(f"{result.error_type} ({state}){self._tail()}")

    def _tail(self) -> str:
        self.log.seek(0)
        text = self.log.read()[-300:].decode(errors="replace").strip()
        return f"; stderr: …{text}" if text else ""


def _event(path: str, query: str) -> dict:
    return build_event("GET", path, query, [], b"", CLAIMS)


def _exited(process: subprocess.Popen, wait: float = 0.0) -> bool:
    """Whether `process` has exited (waiting up to `wait` s), reaping it with wait4 so that its
    resource usage is kept (`process.usage`): Popen.poll would reap it and lose that."""
    deadline = time.monotonic() + wait
    while process.returncode is None:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            process.usage = usage
        elif time.monotonic() >= deadline:
            return False
        else:
            time.sleep(0.01)
    return True


def _reap(process: subprocess.Popen) -> tuple[int, float]:
    """Kills `process` if it still runs and reaps it: its exit code and whole CPU (ms)."""
    if not _exited(process):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        _, status, process.usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    usage = process.usage
    return process.returncode, (usage.ru_utime + usage.ru_stime) * 1000


# -- summaries -----------------------------------------------------------------------------------

SINGLE = ("first", "after change")
"""One request per process: medians over the processes."""
SPREAD = ("page", "page desc", "lookup")
"""Many per process: percentiles over every request of every process."""
WALKS = ("type png", f"type {RARE_TYPE}")
"""A walk through nextCursor per process: its totals, medians over the processes."""


def summary(runs: list[ProcessRun]) -> dict:
    """One runtime's figures at one size, from its processes (see `Request` for the units)."""
    out: dict = {"processes": len(runs), "ended": [f"round {r.round + 1}: {len(r.requests)} answers, then {r.ended}"
                                                   for r in runs if r.ended],
                 "peak_rss_kb": max((r.peak_rss_kb for r in runs if r.peak_rss_kb), default=None),
                 "cpu_ms_total": median([r.cpu_ms_total for r in runs if r.cpu_ms_total is not None]),
                 "seconds": [round(r.seconds, 2) for r in runs], "exit_codes": [r.exit_code for r in runs]}
    boxes = [r.box for r in runs if r.box]
    if boxes:
        out["box"] = {"memory_mb": boxes[0]["memory_mb"], "cpu_share": boxes[0]["cpu_share"],
                      "peak_rss_mb": max(b["peak_rss_mb"] for b in boxes),
                      "limit_hits": sum(b["limit_hits"] for b in boxes),
                      "oom_kills": sum(b["oom_kills"] for b in boxes),
                      "throttled_s": max(b["throttled_s"] for b in boxes)}
    for what in SINGLE + SPREAD:
        requests = [q for r in runs for q in r.requests if q.what == what]
        if requests:
            out[what] = _figures(requests)
            if what in SINGLE:
                out[what]["kinds"] = requests[0].kinds
    for what in WALKS:
        totals = []
        for r in runs:
            walk = [q for q in r.requests if q.what == what]
            if walk:
                totals.append({"requests": len(walk), "ms": sum(q.ms for q in walk),
                               "cpu_ms": sum(q.cpu_ms for q in walk),
                               "s3_requests": sum(q.s3_requests for q in walk),
                               "s3_bytes": sum(q.s3_bytes for q in walk),
                               "server_cpu_ms": sum(q.server_cpu_ms or 0 for q in walk)})
        if totals:
            out[what] = {key: median([t[key] for t in totals]) for key in totals[0]}
            out[what]["n"] = len(totals)
    return out


def _figures(requests: list[Request]) -> dict:
    ms = [q.ms for q in requests]
    servers = [q.server_cpu_ms for q in requests if q.server_cpu_ms is not None]
    return {"n": len(requests), "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95),
            "max_ms": max(ms), "cpu_ms": median([q.cpu_ms for q in requests]),
            "cpu_ms_p95": percentile([q.cpu_ms for q in requests], 0.95),
            "s3_requests": sum(q.s3_requests for q in requests) / len(requests),
            "s3_bytes": median([q.s3_bytes for q in requests]),
            "body_bytes": median([q.body_bytes for q in requests]),
            "server_cpu_ms": median(servers) if servers else None,
            "samples_ms": [round(v, 2) for v in ms]}
