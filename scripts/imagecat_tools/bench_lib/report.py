"""Turns a benchmark's results (the dict imagecat_tools.bench builds, also its --json output) into
the plain-text report: the command, the machine, one table per figure with ratios against
the peers, and the goals from the issue with "met" or "BEHIND".

Ratios are always "this row ÷ the peer": below 1 is better for times, CPU and memory, above 1
is better for rates. Printing one convention everywhere keeps a reader from guessing.
"""

from __future__ import annotations

import math
import statistics

PYTHON_PEER = "python-boto3"
SWIFT_PEER = "swift-runtime"

GOALS = {
    "cold_start_ms": 3.0,
    "cpu_us_per_invoke": 60.0,
    "peak_rss_mb": 10.0,
    "catalog_speedup": 5.0,
    "zip_mb": 10.0,
}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: with 20 samples p10 is the 2nd smallest,
    with 100 p95 is the 95th): the smallest value with at least `fraction` of them at or
    below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def ratio(value: float | None, peer: float | None) -> str:
    if value is None or peer is None or peer == 0 or value != value or peer != peer:
        return "-"
    r = value / peer
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    def line(cells):
        return indent + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), indent + "  ".join("-" * w for w in widths)]
                     + [line(row) for row in rows])


def _peer_columns(names: list[str]) -> list[str]:
    return [f"vs {peer}" for peer in (PYTHON_PEER, SWIFT_PEER) if peer in names]


def _ratios(value: float, by_name: dict[str, float], names: list[str], name: str) -> list[str]:
    cells = []
    for peer in (PYTHON_PEER, SWIFT_PEER):
        if peer in names:
            cells.append("-" if name == peer else ratio(value, by_name.get(peer)))
    return cells


def render(results: dict, extra: list[str] = ()) -> str:
    """The report; `extra` sections (rendered elsewhere: the pages figure) go before the goals."""
    out = ["imagecat benchmark", ""]
    out.append(f"command:  {results['command']}")
    m = results["machine"]
    out.append(f"date:     {m['date']}")
    out.append(f"machine:  {m['nproc']} CPUs ({m['cpus_usable']} usable), {m['cpu_model']}, "
               f"kernel {m['kernel']}, {m['memory_mb']} MB RAM, Python {m['python']}")
    out.append(f"load:     {' '.join(map(str, m['load_average']))} at start (1/5/15 min); "
               f"{' '.join(map(str, results.get('load_average_end', [])))} at end")
    out.append("runtimes:")
    for name, info in results["runtimes"].items():
        out.append(f"  {name:<14} {info['description']}")
    out.append("")
    out.append("Ratios are this row ÷ the peer: below 1× is better for ms, µs, MB; "
               "above 1× is better for /s.")
    if "cold_start" in results:
        out += ["", _cold_start(results["cold_start"])]
    if "warm_loop" in results:
        out += ["", _warm_loop(results["warm_loop"])]
    if "catalog" in results:
        out += ["", _catalog(results["catalog"])]
    if "requests" in results:
        out += ["", _requests(results["requests"])]
    if "package" in results:
        out += ["", _package(results["package"])]
    for section in extra:
        out += ["", section]
    out += ["", _goals(results)]
    return "\n".join(out) + "\n"


def _load(section: dict) -> str:
    """The machine's CPU use while the figure ran (see machine.CpuWatch)."""
    cpu = section.get("cpu")
    if not cpu:
        return ""
    return (f"  (machine CPU during this figure: {cpu['busy_pct']:.0f}% busy, of which this benchmark "
            f"{cpu['ours_pct']:.0f}% and other processes {cpu['others_pct']:.0f}%; "
            f"hypervisor steal {cpu['steal_pct']:.0f}%)")


