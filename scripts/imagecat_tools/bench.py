"""imagecat's benchmark: the Swift `bootstrap` side by side with its peers, in one run.

Peers: the python-boto3 runtime of scripts/peers/ (every figure), a minimal `sum` handler
built on swift-aws-lambda-runtime (cold start and warm loop; pass an already-built binary with
--swift-runtime-peer), and the shipped zip (dist/bootstrap.zip, when it exists). Every figure
alternates the runtimes round by round, so a noisy neighbour hurts them all alike, and reports
medians of the repeated runs:

1. cold start: posix_spawn → first `GET /runtime/invocation/next` read by a raw socket (ms);
2. warm loop (`sum`): the runtime's own CPU (utime+stime) per invocation, invocations/s and
   context switches per invocation, against a minimal single-threaded Runtime API;
3. peak RSS (VmHWM) of every runtime process, in the loop and in the catalog runs;
4. catalog throughput: S3 events/s against a local SeaweedFS at several catalog sizes;
5. S3 requests per invocation by kind, through a counting loopback proxy;
6. pages (`--figures pages`, not in the default set: it preloads catalogs of up to 184 MB):
   the API (`_HANDLER=api`) at big catalog sizes, fresh processes: the first page from spawn to
   answer, later pages along nextCursor from random names in both orders, `GET /images/{name}`,
   a `type` filter, a page after the catalog changed; wall ms, CPU, S3 requests and bytes read
   per request against the catalog's size, peak memory. With `--box MB` every runtime process
   runs in its own box shaped like a Lambda of MB (memory limit, MB/1769 of one core: 7.2 % at
   128; root, cgroup v1): a process the box kills is reported, not an error. See
   bench_lib/pages.py.
7. reconcile (`--figures reconcile`, not in the default set): the scheduled reconcile over a
   preloaded catalog of `--reconcile-size` entries whose first `--reconcile-stale` lost their
   objects, runs of `--reconcile-timeout` s until the pass completes: per run wall and CPU, peak
   RSS, S3 requests, the catalog checked against the truth (`--box MB` too). See
   bench_lib/reconcile.py.

    scripts/bench --bootstrap .build/release/bootstrap [--quick] [--spawns N]
        [--invokes N] [--rounds N] [--sizes 0,1000,10000,100000] [--events N] [--repeats N]
        [--batch N] [--zip dist/bootstrap.zip] [--swift-runtime-peer PATH]
        [--figures cold,loop,catalog,requests,pages] [--json] [--latency MIN-MAX]
        [--pages-sizes 100000,1000000] [--pages-rounds N] [--pages-per-order N]
        [--pages-lookups N] [--pages-cap SECONDS] [--box MB]
        [--reconcile-size N] [--reconcile-stale N] [--reconcile-uploads N] [--reconcile-timeout S]

scripts/bench builds the release bootstrap first and then runs this. Progress goes to stderr;
stdout gets the report (or, with --json, the results as JSON). Python 3.11 standard library,
plus boto3 for seeding buckets (the python-boto3 peer needs it anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from .bench_lib import coldstart, fast_api, machine, package, pages_report, report
from .bench_lib.report import PYTHON_PEER, SWIFT_PEER, median, percentile
from .fault_proxy import FaultProxy, add_latency_argument
from .paths import PEER_FILES, REPO_ROOT

SUM_EVENT = b'{"key1":1,"key2":2}'
FIGURES = ("cold", "loop", "catalog", "requests", "pages", "reconcile")
DEFAULT_FIGURES = ("cold", "loop", "catalog", "requests")

FULL = dict(spawns=30, invokes=10_000, warmup=1_000, rounds=5, sizes="0,1000,10000,100000",
            events=30, repeats=5, batch=100, pages_sizes="100000,1000000", pages_rounds=3,
            pages_per_order=50, pages_lookups=50)
# --quick: a smoke run. 1,000 invocations keep the warm loop's CPU above one clock tick for every
# runtime (the peer's ~100 µs each), so each ratio can be printed. 20,000 entries (3.7 MB) are
# the smallest catalog read by blocks through an index, as a big one is.
QUICK = dict(spawns=3, invokes=1_000, warmup=50, rounds=1, sizes="0,100", events=3, repeats=1,
             batch=10, pages_sizes="20000", pages_rounds=1, pages_per_order=5, pages_lookups=5)


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def rotated(items: list, by: int) -> list:
    """`items` starting at position `by`: each round starts with a different runtime."""
    by %= max(1, len(items))
    return items[by:] + items[:by]


class Runtime:
    """One runtime under test: how to start it, and a description for the report."""

    def __init__(self, name: str, argv: list[str], description: str, catalog: bool = True):
        self.name = name
        self.argv = argv
        self.description = description
        self.catalog = catalog
        """Whether it implements `_HANDLER=catalog` and `_HANDLER=api` (the swift-runtime peer
        only does `sum`)."""


# Figures that measure imagecat alone (no peer has the handler): a run of only these neither
# unpacks the zip nor names the peers among the runtimes measured.
IMAGECAT_ONLY = {"reconcile"}


def collect_runtimes(args, workdir: str, results: dict) -> list[Runtime]:
    runtimes = []
    bootstrap = Path(args.bootstrap).resolve()
    if not (bootstrap.is_file() and os.access(bootstrap, os.X_OK)):
        sys.exit(f"bench: --bootstrap {args.bootstrap} is not an executable file")
    runtimes.append(Runtime("bootstrap", [str(bootstrap)],
                            f"{_relative(bootstrap)} ({bootstrap.stat().st_size / 1e6:.2f} MB)"))
    if args.figure_set <= IMAGECAT_ONLY:
        return runtimes
    zip_path = args.zip
    if zip_path and os.path.isfile(zip_path):
        try:
            unpacked = package.unpack(zip_path, os.path.join(workdir, "package"))
        except package.PackageError as error:
            progress(f"skipping {zip_path}: {error}")
            results["package_skipped"] = str(error)
        else:
            results["package"] = {"path": _relative(Path(zip_path)), "how": unpacked.how,
                                  "zip_bytes": unpacked.zip_bytes,
                                  "bootstrap_bytes": unpacked.bootstrap_bytes,
                                  "unpacked_bytes": unpacked.unpacked_bytes}
            runtimes.append(Runtime("bootstrap.zip", unpacked.argv,
                                    f"{_relative(Path(zip_path))} ({unpacked.zip_bytes / 1e6:.2f} MB), unzipped, "
                                    f"run {unpacked.how}"))
    elif zip_path:
        progress(f"no {_relative(Path(zip_path))}: the packaged bootstrap is not measured")
    peer = Path(args.python_peer)
    if not peer.is_file():
        sys.exit(f"bench: the python-boto3 peer is missing at {peer}")
    runtimes.append(Runtime(PYTHON_PEER, [sys.executable, str(peer.resolve())],
                            f"{_relative(peer)} (Python {machine.facts()['python']}, "
                            f"boto3 {_boto3_version()})"))
    if args.swift_runtime_peer:
        swift_peer = Path(args.swift_runtime_peer).resolve()
        if not (swift_peer.is_file() and os.access(swift_peer, os.X_OK)):
            sys.exit(f"bench: --swift-runtime-peer {args.swift_runtime_peer} is not an executable file")
        runtimes.append(Runtime(SWIFT_PEER, [str(swift_peer)],
                                f"{_relative(swift_peer)} ({swift_peer.stat().st_size / 1e6:.2f} MB): "
                                "a sum handler on swift-aws-lambda-runtime", catalog=False))
    return runtimes


def _relative(path: Path) -> str:
    """`path` relative to the repository when it is inside it, so that reports name no
    machine's directories; else its base name."""
    full = path.resolve()
    if full.is_relative_to(REPO_ROOT):
        return str(full.relative_to(REPO_ROOT))
    return f".../{full.name}"


