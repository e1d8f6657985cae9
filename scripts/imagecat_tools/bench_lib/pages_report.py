"""The pages figure's part of the report (see pages.py for what is measured): per size, one row per
runtime and request with its ratios against the python-boto3 peer, the processes' memory (and
box) figures, how many bytes a page read against the catalog's size, and issue 17's goals."""

from __future__ import annotations

from .report import PYTHON_PEER, ratio, table

ROWS = (("first", "first page (spawn → answer)"), ("page", "later page"), ("page desc", "later page, name-desc"),
        ("lookup", "GET /images/{name}"), ("type png", "type=png, whole walk"),
        ("type gif", "type=gif, whole walk"), ("after change", "page after a change"))
SINGLE = {"first", "after change", "type png", "type gif"}
"""Rows that have one figure per process (a median over the processes, no p95)."""
GOALS = {False: (1000.0, 150.0), True: (2000.0, 300.0)}
"""Issue 17, at 1,000,000 entries: (first page ms, later pages and lookups p95 ms), without and
with the 128 MB box."""


def render(section: dict) -> str:
    boxed = section.get("box_mb")
    latency = section.get("latency_ms")
    where = (f", {latency[0]:g}-{latency[1]:g} ms per runtime S3 request" if latency else ", S3 on loopback")
    if boxed:
        where += f", each process in its own {boxed} MB box ({boxed / 1769:.1%} of one core)"
    head = (f"6. API pages, _HANDLER=api, local SeaweedFS{where}: {section['rounds']} fresh process(es) per "
            f"runtime and size, alternating; each: the first page of {section['limit']} (spawn → answer), "
            f"{section['per_order']} later pages in each order (walks of {section['walk']} from random names), "
            f"{section['lookups']} lookups, a type filter followed to its end, a page after a change. Every "
            f"answer checked against the truth. ms: the invocation (/next → /response), p50/p95 over every "
            f"request; CPU: the process's own, median; S3 req: mean per request; KB: read from S3, median; "
            f"a request unanswered after {section['cap_s']:g} s ends its process's run")
    parts = [head]
    for size, part in section["sizes"].items():
        parts.append(_size(int(size), part, section))
    return "\n\n".join(parts)


def _size(size: int, part: dict, section: dict) -> str:
    facts = part["catalog"]
    runtimes = part["runtimes"]
    peer = runtimes.get(PYTHON_PEER, {})
    lines = [f"  {size:,} entries: images.json {facts['catalog_bytes'] / 1e6:.1f} MB, index {facts['index_bytes'] / 1e3:.0f} KB "
             f"({facts['blocks']:,} blocks), {facts['gifs']} gifs spread over it; preloaded in {facts['preload_s']} s, "
             f"indexed by the catalog function in {facts['index_s']} s; load {' '.join(map(str, part['load_start']))} → "
             f"{' '.join(map(str, part['load_end']))}"]
    cpu = part.get("cpu")
    if cpu:
        lines.append(f"  (machine CPU: {cpu['busy_pct']:.0f}% busy, this benchmark {cpu['ours_pct']:.0f}%, "
                     f"others {cpu['others_pct']:.0f}%, steal {cpu['steal_pct']:.0f}%)")
    rows = []
    for name, figures in runtimes.items():
        for key, label in ROWS:
            f = figures.get(key)
            if not f:
                continue
            ours, theirs = _headline(key, f), _headline(key, peer.get(key))
            rows.append([name, label, str(f["n"] if key not in {"type png", "type gif"} else f"{f['requests']:.0f}"),
                         f"{ours[0]:,.1f}", "-" if key in SINGLE else f"{f['p95_ms']:,.1f}",
                         f"{ours[1]:,.2f}", f"{f['s3_requests']:.2f}" if key not in SINGLE else f"{f['s3_requests']:.0f}",
                         _kb(f["s3_bytes"]), "-" if f.get("server_cpu_ms") is None else f"{f['server_cpu_ms']:,.1f}",
                         *(["-"] * 4 if name == PYTHON_PEER or theirs is None else
                           [ratio(ours[0], theirs[0]),
                            "-" if key in SINGLE else ratio(f["p95_ms"], peer[key]["p95_ms"]),
                            ratio(ours[1], theirs[1]), ratio(f["s3_bytes"], peer[key]["s3_bytes"])])])
    lines.append(table(["runtime", "request", "n", "ms p50", "ms p95", "ms CPU", "S3 req", "KB read",
                        "S3 server ms CPU", "ms p50 vs peer", "p95 vs peer", "CPU vs peer", "KB vs peer"], rows))
    lines.append("  (type walks: n = API requests to follow nextCursor to its end; ms, CPU, S3 req and KB are "
                 "the walk's totals)")
    lines.append("")
    lines.append(_memory(runtimes, section.get("box_mb")))
    for name, figures in runtimes.items():
        for ended in figures["ended"]:
            lines.append(f"  {name} {ended}")
    lines.append("")
    lines.append(_bytes(facts, runtimes))
    lines.append("")
    lines.append(_goals(size, runtimes, bool(section.get("box_mb"))))
    return "\n".join(lines)