def _cold_start(section: dict) -> str:
    runtimes = section["runtimes"]
    names = list(runtimes)
    medians = {n: r["median_ms"] for n, r in runtimes.items()}
    rows = [[n, f"{r['median_ms']:.2f}", f"{r['p10_ms']:.2f}", f"{r['p90_ms']:.2f}",
             f"{r['min_ms']:.2f}", str(len(r["samples_ms"])), *_ratios(r["median_ms"], medians, names, n)]
            for n, r in runtimes.items()]
    head = (f"1. Cold start: spawn → first GET /runtime/invocation/next (ms), "
            f"{section['spawns']} spawns each, alternating, _HANDLER=sum, warm page cache")
    return "\n".join([head, table(["runtime", "median", "p10", "p90", "min", "n", *_peer_columns(names)], rows),
                      _load(section)])


def _warm_loop(section: dict) -> str:
    head = (f"2-3. Warm loop, _HANDLER=sum: {section['invokes']:,} invocations after "
            f"{section['warmup']:,} warm-up, median of {section['rounds']} rounds, alternating; "
            f"CPU = utime+stime of the runtime process (schedstat run time alongside); "
            f"peak RSS = VmHWM at the end; runtime and Runtime API pinned to the same CPU or to "
            f"separate CPUs (a cross-CPU wake-up costs both sides on a VM)")
    rows, ratio_rows = [], []
    server = 0.0
    names: list[str] = []
    for placement, part in section["placements"].items():
        runtimes = part["runtimes"]
        names = list(runtimes)
        cpu = {n: r["cpu_us_per_invoke"] for n, r in runtimes.items()}
        rate = {n: r["invokes_per_second"] for n, r in runtimes.items()}
        rss = {n: r["peak_rss_kb"] for n, r in runtimes.items()}
        for n, r in runtimes.items():
            rows.append([n, placement, f"{r['cpu_us_per_invoke']:.1f}", f"{r['run_us_per_invoke']:.1f}",
                         f"{r['invokes_per_second']:,.0f}", f"{r['switches_per_invoke']:.2f}",
                         str(r["threads"]), f"{r['peak_rss_kb'] / 1024:.1f}"])
            ratio_rows.append([n, placement, *_ratios(cpu[n], cpu, names, n),
                               *_ratios(rate[n], rate, names, n), *_ratios(rss[n], rss, names, n)])
            server = max(server, r["server_cpu_us_per_invoke"])
    figures = table(["runtime", "placement", "µs CPU/invoke", "(schedstat)", "invokes/s",
                     "ctx switches/invoke", "threads", "peak RSS MB"], rows)
    peers = _peer_columns(names)
    ratios = table(["runtime", "placement", *[f"CPU {p}" for p in peers], *[f"rate {p}" for p in peers],
                    *[f"RSS {p}" for p in peers]], ratio_rows)
    note = (f"  (the benchmark's Runtime API spent at most {server:.0f} µs CPU per invocation itself, "
            f"outside the measured process; invokes/s includes its turn)")
    return "\n".join([head, figures, note, _load(section), "", ratios])


def _catalog(section: dict) -> str:
    sizes = section["sizes"]
    names = section["runtimes"]
    rows = []
    for size, by_name in sizes.items():
        rates = {n: r["events_per_second"] for n, r in by_name.items()}
        for n, r in by_name.items():
            server = r.get("server_cpu_ms_per_event")
            rows.append([f"{int(size):,}", n, f"{r['events_per_second']:.1f}",
                         f"{r['cpu_ms_per_event']:.2f}", "-" if server is None else f"{server:.2f}",
                         f"{r['peak_rss_kb'] / 1024:.1f}",
                         *_ratios(r["events_per_second"], rates, names, n)])
    head = (f"4. Catalog throughput, _HANDLER=catalog, local SeaweedFS{_latency(section)}: {section['events']} "
            f"single-record events per run (new PNG keys) after 1 warm-up, one process, median "
            f"of {section['repeats']} runs, alternating; CPU = the runtime's own per event (schedstat), "
            f"and the S3 server's over the same events; "
            f"peak RSS = VmHWM (max of the runs)")
    return "\n".join([head, table(["entries", "runtime", "events/s", "ms CPU/event",
                                   "S3 server ms CPU/event", "peak RSS MB", *_peer_columns(names)], rows),
                      _load(section)])