def _boto3_version() -> str:
    try:
        import boto3
        return boto3.__version__
    except ImportError:
        return "not installed"


def run_cold_start(runtimes: list[Runtime], spawns: int) -> dict:
    base = dict(os.environ)
    base["_HANDLER"] = "sum"
    launches = [coldstart.Launch(r.name, r.argv, {}) for r in runtimes]
    samples: dict[str, list[float]] = {r.name: [] for r in runtimes}
    for launch in launches:  # untimed: loads the files into the page cache
        coldstart.time_to_first_next(launch, base)
    for round_number in range(spawns):
        for launch in rotated(launches, round_number):
            samples[launch.name].append(coldstart.time_to_first_next(launch, base))
        if (round_number + 1) % 5 == 0 or round_number + 1 == spawns:
            progress(f"cold start: {round_number + 1}/{spawns} rounds")
    return {"spawns": spawns, "runtimes": {
        name: {"median_ms": median(values), "p10_ms": percentile(values, 0.1),
               "p90_ms": percentile(values, 0.9), "min_ms": min(values), "samples_ms": values}
        for name, values in samples.items()}}


def run_warm_loop(runtimes: list[Runtime], invokes: int, warmup: int, rounds: int,
                  placement_names: list[str]) -> dict:
    env = dict(os.environ)
    env["_HANDLER"] = "sum"
    known = {p.name: p for p in fast_api.placements()}
    known["unpinned"] = None
    chosen = [(name, known[name]) for name in placement_names if name in known]
    per_round: dict[str, dict[str, list[dict]]] = {name: {r.name: [] for r in runtimes}
                                                   for name, _ in chosen}
    for round_number in range(rounds):
        for name, placement in chosen:
            for runtime in rotated(runtimes, round_number):
                result = fast_api.measure(runtime.argv, env, SUM_EVENT, warmup, invokes, placement)
                if not fast_api.expected_sum(result.last_response):
                    raise SystemExit(f"bench: {runtime.name} answered {result.last_response!r} to "
                                     f"{SUM_EVENT.decode()}, not the lab's {{\"statusCode\":200,\"body\":3}}")
                per_round[name][runtime.name].append({
                    "cpu_us_per_invoke": result.cpu_us_per_invoke,
                    "run_us_per_invoke": result.run_us_per_invoke,
                    "invokes_per_second": result.invokes_per_second,
                    "switches_per_invoke": result.switches_per_invoke,
                    "voluntary_per_invoke": (result.after.voluntary_switches
                                             - result.before.voluntary_switches) / invokes,
                    "threads": result.after.threads,
                    "peak_rss_kb": result.peak_rss_kb,
                    "server_cpu_us_per_invoke": result.server_cpu_s * 1e6 / invokes,
                })
                progress(f"warm loop round {round_number + 1}/{rounds}, {name}: {runtime.name} "
                         f"{result.cpu_us_per_invoke:.1f} µs CPU/invoke, "
                         f"{result.invokes_per_second:,.0f}/s")
    out = {}
    for name, by_runtime in per_round.items():
        summary = {}
        for runtime_name, values in by_runtime.items():
            summary[runtime_name] = {key: median([v[key] for v in values]) for key in values[0]}
            summary[runtime_name]["peak_rss_kb"] = max(v["peak_rss_kb"] for v in values)
            summary[runtime_name]["threads"] = max(v["threads"] for v in values)
            summary[runtime_name]["rounds"] = values
        out[name] = {"runtimes": summary}
    return {"invokes": invokes, "warmup": warmup, "rounds": rounds, "placements": out}


