"""Step 5 of the storm: the result (StormResult, also the --json summary) and its text."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..bench_lib.report import percentile, table
from ..log_summary import format_summary
from .audit import Audit
from .config import StormConfig

SEQUENTIAL_ROUND_TRIPS = 3
"""The fewest S3 round trips one after another an invocation needs while keeping the
function's guarantees: observe the objects (concurrently, alongside the catalog read), the
conditional write, the re-check after it."""
WINDOW_ROUND_TRIPS = 2
"""Round trips in one writer's GET → conditional PUT window: the catalog read the write is
conditional on, and the write. Writes to one catalog succeed one window after another. (The
requests are counted: the server sees one round trip fewer between the read and the write, so
the limit is a model both windows share, not a bound no run can pass.)"""
BIG_WINDOW_ROUND_TRIPS = 3
"""The same window for a big catalog (a multipart completion), at its shortest: a write into the
tail (CatalogFile+Append) reads the tail, uploads it as a part and completes, the index sent
beside the completion (two round trips by the server's clock, as Append says). The prefix's
copy, sent before the observation, is collected in the window, which it holds open only when it
has not landed by then. A splice (changes spread over the catalog: CatalogFile+Write) holds the
window open longer; the model takes the shortest."""


def physical_limit(latency_ms: float, records_per_invocation: float, procs: int,
                   window_round_trips: int = WINDOW_ROUND_TRIPS) -> dict:
    """What S3 latency alone allows, in records/s, for writers that each commit one
    invocation's records: the write window (one success per GET → PUT window, whatever the
    number of writers) and the processes (each needs SEQUENTIAL_ROUND_TRIPS per invocation).
    The smaller of the two is the ceiling; a write that carries more than one invocation's
    records (group commit) lifts the first."""
    window_ms = window_round_trips * latency_ms
    writes = 1000 / window_ms if window_ms else float("inf")
    invocation_ms = SEQUENTIAL_ROUND_TRIPS * latency_ms
    per_process = 1000 / invocation_ms if invocation_ms else float("inf")
    by_window = writes * records_per_invocation
    by_processes = procs * per_process * records_per_invocation
    return {"latency_ms": round(latency_ms, 1), "window_round_trips": window_round_trips,
            "records_per_invocation": round(records_per_invocation, 1),
            "window_ms": round(window_ms, 1), "writes_per_second": round(writes, 1),
            "records_per_second_by_window": round(by_window, 1),
            "invocation_ms": round(invocation_ms, 1),
            "records_per_second_by_processes": round(by_processes, 1),
            "records_per_second": round(min(by_window, by_processes), 1)}


@dataclass
class StormResult:
    config: StormConfig
    label: str
    plan: dict
    events: int = 0
    deliveries: int = 0
    batch_sizes: list = field(default_factory=list)
    """Records in each batch the storm cut from record copies (not counting retries and SQS
    redeliveries), in delivery order."""
    invocations: int = 0
    invocations_by_shape: dict = field(default_factory=dict)
    failures: int = 0
    failures_by_type: dict = field(default_factory=dict)
    retries: int = 0
    retries_by_type: dict = field(default_factory=dict)
    unrecovered: int = 0
    """Events whose invocation failed for good (no retry allowed or left)."""
    sqs_redeliveries: int = 0
    requeued_after_crash: int = 0
    kills: int = 0
    reordering: dict = field(default_factory=dict)
    overlap: dict = field(default_factory=dict)
    wall_seconds: float = 0.0
    settle_seconds: float = 0.0
    """From the last upload to the last invocation's end."""
    delivery_seconds: float = 0.0
    """From the first batch handed to the Runtime API to the last invocation's end."""
    feeding_seconds: float = 0.0
    """From the first batch handed to the Runtime API to the last (the storm's own pace: when
    it is close to delivery_seconds, the uploads, not the function, set records/s)."""
    durations: list = field(default_factory=list)
    """Seconds each finished invocation took, from `/next` handing it out to its answer."""
    requests_by_kind: dict = field(default_factory=dict)
    """The function's S3 requests the server answered, by kind (through the proxy)."""
    runtimes: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    """How busy the machine was from the first delivery to settled, and what the S3 server and
    the storm (its proxy included) used of it (`delivery.machine_share`)."""
    server_profile: dict = field(default_factory=dict)
    """Where the S3 server's CPU went from the first delivery to settled, with
    `--server-profile` (`server_profile.summarize`)."""
    ceiling: dict = field(default_factory=dict)
    """The server-side copies injected into the run (`copy_load.CopyLoad.finish`), if any."""
    faults: dict | None = None
    audit: Audit = field(default_factory=Audit)
    settled: bool = True
    log_dir: str | None = None
    error_samples: list = field(default_factory=list)
    preload: dict = field(default_factory=dict)
    """With a preloaded catalog: its entries, the seconds to write it, and the untimed
    invocation that indexed it (its seconds; its box's report with a box)."""
    function_metrics: dict | None = None
    """The runtimes' log lines and EMF metrics, summarised (`log_summary.summarise`): what an
    operator would see in CloudWatch for this storm."""

    @property
    def records_per_second(self) -> float:
        """Delivered records ÷ the time from the first delivery until everything settled."""
        return self.deliveries / self.delivery_seconds if self.delivery_seconds else 0.0

    def duration_ms(self) -> dict:
        """p50, p95 and max invocation duration in ms (None without invocations)."""
        if not self.durations:
            return {"p50": None, "p95": None, "max": None, "n": 0}
        return {"p50": round(percentile(self.durations, 0.50) * 1000, 1),
                "p95": round(percentile(self.durations, 0.95) * 1000, 1),
                "max": round(max(self.durations) * 1000, 1), "n": len(self.durations)}

    @property
    def records_per_invocation(self) -> float:
        return self.deliveries / len(self.batch_sizes) if self.batch_sizes else 0.0

    def requests_per_record(self) -> float | None:
        if self.faults is None or not self.deliveries:
            return None
        return self.faults["requests"] / self.deliveries

    def limit(self) -> dict | None:
        """physical_limit() at the latency the proxy actually added (None without latency)."""
        if not self.config.latency:
            return None
        mean = sum(self.config.latency) / 2
        if self.faults and self.faults.get("delayed"):
            mean = self.faults["latency_ms"] / self.faults["delayed"]
        # A catalog that grew past one PutObject during the run wrote both ways: the shorter
        # window counts.
        put = self.requests_by_kind.get("PUT catalog", 0)
        completed = self.requests_by_kind.get("COMPLETE catalog", 0)
        limit = physical_limit(mean, self.records_per_invocation, self.config.procs,
                               BIG_WINDOW_ROUND_TRIPS if completed and not put else WINDOW_ROUND_TRIPS)
        writes = put + completed
        limit["catalog_writes"] = writes
        limit["measured_writes_per_second"] = (round(writes / self.delivery_seconds, 1)
                                               if self.delivery_seconds else None)
        return limit

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.settled and self.unrecovered == 0 and self.audit.exact

    def summary(self) -> dict:
        a = self.audit
        return {
            "ok": self.ok,
            "function": self.label,
            "procs": self.config.procs,
            "seed": self.config.seed,
            "plan": self.plan,
            "events": self.events,
            "deliveries": self.deliveries,
            "batches": len(self.batch_sizes),
            "records_per_invocation": round(self.records_per_invocation, 2),
            "delivery": self.config.delivery,
            "batch_sizes": [self.config.min_batch, self.config.max_batch],
            "invocations": self.invocations,
            "invocations_by_shape": self.invocations_by_shape,
            "failures": self.failures,
            "failures_by_type": self.failures_by_type,
            "retries": self.retries,
            "retries_by_type": self.retries_by_type,
            "unrecovered": self.unrecovered,
            "sqs_redeliveries": self.sqs_redeliveries,
            "kills": self.kills,
            "requeued_after_crash": self.requeued_after_crash,
            "reordering": self.reordering,
            "overlap": self.overlap,
            "wall_seconds": round(self.wall_seconds, 2),
            "settle_seconds": round(self.settle_seconds, 2),
            "delivery_seconds": round(self.delivery_seconds, 2),
            "feeding_seconds": round(self.feeding_seconds, 2),
            "invocation_ms": self.duration_ms(),
            "runtimes": self.runtimes,
            "machine": self.machine,
            "server_profile": self.server_profile,
            "ceiling": self.ceiling,
            "preload": self.preload,
            "events_per_second": round(self.events_per_second, 1),
            "records_per_second": round(self.records_per_second, 1),
            "faults": self.faults,
            "requests_by_kind": dict(sorted(self.requests_by_kind.items())),
            "requests_per_record": None if self.requests_per_record() is None
            else round(self.requests_per_record(), 2),
            "conflicts": None if self.faults is None else
            {k: self.faults["answers"].get(k, 0) for k in ("412", "409")},
            "physical_limit": self.limit(),
            "latency_ms": list(self.config.latency) if self.config.latency else None,
            "catalog_entries": a.catalog_entries,
            "bucket_images": a.bucket_images,
            "lost": len(a.lost),
            "duplicated": len(a.duplicated),
            "resurrected": len(a.resurrected),
            "resurrected_non_images": a.resurrected_non_images,
            "stale": len(a.stale),
            "malformed": a.malformed,
            "wrong_entries": a.wrong,
            "without_etag": a.without_etag,
            "catalog_error": a.catalog_error,
            "examples": {"lost": a.lost[:5], "duplicated": a.duplicated[:5],
                         "resurrected": a.resurrected[:5], "stale": a.stale[:5]},
            "settled": self.settled,
            "log_dir": self.log_dir,
            "error_samples": self.error_samples,
            "function_metrics": self.function_metrics,
        }



