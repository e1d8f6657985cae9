"""Step 5 of the storm: the result (StormResult, also the --json summary) and its text."""

from __future__ import annotations

from dataclasses import dataclass, field

from .audit import Audit
from .config import StormConfig


@dataclass
class StormResult:
    config: StormConfig
    label: str
    plan: dict
    events: int = 0
    deliveries: int = 0
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
    runtimes: dict = field(default_factory=dict)
    faults: dict | None = None
    audit: Audit = field(default_factory=Audit)
    settled: bool = True
    log_dir: str | None = None
    error_samples: list = field(default_factory=list)

    @property
    def records_per_second(self) -> float:
        return self.deliveries / self.wall_seconds if self.wall_seconds else 0.0

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
            "runtimes": self.runtimes,
            "events_per_second": round(self.events_per_second, 1),
            "records_per_second": round(self.records_per_second, 1),
            "faults": self.faults,
            "latency_ms": list(self.config.latency) if self.config.latency else None,
            "catalog_entries": a.catalog_entries,
            "bucket_images": a.bucket_images,
            "lost": len(a.lost),
            "duplicated": len(a.duplicated),
            "resurrected": len(a.resurrected),
            "resurrected_non_images": a.resurrected_non_images,
            "stale": len(a.stale),
            "malformed": a.malformed,
            "without_etag": a.without_etag,
            "catalog_error": a.catalog_error,
            "examples": {"lost": a.lost[:5], "duplicated": a.duplicated[:5],
                         "resurrected": a.resurrected[:5], "stale": a.stale[:5]},
            "settled": self.settled,
            "log_dir": self.log_dir,
            "error_samples": self.error_samples,
        }



def format_report(result: StormResult) -> str:
    s = result.summary()
    c = result.config

    def by_type(counts: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"

    plan = s["plan"]
    lines = [
        f"storm: {s['function']}, {c.procs} processes, seed {c.seed}, batches of 1..{c.max_batch}",
        f"  plan: {plan['uploads']} uploads + {plan['deletes']} deletes over {plan['keys']} keys "
        f"({plan['image_keys']} images of {len(plan['formats'])} formats, {plan['non_image_keys']} "
        f"text{', ' + str(plan['lying_names']) + ' with lying names' if plan['lying_names'] else ''}); re-uploads: {plan['reuploads_new_size']} new size, "
        f"{plan['reuploads_same_size']} same size (new ETag), {plan['reuploads_after_delete']} after "
        f"a delete; {plan['deleted_at_end']} keys deleted at the end",
        f"  events: {s['events']} S3 events, {s['deliveries']} records delivered (each event twice, "
        f"shuffled; {s['reordering']['out_of_order_deliveries']} delivered after a later change of "
        f"the same key, {s['reordering']['deletes_before_their_create']} deletes before their create)",
        f"  invocations: {s['invocations']} ({by_type(s['invocations_by_shape'])}); "
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
                         f"({f['delayed']} delayed, {f['latency_ms'] / max(1, f['delayed']):.1f} ms mean; "
                         f"{f['requests'] / max(1, s['deliveries']):.2f} requests per delivered record)")
        conflicts = f["answers"].get("412", 0) + f["answers"].get("409", 0)
        lines.append(f"  server answers: {', '.join(f'{k}: {v}' for k, v in f['answers'].items())} "
                     f"({conflicts} conditional writes lost to another writer, 412/409)")
    lines += [
        f"  wall time: {s['wall_seconds']:.2f} s; {s['events_per_second']:.1f} events/s "
        f"({s['records_per_second']:.1f} delivered records/s); settled {s['settle_seconds']:.2f} s "
        f"after the last upload",
        f"  runtimes: {s['runtimes'].get('cpu_seconds', '?')} CPU s in the "
        f"{s['runtimes'].get('processes', '?')} live processes, peak RSS "
        f"{s['runtimes'].get('peak_rss_mb', '?')} MB",
        f"  catalog: {s['catalog_entries']} entries; bucket: {s['bucket_images']} images",
        f"  lost {s['lost']}, duplicated {s['duplicated']}, resurrected {s['resurrected']}"
        f"{' (' + str(s['resurrected_non_images']) + ' not images)' if s['resurrected_non_images'] else ''}"
        f", stale {s['stale']}"
        + (f", malformed {s['malformed']}" if s["malformed"] else "")
        + (f" ({s['without_etag']} entries without etag: compared by size only)" if s["without_etag"] else ""),
    ]
    if s["catalog_error"]:
        lines.append(f"  catalog error: {s['catalog_error']}")
    for kind, names in s["examples"].items():
        if names:
            lines.append(f"  e.g. {kind}: {', '.join(repr(n) for n in names)}")
    for sample in s["error_samples"][:3]:
        lines.append(f"  error sample: {sample['type']}: {sample['body'][:300]}")
    if not s["settled"]:
        lines.append(f"  NOT SETTLED: invocations still pending after {c.timeout:.0f} s")
    lines.append("  PASS: the catalog equals the bucket" if s["ok"] else
                 f"  FAIL (runtime logs: {s['log_dir']})")
    return "\n".join(lines)