def run_catalog(runtimes: list[Runtime], figures: set[str], sizes: list[int], events: int,
                repeats: int, batch: int, latency: tuple[float, float] | None = None) -> dict:
    from .bench_lib import catalog
    from .s3_server import S3Server

    runners = [catalog.Runner(r.name, r.argv) for r in runtimes if r.catalog]
    out: dict = {}
    progress("starting a local SeaweedFS")
    with S3Server() as server:
        bench = catalog.CatalogBench(server, runners, objects=max(events + 1, batch + 2),
                                     latency=latency)
        try:
            if "catalog" in figures:
                runs: dict[int, dict[str, list]] = {s: {r.name: [] for r in runners} for s in sizes}
                for size in sizes:
                    for repeat in range(repeats):
                        for runner in rotated(runners, repeat):
                            run = bench.throughput(runner, size, events)
                            runs[size][runner.name].append(run)
                            progress(f"catalog {size:,} entries, run {repeat + 1}/{repeats}: "
                                     f"{runner.name} {run.events_per_second:.1f} events/s, "
                                     f"{run.cpu_ms_per_event:.2f} ms CPU/event, "
                                     f"{run.peak_rss_kb / 1024:.1f} MB")
                out["catalog"] = {
                    "events": events, "repeats": repeats, "runtimes": [r.name for r in runners],
                    "latency_ms": list(latency) if latency else None,
                    "sizes": {str(size): {name: {
                        "events_per_second": median([r.events_per_second for r in rs]),
                        "cpu_ms_per_event": median([r.cpu_ms_per_event for r in rs]),
                        "server_cpu_ms_per_event": _median_or_none([r.server_cpu_ms_per_event for r in rs]),
                        "peak_rss_kb": max(r.peak_rss_kb for r in rs),
                        "runs": [{"events_per_second": r.events_per_second, "seconds": r.seconds,
                                  "cpu_ms_per_event": r.cpu_ms_per_event,
                                  "server_cpu_ms_per_event": r.server_cpu_ms_per_event,
                                  "peak_rss_kb": r.peak_rss_kb, "entries_after": r.entries_after}
                                 for r in rs]}
                        for name, rs in by_name.items()} for size, by_name in runs.items()}}
            if "requests" in figures:
                seed = 1000
                counts = {}
                for runner in runners:
                    counts[runner.name] = [
                        {"case": c.case, "records": c.records, "total": c.total, "by_kind": c.by_kind,
                         "ms": round(c.seconds * 1000, 1)}
                        for c in bench.request_counts(runner, batch, FaultProxy, seed_entries=seed)]
                    progress(f"requests: {runner.name} "
                             + "; ".join(f"{c['case']}: {c['total']}" for c in counts[runner.name]))
                out["requests"] = {"batch": batch, "seed_entries": seed, "runtimes": counts,
                                   "latency_ms": list(latency) if latency else None}
        finally:
            bench.close()
    return out


