"""The reconcile (`_HANDLER=reconcile`) over a big catalog: `scripts/bench --figures reconcile`.

A bucket whose catalog holds `size` entries (`big_catalog.preload`, ~184 bytes each) of which
the first `stale` have lost their objects (their delete notifications never came: the preload
writes entries without objects), plus `uploads` images whose upload notifications never came.
The reconcile is scoped to the prefix that holds exactly those (`CATALOG_PREFIX`), so it walks
the listing beside `stale` catalog entries, confirms each absence, removes them in batches and
adds the uploads, while every write is one of a `size`-entry catalog. The preloaded catalog
is not indexed yet (as after an upgrade): a first process converts it, measured apart. Then one
`bootstrap` process (warm, as Lambda keeps it) runs scheduled invocations of `timeout` seconds each, until one says
the pass is complete; each run stops listing at half its time and leaves the rest to the next.

Per run: wall time, the process's CPU, what the answer says (removed, added, complete). For the
whole: peak RSS (VmHWM), S3 requests by kind (every one 10-30 ms away with `--latency`), and the
final catalog checked name by name against the truth. With `--box MB` the process runs in a
Lambda-shaped box (memory limit, CPU share).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter

from ..big_catalog import PREFIX, check, entries, entry_names, preload
from ..fault_proxy import FaultProxy, request_kind
from ..images import png
from ..lambda_box import LambdaBox
from ..local_runtime_api import LocalRuntimeAPI
from . import procfs

CATALOG_KEY = "images.json"
MAX_RUNS = 200


class ReconcileBenchError(RuntimeError):
    """The reconcile failed, or its catalog is not the truth."""


def scope_prefix(size: int, stale: int) -> str:
    """The key prefix of exactly the first `stale` preloaded entries: `stale` must be a power of
    ten no larger than `size` (the entries are numbered with nine digits)."""
    digits = len(str(stale)) - 1
    if stale < 1 or 10 ** digits != stale or stale > size or digits > 9:
        raise ValueError(f"--reconcile-stale must be a power of ten between 1 and the size, got {stale:,}")
    return PREFIX + "0" * (9 - digits)


def run(server, argv: list[str], *, size: int, stale: int, uploads: int, timeout: float,
        latency=None, box_mb: int | None = None, progress=lambda message: None) -> dict:
    prefix = scope_prefix(size, stale)
    s3 = server.boto3_client()
    bucket = f"bench-reconcile-{size}-{os.urandom(4).hex()}"
    s3.create_bucket(Bucket=bucket)
    progress(f"reconcile: preloading {size:,} entries")
    started = time.monotonic()
    preload(s3, bucket, size)
    preload_s = time.monotonic() - started
    added = [f"{prefix}x{k:05d}.png" for k in range(uploads)]     # 'x' sorts after every digit
    for k, key in enumerate(added):
        s3.put_object(Bucket=bucket, Key=key, Body=png(4, 3) + k.to_bytes(8, "big"), ContentType="image/png")

    env = {**server.child_env(), "_HANDLER": "reconcile", "CATALOG_BUCKET": bucket}
    # The preloaded catalog has no index yet (as after an upgrade): a first run that reconciles
    # nothing converts it, measured apart, so that the figure is the reconcile's own.
    progress("reconcile: converting (indexing) the preloaded catalog")
    conversion = _runs(argv, {**env, "CATALOG_PREFIX": "images/none/"}, server, timeout, latency, box_mb,
                       Counter(), progress)
    kinds: Counter = Counter()
    measured = _runs(argv, {**env, "CATALOG_PREFIX": prefix}, server, timeout, latency, box_mb, kinds, progress)
    runs = measured["runs"]

    progress("reconcile: checking the catalog against the truth")
    expected = list(entry_names(size))[stale:]
    expected = sorted(added + expected, key=lambda name: name.encode())
    report = check(s3, bucket)
    names = [entry["name"] for _, entry in entries(s3, bucket)]
    if names != expected:
        missing = sorted(set(expected) - set(names))[:5]
        extra = sorted(set(names) - set(expected))[:5]
        raise ReconcileBenchError(f"the catalog is not the truth: {len(names):,} entries against {len(expected):,};"
                                  f" missing {missing}, extra {extra}")
    return {"entries": size, "stale": stale, "uploads": uploads, "prefix": prefix, "timeout_s": timeout,
            "latency_ms": list(latency) if latency else None, "box_mb": box_mb,
            "preload_s": round(preload_s, 1), "runs": runs, "complete": bool(runs and runs[-1]["complete"]),
            "seconds": round(sum(r["seconds"] for r in runs), 1), "cpu_ms": round(sum(r["cpu_ms"] for r in runs), 1),
            "peak_rss_mb": measured["peak_rss_mb"], "box": measured["box"], "requests": dict(sorted(kinds.items())),
            "conversion": {key: conversion[key] for key in ("runs", "peak_rss_mb", "box")},
            "catalog_bytes": report.size, "exact": True}


def _runs(argv: list[str], env: dict, server, timeout: float, latency, box_mb: int | None, kinds: Counter,
          progress) -> dict:
    """One process (warm across runs, as Lambda keeps it) given scheduled invocations until one
    says the pass is complete: each run's figures, the peak RSS, the box's figures."""
    lock = threading.Lock()

    def on_answer(method: str, target: str, status: int) -> None:
        with lock:
            kinds[request_kind(method, target, status, CATALOG_KEY)] += 1

    runs: list[dict] = []
    with contextlib.ExitStack() as stack:
        proxy = stack.enter_context(FaultProxy(server.endpoint, latency=latency, on_answer=on_answer))
        api = LocalRuntimeAPI(function_timeout=timeout, requeue_on_crash=False).start()
        stack.callback(api.stop)
        box = stack.enter_context(LambdaBox(box_mb)) if box_mb else None
        log = stack.enter_context(tempfile.TemporaryFile())
        env = {**env, "AWS_ENDPOINT_URL_S3": proxy.endpoint, "AWS_LAMBDA_RUNTIME_API": api.address}
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=log, preexec_fn=box.join if box else None)
        stack.callback(_stop, process)
        peak_kb = 0
        while len(runs) < MAX_RUNS:
            before = procfs.sample(process.pid)
            clock = time.perf_counter()
            result = api.wait_for(api.enqueue(b"{}"), timeout=timeout * 3 + 30)
            seconds = time.perf_counter() - clock
            after = procfs.sample(process.pid)
            peak_kb = max(peak_kb, after.vm_hwm_kb)
            if result.kind != "response":
                log.seek(0)
                tail = log.read()[-2000:].decode(errors="replace")
                raise ReconcileBenchError(f"run {len(runs) + 1}: {result.kind} {result.body[:400]!r}\n{tail}")
            answer = json.loads(result.body)
            runs.append({"seconds": round(seconds, 2), "cpu_ms": round(procfs.cpu_us_between(before, after) / 1000, 1),
                         "removed": answer.get("removed"), "added": answer.get("added"),
                         "writes": answer.get("catalogWrites"), "complete": answer.get("complete")})
            progress(f"reconcile run {len(runs)}: {runs[-1]}")
            if answer.get("complete"):
                break
        return {"runs": runs, "peak_rss_mb": round(peak_kb / 1024, 1), "box": box.stats() if box else None}


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def render(result: dict) -> str:
    """The figure as text: the runs, then the totals."""
    lines = [f"reconcile: {result['entries']:,} entries, {result['stale']:,} stale under {result['prefix']!r}, "
             f"{result['uploads']:,} uncataloged uploads; runs of {result['timeout_s']:g} s"
             + (f", S3 {result['latency_ms'][0]:g}-{result['latency_ms'][1]:g} ms away" if result["latency_ms"] else "")
             + (f", in a {result['box_mb']} MB box" if result["box_mb"] else ""),
             f"  {'run':>4} {'wall s':>8} {'CPU ms':>9} {'removed':>8} {'added':>6} {'writes':>6} complete"]
    for i, r in enumerate(result["runs"], 1):
        lines.append(f"  {i:>4} {r['seconds']:>8.1f} {r['cpu_ms']:>9,.0f} {r['removed'] or 0:>8,} {r['added'] or 0:>6,}"
                     f" {r['writes'] or 0:>6} {r['complete']}")
    total = sum(r["removed"] or 0 for r in result["runs"])
    per_1000 = result["cpu_ms"] / max(1, total) * 1000
    lines.append(f"  total {result['seconds']:,.1f} s, CPU {result['cpu_ms']:,.0f} ms ({per_1000:,.0f} ms per 1,000 entries"
                 f" removed), peak RSS {result['peak_rss_mb']} MB, exact: {result['exact']}")
    lines.append("  S3 requests: " + ", ".join(f"{kind} {count:,}" for kind, count in result["requests"].items()))
    if result["box"]:
        lines.append(f"  box: {result['box']}")
    conversion = result["conversion"]
    lines.append(f"  before it, converting (indexing) the preloaded catalog: "
                 f"{sum(r['seconds'] for r in conversion['runs']):.1f} s, CPU {sum(r['cpu_ms'] for r in conversion['runs']):,.0f} ms,"
                 f" peak RSS {conversion['peak_rss_mb']} MB" + (f", box {conversion['box']}" if conversion["box"] else ""))
    return "\n".join(lines) + "\n"
