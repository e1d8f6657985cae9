"""What an operator would see of a function's run, read back from what it wrote: the log lines
by level, and the metrics CloudWatch would extract from its EMF documents (sums of the counts,
percentiles of the latencies), each document checked against the EMF specification
(`emf_spec`). `scripts/demo` and the storm print it for their runs.

    python3 -m imagecat_tools.log_summary FUNCTION.log [MORE.log ...] [--json]

Reads both log formats: text (`timestamp<TAB>requestId<TAB>LEVEL<TAB>message`) and JSON (one
object with `level` per line). Lines that are neither (a crash trace, another program's
output) are counted as `other`.

As a module:

    from imagecat_tools.log_summary import summarise, format_summary
    print(format_summary(summarise(open("function.log", errors="replace"))))
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from typing import Iterable

from . import emf_spec

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (what CloudWatch's pNN shows, near enough for a summary)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def line_level(line: str) -> str | None:
    """The level of a log line in either format; None for anything else."""
    if line.startswith("{"):
        document = emf_spec.parse(line)
        level = document.get("level") if document else None
        return level if level in LEVELS else None
    parts = line.split("\t", 3)
    if len(parts) == 4 and parts[2] in LEVELS:
        return parts[2]
    return None


def summarise(lines: Iterable[str], now_ms: int | None = None) -> dict:
    """Levels, EMF documents and metrics of `lines`: a dict (also the --json output)."""
    levels: Counter[str] = Counter()
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    units: dict[str, str] = {}
    documents = invalid = cold_starts = other = 0
    problems: list[str] = []
    handlers: Counter[str] = Counter()
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if emf_spec.is_emf(line):
            documents += 1
            found = emf_spec.problems(line, now_ms=now_ms)
            if found:
                invalid += 1
                problems += found[:3]
                continue
            document = emf_spec.parse(line)
            handler = str(document.get("Handler", "-"))
            if "ColdStart" in document:
                cold_starts += 1
            else:
                handlers[handler] += 1
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for definition in directive["Metrics"]:
                    name = definition["Name"]
                    units[name] = definition.get("Unit", "None")
            # A metric named by several directives (Requests, also by Route) is one set of values.
            named = {d["Name"] for directive in document["_aws"]["CloudWatchMetrics"] for d in directive["Metrics"]}
            for name in named:
                target = document[name]
                values[(handler, name)] += target if isinstance(target, list) else [target]
            continue
        level = line_level(line)
        if level:
            levels[level] += 1
        else:
            other += 1
    metrics = []
    for (handler, name), found in sorted(values.items()):
        metrics.append({"handler": handler, "name": name, "unit": units.get(name, "None"), "samples": len(found),
                        "sum": sum(found), "min": min(found), "max": max(found),
                        "p50": percentile(found, 50), "p95": percentile(found, 95)})
    return {"levels": {level: levels[level] for level in LEVELS if levels[level]}, "other_lines": other,
            "emf_documents": documents, "invalid_documents": invalid, "problems": problems[:10],
            "cold_starts": cold_starts, "invocations": dict(handlers), "metrics": metrics}


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def format_summary(summary: dict) -> str:
    """The summary as a few lines of text: levels, then one line per metric (counts by their
    sum, durations and sizes by p50/p95/max)."""
    levels = ", ".join(f"{n} {level}" for level, n in summary["levels"].items()) or "none"
    out = [f"log lines: {levels}" + (f"; {summary['other_lines']} other" if summary["other_lines"] else ""),
           f"EMF documents: {summary['emf_documents']} ({summary['cold_starts']} cold start, "
           + ", ".join(f"{n} {h}" for h, n in summary["invocations"].items())
           + f"); invalid: {summary['invalid_documents']}"]
    out += [f"  invalid: {p}" for p in summary["problems"]]
    for metric in summary["metrics"]:
        if metric["unit"] == "Count" and metric["name"] not in ("CatalogEntries",):
            figures = f"sum {_number(metric['sum'])}"
        else:
            unit = {"Milliseconds": " ms", "Bytes": " B"}.get(metric["unit"], "")
            figures = (f"p50 {_number(metric['p50'])}{unit}, p95 {_number(metric['p95'])}{unit}, "
                       f"max {_number(metric['max'])}{unit} ({metric['samples']} values)")
        out.append(f"  {metric['handler']:<9} {metric['name']:<22} {figures}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m imagecat_tools.log_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", help="files holding the function's standard error (and output)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    lines: list[str] = []
    for path in args.logs:
        with open(path, encoding="utf-8", errors="replace") as log:
            lines += log.readlines()
    summary = summarise(lines, now_ms=int(time.time() * 1000))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 1 if summary["invalid_documents"] else 0


if __name__ == "__main__":
    sys.exit(main())