def run_pages(runtimes: list[Runtime], args) -> dict:
    """Figure 6: the API's pages, one bucket per size, fresh processes alternating round by round."""
    from .bench_lib import pages
    from .lambda_box import BoxError
    from .s3_server import S3Server

    serving = [r for r in runtimes if r.catalog]
    out: dict = {"runtimes": [r.name for r in serving], "rounds": args.pages_rounds,
                 "per_order": args.pages_per_order, "lookups": args.pages_lookups, "limit": pages.LIMIT,
                 "walk": pages.WALK, "cap_s": args.pages_cap, "box_mb": args.box,
                 "latency_ms": list(args.latency) if args.latency else None, "sizes": {}}
    progress("starting a local SeaweedFS")
    with S3Server() as server:
        for size in args.pages_size_list:
            load_start = [round(x, 2) for x in os.getloadavg()]
            progress(f"pages: preloading {size:,} entries, then indexing them with the catalog function")
            bench = pages.PagesBench(server, size, serving[0].argv, latency=args.latency, box_mb=args.box,
                                     cap=args.pages_cap, progress=progress)
            watch = machine.CpuWatch()
            runs: dict[str, list] = {r.name: [] for r in serving}
            try:
                progress(f"pages: {size:,} entries, {bench.facts['catalog_bytes'] / 1e6:.1f} MB "
                         f"(preloaded in {bench.facts['preload_s']} s, indexed in {bench.facts['index_s']} s)")
                for round_number in range(args.pages_rounds):
                    plan = bench.plan(round_number, args.pages_per_order, args.pages_lookups)
                    for runtime in rotated(serving, round_number):
                        try:
                            run = bench.measure(runtime.name, runtime.argv, round_number, plan, args.pages_per_order)
                        except BoxError as error:
                            raise SystemExit(f"bench: --box: {error}") from None
                        runs[runtime.name].append(run)
                        first = next((q for q in run.requests if q.what == "first"), None)
                        progress(f"pages {size:,}, round {round_number + 1}/{args.pages_rounds}: {runtime.name} "
                                 + (f"first page {first.ms:,.0f} ms, " if first else "")
                                 + f"{len(run.requests)} requests in {run.seconds:.1f} s"
                                 + (f"; ENDED: {run.ended}" if run.ended else ""))
            finally:
                bench.close()
            out["sizes"][str(size)] = {"catalog": bench.facts, "cpu": watch.stop(), "load_start": load_start,
                                       "load_end": [round(x, 2) for x in os.getloadavg()],
                                       "runtimes": {name: pages.summary(rs) for name, rs in runs.items()}}
    return out


