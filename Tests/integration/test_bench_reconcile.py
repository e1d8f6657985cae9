"""scripts/bench --figures reconcile at a tiny size: the reconcile removes exactly the stale
entries and adds the uncataloged uploads through the real bootstrap and a real local S3 server,
and the figure reports its runs, CPU, peak RSS and S3 requests. Timings are never asserted."""

from __future__ import annotations

import json

from test_bench_smoke import run_bench


def test_the_reconcile_figure_removes_the_stale_entries_and_checks_the_catalog(bootstrap_path):
    run = run_bench("--figures", "reconcile", "--bootstrap", str(bootstrap_path), "--json",
                    "--reconcile-size", "3000", "--reconcile-stale", "1000", "--reconcile-uploads", "5",
                    "--reconcile-timeout", "60")
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout)
    assert list(report["runtimes"]) == ["bootstrap"], "no peer has a reconcile: none is named as measured"
    figure = report["reconcile"]
    assert figure["complete"] and figure["exact"]
    assert figure["prefix"] == "images/archive/000000"
    assert sum(r["removed"] for r in figure["runs"]) == 1000
    assert sum(r["added"] for r in figure["runs"]) == 5
    assert figure["peak_rss_mb"] > 1 and figure["cpu_ms"] > 0
    assert figure["requests"]["LIST"] >= 1
    # The local server may list `a//b` as `a/b`: every absence is confirmed by a HEAD.
    assert figure["requests"]["HEAD object 404"] >= 1000


def test_a_stale_count_that_is_no_prefix_is_refused():
    run = run_bench("--figures", "reconcile", "--bootstrap", "/bin/true", "--reconcile-stale", "300")
    assert run.returncode == 2
    assert "--reconcile-stale must be a power of ten" in run.stderr