def format_report(result: StormResult) -> str:
    s = result.summary()
    c = result.config

    def by_type(counts: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"

    plan = s["plan"]
    lines = [
        f"storm: {s['function']}, {c.procs} processes, seed {c.seed}, {c.delivery} delivery, "
        f"batches of {c.min_batch}..{c.max_batch} records",
        f"  plan: {plan['uploads']} uploads + {plan['deletes']} deletes over {plan['keys']} keys "
        f"({plan['image_keys']} images of {len(plan['formats'])} formats, {plan['non_image_keys']} "
        f"text{', ' + str(plan['lying_names']) + ' with lying names' if plan['lying_names'] else ''}); re-uploads: {plan['reuploads_new_size']} new size, "
        f"{plan['reuploads_same_size']} same size (new ETag), {plan['reuploads_after_delete']} after "
        f"a delete; {plan['deleted_at_end']} keys deleted at the end",
        f"  events: {s['events']} S3 events, {s['deliveries']} records delivered (each event twice, "
        f"shuffled; {s['reordering']['out_of_order_deliveries']} delivered after a later change of "
        f"the same key, {s['reordering']['deletes_before_their_create']} deletes before their create)",
        f"  invocations: {s['invocations']} ({by_type(s['invocations_by_shape'])}; "
        f"{s['batches']} batches of {s['records_per_invocation']:.1f} records on average); "
        f"done while uploads ran: {s['overlap']['invocations_done_while_uploading']}, uploads "
        f"took {s['overlap']['upload_seconds']} s",
        f"  failures: {s['failures']} ({by_type(s['failures_by_type'])}); retries: {s['retries']} "
        f"({by_type(s['retries_by_type'])}); unrecovered: {s['unrecovered']}",
    ]
    if c.sqs:
        lines.append(f"  sqs: {s['sqs_redeliveries']} messages redelivered after batchItemFailures")
    if c.kill:
        lines.append(f"  kills: {s['kills']} runtimes SIGKILLed (replaced); "
                     f"{s['requeued_after_crash']} invocations finished on a second delivery")
    if s["faults"] is not None:
        f = s["faults"]
        lines.append(f"  faults: {f['requests']} function S3 requests, {f['slowdowns']} answered 503 "
                     f"SlowDown, {f['resets']} connections reset ({f['resets_before_forwarding']} "
                     f"before forwarding, {f['resets_after_forwarding']} after the server answered)"
                     if f["slowdowns"] or f["resets"] else
                     f"  proxy: {f['requests']} function S3 requests, no faults injected")
        if c.latency:
            lines.append(f"  latency: {c.latency[0]:g}-{c.latency[1]:g} ms on each function S3 request "
                         f"({f['delayed']} delayed, {f['latency_ms'] / max(1, f['delayed']):.1f} ms mean)")
        lines.append(f"  S3 requests per delivered record: {s['requests_per_record']:.2f} "
                     f"({f['requests']} ÷ {s['deliveries']}); by kind: {by_type(s['requests_by_kind'])}")
        conflicts = s["conflicts"]
        lines.append(f"  server answers: {', '.join(f'{k}: {v}' for k, v in f['answers'].items())} "
                     f"(conditional writes lost to another writer: 412 {conflicts['412']}, "
                     f"409 {conflicts['409']})")
    d = s["invocation_ms"]
    if d["n"]:
        lines.append(f"  invocation duration (/next → answer): p50 {d['p50']:,.1f} ms, p95 "
                     f"{d['p95']:,.1f} ms, max {d['max']:,.1f} ms over {d['n']} invocations")
    lines.append(f"  throughput: {s['records_per_second']:.1f} delivered records/s ({s['deliveries']} "
                 f"records from the first delivery to settled in {s['delivery_seconds']:.2f} s; "
                 f"the storm handed out its last batch after {s['feeding_seconds']:.2f} s)")
    limit = s["physical_limit"]
    if limit:
        share = s["records_per_second"] / limit["records_per_second"] if limit["records_per_second"] else 0
        lines.append(
            f"  physical limit at {limit['latency_ms']:g} ms per request: one catalog write per "
            f"read → conditional write window ({limit['window_round_trips']} round trips, {limit['window_ms']:g} ms) ≤ {limit['writes_per_second']:g} writes/s × "
            f"{limit['records_per_invocation']:g} records = {limit['records_per_second_by_window']:,.0f} "
            f"records/s; {c.procs} processes × {limit['records_per_invocation']:g} records per "
            f"{limit['invocation_ms']:g} ms (3 round trips) = {limit['records_per_second_by_processes']:,.0f} "
            f"records/s; ceiling {limit['records_per_second']:,.0f} records/s while every invocation "
            f"needs a write of its own, measured {share:.0%} of it ({limit['catalog_writes']} catalog "
            f"writes succeeded: {limit['measured_writes_per_second']} writes/s against the window's "
            f"{limit['writes_per_second']:g}, {s['deliveries'] / max(1, limit['catalog_writes']):.1f} "
            f"records per write: an invocation whose records are all cataloged already writes nothing)")
    runtimes = s["runtimes"]
    if c.box is not None:
        usage = (f"  runtimes, each in a {c.box} MB Lambda-shaped box ({c.box / 1769:.1%} of a core): "
                 f"{runtimes.get('cpu_seconds', '?')} CPU s in {runtimes.get('processes', '?')} processes "
                 f"({runtimes.get('throttled_seconds', '?')} s throttled), peak memory "
                 f"{runtimes.get('peak_rss_mb', '?')} MB, memory limit hit {runtimes.get('limit_hits', '?')} "
                 f"times, {runtimes.get('oom_kills', '?')} killed for memory")
    else:
        usage = (f"  runtimes: {runtimes.get('cpu_seconds', '?')} CPU s in the "
                 f"{runtimes.get('processes', '?')} live processes, peak RSS "
                 f"{runtimes.get('peak_rss_mb', '?')} MB")
    if runtimes.get("cpu_seconds") is not None and s["deliveries"]:
        usage += f"; {runtimes['cpu_seconds'] * 1000 / s['deliveries'] * 1000:,.0f} CPU ms per 1,000 records"
    if s["preload"]:
        p = s["preload"]
        box = p.get("index_box")
        lines.append(f"  preloaded catalog: {p['entries']:,} entries written in {p['write_seconds']:.1f} s; "
                     f"the untimed first read that indexed it took {p['index_seconds']:.1f} s"
                     + (f" ({box['cpu_s']} CPU s, peak memory {box['peak_rss_mb']} MB in the box)" if box else "")
                     + (f"; {plan['preload_deletes']:,} of its entries deleted by the plan, spread over it"
                        if plan.get("preload_deletes") else ""))
    lines += [
        f"  wall time: {s['wall_seconds']:.2f} s; {s['events_per_second']:.1f} events/s; settled "
        f"{s['settle_seconds']:.2f} s after the last upload",
        usage,
    ]
    m = s.get("machine")
    if m:
        lines.append(f"  machine: {m['cores']} cores {m['busy_share']:.0%} busy from the first delivery to settled ({m['seconds']:.1f} s); "
                     f"of that CPU, the S3 server {m['server_cpu_seconds']} s, the proxy and the storm "
                     f"{m['storm_cpu_seconds']} s (the runtimes: {runtimes.get('cpu_seconds', '?')} s since they started)")
    if s.get("ceiling"):
        lines.append(ceiling_line(s["ceiling"]))
    profile = s.get("server_profile")
    if profile:
        def shares(pairs):
            return ", ".join(f"{name} {share:.0%}" for name, share in pairs) or "none"
        lines.append(f"  S3 server profile ({profile['cpu_seconds']} CPU s sampled): where it went, by package: "
                     f"{shares(profile['packages'])}; what for, by handler: {shares(profile['handlers'])}"
                     + (f"; errors: {'; '.join(profile['errors'])}" if profile.get("errors") else ""))
    lines += [
        f"  catalog: {s['catalog_entries']} entries; bucket: {s['bucket_images']} images",
        f"  lost {s['lost']}, duplicated {s['duplicated']}, resurrected {s['resurrected']}"
        f"{' (' + str(s['resurrected_non_images']) + ' not images)' if s['resurrected_non_images'] else ''}"
        f", stale {s['stale']}"
        + (f", malformed {s['malformed']}" if s["malformed"] else "")
        + (f" ({s['without_etag']} entries without etag: compared by size only)" if s["without_etag"] else "")
        + f"; {s['wrong_entries']} wrong entries",
    ]
    if s["catalog_error"]:
        lines.append(f"  catalog error: {s['catalog_error']}")
    for kind, names in s["examples"].items():
        if names:
            lines.append(f"  e.g. {kind}: {', '.join(repr(n) for n in names)}")
    for sample in s["error_samples"][:3]:
        lines.append(f"  error sample: {sample['type']}: {sample['body'][:300]}")
    if s["function_metrics"] and s["function_metrics"]["emf_documents"]:
        lines.append("  what an operator would see (the function's EMF documents, read back):")
        lines += ["    " + line for line in format_summary(s["function_metrics"]).splitlines()]
    if not s["settled"]:
        lines.append(f"  NOT SETTLED: invocations still pending after {c.timeout:.0f} s")
    lines.append("  PASS: the catalog equals the bucket" if s["ok"] else
                 f"  FAIL (runtime logs: {s['log_dir']})")
    return "\n".join(lines)


def ceiling_line(ceiling: dict) -> str:
    """The report's line for the copies a ceiling run injected (`copy_load.CopyLoad.finish`)."""
    return (f"  ceiling load: {ceiling['done']} of {ceiling['copies']} server-side copies of a "
            f"{ceiling['entries']:,}-entry catalog ({ceiling['bytes_each']:,} bytes each) made as "
            f"invocations started" + (f"; {problem}" if (problem := ceiling_problem(ceiling)) else ""))


def ceiling_problem(ceiling: dict) -> str | None:
    """Why a ceiling run did not carry the load it stands for, if it did not: then no ratio
    against it is given."""
    problems = []
    if ceiling["issued"] < ceiling["copies"]:
        problems.append(f"only {ceiling['issued']} issued (fewer invocations than the run it copies)")
    if ceiling["failed"]:
        problems.append(f"{ceiling['failed']} failed: {'; '.join(ceiling['errors'])}")
    if ceiling["late"]:
        problems.append(f"{ceiling['late']} ended after the run settled")
    return ", ".join(problems) or None


def comparison(results: list[StormResult], against: str = "peer") -> dict:
    """The figures the issues compare, one row per run of the same plan, with records/s as a
    ratio to the last: the peer, or (`against="empty"`) the same function on an empty catalog.
    With a ceiling run among them (`--ceiling`), the first run's records/s against its
    (`vs_ceiling`), or why none is given (`vs_ceiling_withheld`)."""
    rows = []
    for result in results:
        s = result.summary()
        name = s["function"].split(" (")[0]
        if s["preload"]:
            name += f", {s['preload']['entries']:,} entries preloaded"
        elif s["ceiling"]:
            name += f", empty catalog + {s['ceiling']['copies']} copies of {s['ceiling']['entries']:,} entries (ceiling)"
        elif against == "empty":
            name += ", empty catalog"
        rows.append({"function": name, "runtimes": s["runtimes"], "records_per_second": s["records_per_second"],
                     "failures": s["failures"], "failures_by_type": s["failures_by_type"],
                     "invocation_ms": s["invocation_ms"], "requests_per_record": s["requests_per_record"],
                     "conflicts": s["conflicts"], "wrong_entries": s["wrong_entries"], "ok": s["ok"]})
    peer = rows[-1]["records_per_second"]
    for row in rows:
        row["records_per_second_vs_last"] = round(row["records_per_second"] / peer, 2) if peer else None
    compared = {"against": against, "rows": rows}
    ceiling = next((result for result in results if result.ceiling), None)
    if ceiling is not None:
        # The preloaded run against the ceiling its own copies leave on this server, when the
        # ceiling run carried all of them and was exact.
        problem = (ceiling_problem(ceiling.ceiling) or (None if ceiling.ok else "the ceiling run was not exact")
                   or (None if results[0].ok else "the preloaded run was not exact"))
        if problem or not ceiling.records_per_second:
            compared["vs_ceiling_withheld"] = problem or "the ceiling run delivered nothing"
        else:
            compared["vs_ceiling"] = round(rows[0]["records_per_second"] / ceiling.records_per_second, 2)
    return compared


def format_comparison(results: list[StormResult], against: str = "peer") -> str:
    def ms(value) -> str:
        return "-" if value is None else f"{value:,.0f}"

    rows = []
    compared = comparison(results, against)
    for row in compared["rows"]:
        d, c = row["invocation_ms"], row["conflicts"] or {}
        failures = f"{row['failures']}" + (" (" + ", ".join(f"{k} {v}" for k, v in
                                                            sorted(row["failures_by_type"].items())) + ")"
                                           if row["failures"] else "")
        ratio = row["records_per_second_vs_last"]
        rows.append([row["function"], f"{row['records_per_second']:.1f}", f"{ratio:.2f}×" if ratio else "-",
                     failures, ms(d["p50"]), ms(d["p95"]), ms(d["max"]),
                     "-" if row["requests_per_record"] is None else f"{row['requests_per_record']:.2f}",
                     f"{c.get('412', '-')}/{c.get('409', '-')}",
                     "-" if row["runtimes"].get("peak_rss_mb") is None else f"{row['runtimes']['peak_rss_mb']:.0f}",
                     str(row["wrong_entries"])])
    text = "same plan, same server, one after the other:\n" + table(
        ["run", "records/s", f"vs {against}", "failed invocations", "p50 ms", "p95 ms", "max ms",
         "S3 req/record", "412/409", "peak MB", "wrong entries"], rows)
    if "vs_ceiling" in compared:
        text += (f"\nthe preloaded run against the ceiling its server-side copies leave on this machine: "
                 f"{compared['vs_ceiling']:.2f}×")
    elif "vs_ceiling_withheld" in compared:
        text += f"\nno ratio against the ceiling run: {compared['vs_ceiling_withheld']}"
    return text