def run_reconcile(runtime: Runtime, args) -> dict:
    """Figure 7: the reconcile over a big catalog, imagecat only (the peers have no reconcile)."""
    from .bench_lib import reconcile
    from .lambda_box import BoxError
    from .s3_server import S3Server

    progress("starting a local SeaweedFS")
    with S3Server() as server:
        watch = machine.CpuWatch()
        try:
            out = reconcile.run(server, runtime.argv, size=args.reconcile_size, stale=args.reconcile_stale,
                                uploads=args.reconcile_uploads, timeout=args.reconcile_timeout,
                                latency=args.latency, box_mb=args.box, progress=progress)
        except BoxError as error:
            raise SystemExit(f"bench: --box: {error}") from None
        out["cpu"] = watch.stop()
    return out


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return median(known) if known else None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True, help="the bootstrap binary to measure")
    parser.add_argument("--zip", default=str(REPO_ROOT / "dist" / "bootstrap.zip"),
                        help="the packaged zip (default dist/bootstrap.zip; measured if it exists)")
    parser.add_argument("--python-peer", default=str(PEER_FILES[PYTHON_PEER]),
                        help="the python-boto3 peer, a Python file run with this interpreter "
                             "(default scripts/peers/python_boto3.py)")
    parser.add_argument("--swift-runtime-peer", metavar="PATH",
                        help="an already-built sum handler on swift-aws-lambda-runtime")
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts: checks that everything runs, measures nothing reliably")
    parser.add_argument("--spawns", type=int, help=f"cold starts per runtime (default {FULL['spawns']})")
    parser.add_argument("--invokes", type=int,
                        help=f"timed warm invocations per round (default {FULL['invokes']:,})")
    parser.add_argument("--warmup", type=int, help=f"untimed warm-up invocations (default {FULL['warmup']:,})")
    parser.add_argument("--rounds", type=int, help=f"warm-loop rounds per runtime (default {FULL['rounds']})")
    parser.add_argument("--placements", default="same CPU,separate CPUs",
                        help="warm-loop CPU placements of runtime and Runtime API, comma-separated: "
                             "'same CPU', 'separate CPUs', 'unpinned' (default: the first two)")
    parser.add_argument("--sizes", help=f"catalog sizes in entries (default {FULL['sizes']})")
    parser.add_argument("--events", type=int, help=f"timed events per catalog run (default {FULL['events']})")
    parser.add_argument("--repeats", type=int, help=f"catalog runs per size and runtime (default {FULL['repeats']})")
    parser.add_argument("--batch", type=int, help=f"records in the counted batch (default {FULL['batch']})")
    parser.add_argument("--figures", default=",".join(DEFAULT_FIGURES),
                        help=f"which figures, comma-separated, of {','.join(FIGURES)} "
                             f"(default {','.join(DEFAULT_FIGURES)})")
    add_latency_argument(parser, "each of the runtimes' S3 requests in the catalog, request and "
                                 "pages figures", "; seeding and checks go to S3 directly")
    parser.add_argument("--pages-sizes", help=f"pages: catalog sizes in entries (default {FULL['pages_sizes']})")
    parser.add_argument("--pages-rounds", type=int,
                        help=f"pages: fresh processes per runtime and size, alternating (default {FULL['pages_rounds']})")
    parser.add_argument("--pages-per-order", type=int,
                        help=f"pages: later pages per process in each order, in walks of 5 from random "
                             f"names (default {FULL['pages_per_order']})")
    parser.add_argument("--pages-lookups", type=int,
                        help=f"pages: GET /images/{{name}} per process (default {FULL['pages_lookups']})")
    parser.add_argument("--pages-cap", type=float, default=120.0, metavar="SECONDS",
                        help="pages: a request unanswered after this ends its process's run, "
                             "reported as such (default 120; API Gateway gives up after 30)")
    parser.add_argument("--box", type=int, metavar="MB",
                        help="pages: run each runtime process in its own box shaped like a Lambda of "
                             "MB (memory limit, MB/1769 of one core; root, cgroup v1)")
    parser.add_argument("--reconcile-size", type=int, default=1_000_000, metavar="N",
                        help="reconcile: catalog entries (default 1,000,000)")
    parser.add_argument("--reconcile-stale", type=int, default=10_000, metavar="N",
                        help="reconcile: entries whose objects are gone, a power of ten (default 10,000)")
    parser.add_argument("--reconcile-uploads", type=int, default=100, metavar="N",
                        help="reconcile: images in the bucket the catalog misses (default 100)")
    parser.add_argument("--reconcile-timeout", type=float, default=900.0, metavar="SECONDS",
                        help="reconcile: each run's function timeout (default 900, the template's)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the report")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    try:
        args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    args.placement_list = [p.strip() for p in args.placements.split(",") if p.strip()]
    bad = [p for p in args.placement_list if p not in ("same CPU", "separate CPUs", "unpinned")]
    if bad or not args.placement_list:
        parser.error(f"--placements: unknown {bad}; choose from 'same CPU', 'separate CPUs', 'unpinned'")
    try:
        args.pages_size_list = [int(s) for s in args.pages_sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--pages-sizes must be comma-separated integers, got {args.pages_sizes!r}")
    if any(size < 1000 for size in args.pages_size_list):
        parser.error("--pages-sizes: at least 1000 entries each (a walk needs room)")
    args.figure_set = {f.strip() for f in args.figures.split(",") if f.strip()}
    unknown = args.figure_set - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; choose from {', '.join(FIGURES)}")
    for name in ("spawns", "invokes", "rounds", "events", "repeats", "batch", "pages_rounds",
                 "pages_per_order", "pages_lookups"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.pages_cap <= 0:
        parser.error("--pages-cap must be positive")
    if args.box is not None and (args.box < 128 or args.box > 10240):
        parser.error("--box: Lambda's memory sizes are 128 to 10240 MB")
    if args.box is not None and os.geteuid() != 0:
        parser.error("--box needs root (it makes cgroup v1 groups)")
    if args.box is not None and not args.figure_set & {"pages", "reconcile"}:
        parser.error("--box applies to the pages and reconcile figures only")
    if "reconcile" in args.figure_set:
        from .bench_lib.reconcile import scope_prefix
        try:
            scope_prefix(args.reconcile_size, args.reconcile_stale)
        except ValueError as error:
            parser.error(str(error))
        if args.reconcile_timeout <= 0 or args.reconcile_uploads < 0:
            parser.error("--reconcile-timeout must be positive and --reconcile-uploads not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # scripts/bench says how it was called, and how many leading arguments it added itself.
    prefix = os.environ.get("IMAGECAT_BENCH_PREFIX", "scripts/bench")
    skip = int(os.environ.get("IMAGECAT_BENCH_SKIP", "0") or 0)
    command = " ".join([prefix, shlex.join(argv[skip:])]).strip()
    results: dict = {"command": command,
                     "machine": machine.facts()}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="imagecat-bench-") as workdir:
        runtimes = collect_runtimes(args, workdir, results)
        results["runtimes"] = {r.name: {"description": r.description, "argv": r.argv}
                               for r in runtimes}
        if "cold" in args.figure_set:
            watch = machine.CpuWatch()
            results["cold_start"] = run_cold_start(runtimes, args.spawns)
            results["cold_start"]["cpu"] = watch.stop()
        if "loop" in args.figure_set:
            watch = machine.CpuWatch()
            results["warm_loop"] = run_warm_loop(runtimes, args.invokes, args.warmup, args.rounds,
                                                 args.placement_list)
            results["warm_loop"]["cpu"] = watch.stop()
        if args.figure_set & {"catalog", "requests"}:
            watch = machine.CpuWatch()
            results.update(run_catalog(runtimes, args.figure_set, args.size_list, args.events,
                                       args.repeats, args.batch, args.latency))
            for name in ("catalog", "requests"):
                if name in results:
                    results[name]["cpu"] = watch.stop()
        if "pages" in args.figure_set:
            results["pages"] = run_pages(runtimes, args)
        if "reconcile" in args.figure_set:
            results["reconcile"] = run_reconcile(runtimes[0], args)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.monotonic() - started, 1)
    progress(f"done in {results['seconds']} s")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        extra = [pages_report.render(results["pages"])] if "pages" in results else []
        if "reconcile" in results:
            from .bench_lib import reconcile
            extra.append(reconcile.render(results["reconcile"]))
        sys.stdout.write(report.render(results, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