def _headline(key: str, figures: dict | None) -> tuple[float, float] | None:
    """(ms, CPU ms) that the ratios compare: p50 and median CPU; a walk's totals."""
    if not figures:
        return None
    if key in {"type png", "type gif"}:
        return figures["ms"], figures["cpu_ms"]
    return figures["p50_ms"], figures["cpu_ms"]


def _kb(value: float) -> str:
    return f"{value / 1e3:,.1f}"


def _memory(runtimes: dict, box_mb: int | None) -> str:
    headers = ["runtime", "processes", "peak RSS MB", "CPU ms/process"]
    if box_mb:
        headers += ["box peak MB", "limit hits", "OOM kills", "throttled s"]
    headers.append("ended early")
    rows = []
    peer_rss = (runtimes.get(PYTHON_PEER) or {}).get("peak_rss_kb")
    for name, f in runtimes.items():
        rss = f.get("peak_rss_kb")
        row = [name, str(f["processes"]), "-" if rss is None else f"{rss / 1024:,.1f}"
               + ("" if name == PYTHON_PEER or not peer_rss else f" ({ratio(rss, peer_rss)})"),
               "-" if f.get("cpu_ms_total") != f.get("cpu_ms_total") else f"{f['cpu_ms_total']:,.0f}"]
        if box_mb:
            box = f.get("box") or {}
            row += [str(box.get("peak_rss_mb", "-")), str(box.get("limit_hits", "-")), str(box.get("oom_kills", "-")),
                    str(box.get("throttled_s", "-"))]
        row.append(str(len(f["ended"])))
        rows.append(row)
    return table(headers, rows)


def _bytes(facts: dict, runtimes: dict) -> str:
    total = facts["catalog_bytes"]
    lines = [f"  Bytes read from S3 against the catalog ({total / 1e6:.1f} MB):"]
    for name, f in runtimes.items():
        cells = []
        for key, label in (("first", "first page"), ("page", "later page"), ("lookup", "lookup"),
                           ("after change", "page after a change")):
            if key in f:
                cells.append(f"{label} {_kb(f[key]['s3_bytes'])} KB ({f[key]['s3_bytes'] / total:.2%})")
        if "page" in f:
            cells.append(f"a page's answer {_kb(f['page']['body_bytes'])} KB")
        lines.append(f"    {name}: " + ("; ".join(cells) if cells else "no answer"))
        for key, label in (("first", "first page"), ("after change", "page after a change")):
            if key in f:
                kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(f[key]["kinds"].items()))
                lines.append(f"      {label}'s S3 requests: {kinds}")
    return "\n".join(lines)


def _goals(size: int, runtimes: dict, boxed: bool) -> str:
    first_ms, later_ms = GOALS[boxed]
    lines = [f"  Goals of issue 17 ({'in the box' if boxed else 'no box'}; set at 1,000,000 entries), "
             f"at {size:,} entries:"]
    for name, f in runtimes.items():
        if name == PYTHON_PEER:
            continue
        rows = []
        if "first" in f:
            value = f["first"]["p50_ms"]
            rows.append([f"first page ≤ {first_ms:,.0f} ms", f"{value:,.0f} ms (max {f['first']['max_ms']:,.0f})",
                         _verdict(value <= first_ms)])
        else:
            rows.append([f"first page ≤ {first_ms:,.0f} ms", "no answer", "BEHIND"])
        for key, label in (("page", "later pages"), ("page desc", "later pages, name-desc"), ("lookup", "lookups")):
            if key in f:
                value = f[key]["p95_ms"]
                rows.append([f"{label} p95 ≤ {later_ms:,.0f} ms", f"{value:,.1f} ms", _verdict(value <= later_ms)])
        lines.append(f"    {name}:")
        lines.append(table(["goal", "measured", ""], rows, indent="      "))
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "BEHIND"
