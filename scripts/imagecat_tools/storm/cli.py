"""The storm's command line (scripts/storm, `python3 -m imagecat_tools.storm`)."""

from __future__ import annotations

import argparse
import dataclasses
import json

from ..fault_proxy import add_latency_argument
from .config import DEFAULT_BOOTSTRAP, DELIVERIES, StormConfig
from .delivery import run_storm
from .report import comparison, format_comparison, format_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/storm",
        description="Real uploads and deletes on a local S3 server, every event delivered twice "
                    "and shuffled to concurrent catalog functions; then images.json is audited "
                    "against the bucket. Exit 0 only when it is exact.")
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--deletes", type=int, default=200)
    parser.add_argument("--procs", type=int, default=8, help="concurrent runtime processes")
    parser.add_argument("--min-batch", type=int, default=1,
                        help="records per invocation: at least N (fewer only when no more come "
                             "within --batch-window, or at the end; default 1)")
    parser.add_argument("--max-batch", type=int, default=10, help="records per invocation: at most N")
    parser.add_argument("--batch-window", type=float, default=None, metavar="SECONDS",
                        help="how long due records may wait for their batch to fill (as an SQS "
                             "event source's batching window; default 1 with --min-batch > 1, "
                             "else 0)")
    parser.add_argument("--seed", type=int, default=1)
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--bootstrap", default=None,
                     help="the runtime executable (default .build/release/bootstrap)")
    who.add_argument("--peer", action="store_true",
                     help="run the python-boto3 peer (scripts/peers/python_boto3.py) instead, for comparison")
    who.add_argument("--naive", action="store_true",
                     help="run the lab's naive logic (scripts/peers/naive.py; expected to FAIL: proves the "
                          "audit sees loss)")
    parser.add_argument("--compare-peer", action="store_true",
                        help="after the function, run the python-boto3 peer on the same plan against "
                             "the same S3 server (direct delivery only) and print both side by side; "
                             "the exit status is the function's")
    parser.add_argument("--delivery", choices=DELIVERIES, default="direct",
                        help="batches as direct S3 events, as SQS batches (S3 → SQS → Lambda), "
                             "or about half each (default direct)")
    parser.add_argument("--sqs", dest="delivery", action="store_const", const="mixed",
                        help="the same as --delivery mixed")
    parser.add_argument("--eventbridge", action="store_true",
                        help="deliver some single records as EventBridge events")
    parser.add_argument("--backlog", action="store_true",
                        help="perform every upload and delete first, then deliver all records (a "
                             "queue's backlog): records/s measures the function, not the uploads")
    parser.add_argument("--liars", action="store_true",
                        help="add keys whose name lies (text named .jpg, PNGs without extension)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="route the function's S3 traffic through the fault proxy: RATE of "
                             "requests answered 503 SlowDown")
    parser.add_argument("--resets", type=float, default=None, metavar="RATE",
                        help="with the fault proxy: RATE of connections reset (default faults×0.3)")
    parser.add_argument("--via-proxy", action="store_true",
                        help="route the function's S3 traffic through the proxy even without "
                             "faults, to count requests and conflicts (412/409)")
    add_latency_argument(parser, "each of the function's S3 requests",
                         "; the storm's own uploads and audit go to S3 directly")
    parser.add_argument("--kill", type=int, default=0, metavar="N",
                        help="SIGKILL N random runtimes mid-run (their invocations are requeued)")
    parser.add_argument("--keys", type=int, default=None, help="key pool size (default 40%% of uploads)")
    parser.add_argument("--upload-threads", type=int, default=4)
    parser.add_argument("--function-timeout", type=float, default=30.0)
    parser.add_argument("--max-retries", type=int, default=5,
                        help="re-enqueues of an event after Function.CatalogConflict")
    parser.add_argument("--retry-any", action="store_true",
                        help="retry every failed invocation (Lambda's async retry), not only conflicts")
    # The full-size storm (these defaults) settled in 12.4 s on the quiet 2-core machine; issue
    # 11's storms with --latency 10-30 in under a minute.
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    parser.add_argument("--log-dir", default=None, help="where runtime stderr goes")
    parser.add_argument("--preload", type=int, default=0, metavar="N",
                        help="images.json already holds N entries of other images (~184 bytes "
                             "each, no objects behind them) when the storm starts; indexed by one "
                             "untimed invocation first")
    parser.add_argument("--preload-deletes", type=int, default=0, metavar="K",
                        help="deletes of K preloaded images spread over the whole catalog join "
                             "the plan")
    parser.add_argument("--upload-prefix", default=None, metavar="PREFIX",
                        help="name every key PREFIX<time-ordered id>/<shape>, as imagecat's POST "
                             "/uploads does (e.g. images/uploads/): new uploads sort after a "
                             "preloaded catalog")
    parser.add_argument("--box", type=int, default=None, metavar="MB",
                        help="run each runtime process in its own Lambda-shaped box: MB of memory "
                             "and Lambda's CPU share for it (128 ≈ 7.2%% of a core; root, cgroup v1)")
    parser.add_argument("--compare-empty", action="store_true",
                        help="with --preload: then run the same plan on an empty catalog (same "
                             "server) and print both with the ratio")
    parser.add_argument("--ceiling", action="store_true",
                        help="with --compare-empty: also run the empty catalog with as many "
                             "server-side copies of a catalog of the preloaded size as the preloaded "
                             "run made (counted through the proxy: needs --latency, --via-proxy, "
                             "--faults or --resets), "
                             "and print the preloaded run against it: the ceiling those copies leave "
                             "on this machine (storm/copy_load.py)")
    parser.add_argument("--server-profile", action="store_true",
                        help="profile the S3 server from the first delivery to settled and print "
                             "where its CPU went, by package and by request handler (SeaweedFS's "
                             "Go profiler on a loopback port)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    args = parser.parse_args(argv)
    if (args.peer or args.naive or args.compare_peer) and (args.delivery != "direct" or args.eventbridge):
        parser.error("the peers only read direct S3 events: --delivery sqs|mixed, --sqs and "
                     "--eventbridge need the Swift bootstrap")
    if args.compare_peer and (args.peer or args.naive):
        parser.error("--compare-peer runs the function and then the peer: not with --peer/--naive")
    if args.compare_empty and (args.compare_peer or not args.preload):
        parser.error("--compare-empty needs --preload and does not mix with --compare-peer")
    if not 0 <= args.preload_deletes <= args.preload:
        parser.error("--preload-deletes K needs 0 <= K <= --preload")
    if args.box is not None and args.kill:
        parser.error("--box and --kill do not mix")
    if not 1 <= args.min_batch <= args.max_batch:
        parser.error(f"batches need 1 <= --min-batch <= --max-batch, got {args.min_batch}..{args.max_batch}")
    if args.bootstrap is None and not (args.peer or args.naive) and not DEFAULT_BOOTSTRAP.exists():
        parser.error(f"{DEFAULT_BOOTSTRAP} does not exist: `scripts/build-bootstrap --release` "
                     f"first, or pass --bootstrap PATH")
    config = StormConfig(
        uploads=args.uploads, deletes=args.deletes, procs=args.procs, min_batch=args.min_batch,
        max_batch=args.max_batch, batch_window=args.batch_window, seed=args.seed,
        bootstrap=args.bootstrap,
        peer="python-boto3" if args.peer else "naive" if args.naive else None,
        delivery=args.delivery, backlog=args.backlog, eventbridge=args.eventbridge,
        liars=args.liars, faults=args.faults, resets=args.resets, via_proxy=args.via_proxy, latency=args.latency,
        kill=args.kill, keys=args.keys, upload_threads=args.upload_threads,
        function_timeout=args.function_timeout, max_retries=args.max_retries,
        retry_any=args.retry_any, timeout=args.timeout, log_dir=args.log_dir,
        preload=args.preload, preload_deletes=args.preload_deletes,
        upload_prefix=args.upload_prefix, box=args.box, server_profile=args.server_profile)
    if args.ceiling and not (args.compare_empty and config.proxied):
        parser.error("--ceiling needs --compare-empty and the proxy (--latency, --via-proxy, --faults or "
                     "--resets) to count the preloaded run's copies")
    if args.compare_empty:
        results = run_with_empty(config, ceiling=args.ceiling)
        if args.json:
            print(json.dumps({"runs": [r.summary() for r in results],
                              "comparison": comparison(results, against="empty")}, indent=2, ensure_ascii=False))
        else:
            print("\n\n".join([*(format_report(r) for r in results), format_comparison(results, against="empty")]))
        return 0 if all(r.ok for r in results) else 1
    if not args.compare_peer:
        result = run_storm(config)
        if args.json:
            print(json.dumps(result.summary(), indent=2, ensure_ascii=False))
        else:
            print(format_report(result))
        return 0 if result.ok else 1
    results = run_with_peer(config)
    if args.json:
        print(json.dumps({"runs": [r.summary() for r in results], "comparison": comparison(results)},
                         indent=2, ensure_ascii=False))
    else:
        print("\n\n".join([*(format_report(r) for r in results), format_comparison(results)]))
    return 0 if results[0].ok else 1


CEILING_COPIES_KIND = "CREATE catalog upload"
"""The proxy's name for the requests a ceiling run makes one copy for: each upload of the
catalog gets its prefix copied once (`fault_proxy.request_kind`)."""


def run_with_empty(config: StormConfig, server=None, ceiling: bool = False) -> list:
    """The storm on the preloaded catalog, then the same plan (same seed, the preloaded deletes
    left out) on an empty one, same server, each in a fresh bucket: [preloaded, empty].
    `ceiling`: between them, the empty catalog's run with the preloaded run's prefix copies
    (one per upload of the catalog it created: `copy_load`): [preloaded, ceiling, empty]."""
    if server is None:
        from ..s3_server import S3Server
        with S3Server(profiling=config.server_profile) as own:
            return run_with_empty(config, own, ceiling)
    big = run_storm(config, server)
    empty = dataclasses.replace(config, preload=0, preload_deletes=0, log_dir=None)
    runs = [big]
    if ceiling:
        copies = big.requests_by_kind.get(CEILING_COPIES_KIND, 0)
        if not copies:
            raise ValueError(f"the preloaded run made no {CEILING_COPIES_KIND!r} request to copy a prefix into: "
                             f"no ceiling to measure (a catalog of one PutObject, or the proxy not in the way)")
        # Spread over the batches delivered, not the invocations (those count retries too), so
        # that every copy is made by the time the ceiling run has started as many.
        runs.append(run_storm(dataclasses.replace(empty, ceiling_copies=copies, ceiling_entries=config.preload,
                                                  ceiling_invocations=len(big.batch_sizes)), server))
    return runs + [run_storm(empty, server)]


def run_with_peer(config: StormConfig, server=None) -> list:
    """The function's storm, then the python-boto3 peer's on the same plan (same seed) and the
    same S3 server (a fresh one when None), each in a fresh bucket: [function, peer]."""
    if server is None:
        from ..s3_server import S3Server
        with S3Server(profiling=config.server_profile) as own:
            return run_with_peer(config, own)
    ours = run_storm(config, server)
    theirs = run_storm(dataclasses.replace(config, peer="python-boto3", bootstrap=None,
                                           log_dir=None), server)
    return [ours, theirs]