def _latency(section: dict) -> str:
    """", 10-30 ms per runtime S3 request" when the run added latency (through the proxy)."""
    latency = section.get("latency_ms")
    return f", {latency[0]:g}-{latency[1]:g} ms per runtime S3 request" if latency else ""


def _requests(section: dict) -> str:
    rows = []
    for n, cases in section["runtimes"].items():
        for case in cases:
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(case["by_kind"].items()))
            rows.append([n, case["case"], str(case["total"]), f"{case['ms']:,.0f}" if "ms" in case else "-",
                         kinds])
    head = (f"5. S3 requests per invocation (counted by a loopback proxy{_latency(section)}; catalog seeded with "
            f"{section['seed_entries']:,} entries; ms: the invocation's wall time, one process)")
    return head + "\n" + table(["runtime", "invocation", "requests", "ms", "by kind"], rows)


def _package(section: dict) -> str:
    return (f"Package: {section['path']}: zip {section['zip_bytes'] / 1e6:.2f} MB, bootstrap "
            f"{section['bootstrap_bytes'] / 1e6:.2f} MB, unpacked {section['unpacked_bytes'] / 1e6:.2f} MB; "
            f"run {section['how']}")


def goal_rows(results: dict, subject: str) -> list[list[str]]:
    """One row per goal of the issue for `subject` ("bootstrap" or "bootstrap.zip")."""
    rows = []
    cold = results.get("cold_start", {}).get("runtimes", {})
    if subject in cold:
        value = cold[subject]["median_ms"]
        rows.append(["cold start ≤ 3 ms", f"{value:.2f} ms", _verdict(value <= GOALS["cold_start_ms"])])
    placements = results.get("warm_loop", {}).get("placements", {})
    peak = None
    for placement, part in placements.items():
        loop = part["runtimes"]
        if subject in loop:
            value = loop[subject]["cpu_us_per_invoke"]
            rows.append([f"CPU per warm invoke ≤ 60 µs ({placement})", f"{value:.1f} µs",
                         _verdict(value <= GOALS["cpu_us_per_invoke"])])
            peak = max(peak or 0, loop[subject]["peak_rss_kb"] / 1024)
    if peak is not None:
        rows.append(["peak RSS ≤ 10 MB (sum loop)", f"{peak:.1f} MB", _verdict(peak <= GOALS["peak_rss_mb"])])
    sizes = results.get("catalog", {}).get("sizes", {})
    for size, by_name in sizes.items():
        if subject in by_name:
            value = by_name[subject]["peak_rss_kb"] / 1024
            rows.append([f"peak RSS ≤ 10 MB (catalog, {int(size):,} entries)", f"{value:.1f} MB",
                         _verdict(value <= GOALS["peak_rss_mb"])])
    for size, by_name in sizes.items():
        if subject in by_name and PYTHON_PEER in by_name:
            value = by_name[subject]["events_per_second"] / by_name[PYTHON_PEER]["events_per_second"]
            rows.append([f"catalog throughput ≥ 5× boto3 ({int(size):,} entries)", f"{value:.2f}×",
                         _verdict(value >= GOALS["catalog_speedup"])])
    if subject == "bootstrap.zip" and "package" in results:
        value = results["package"]["zip_bytes"] / 1e6
        rows.append(["zip ≤ 10 MB", f"{value:.2f} MB", _verdict(value <= GOALS["zip_mb"])])
    return rows


def _verdict(met: bool) -> str:
    return "met" if met else "BEHIND"


def _goals(results: dict) -> str:
    parts = ["Goals from the issue"]
    for subject in ("bootstrap", "bootstrap.zip"):
        rows = goal_rows(results, subject)
        if rows:
            parts.append(f"  {subject}:")
            parts.append(table(["goal", "measured", ""], rows, indent="    "))
    if "package" not in results:
        parts.append("  zip ≤ 10 MB: not measured (no zip given or found)")
    return "\n".join(parts)
