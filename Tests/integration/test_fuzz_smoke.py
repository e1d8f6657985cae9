"""scripts/fuzz builds both libFuzzer targets and runs each clean for a few seconds (the full
bounded runs are scripts/fuzz's default 60 s each; see BENCHMARKS.md for their figures)."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT


def test_both_fuzz_targets_run_clean():
    run = subprocess.run([str(REPO_ROOT / "scripts" / "fuzz"), "all", "3"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    runs = [int(n) for n in re.findall(r"^Done (\d+) runs", output, re.M)]
    assert len(runs) == 2 and all(n > 1000 for n in runs), output[-3000:]
    assert "ERROR: libFuzzer" not in output and "deadly signal" not in output


def test_misuse_prints_usage():
    run = subprocess.run([str(REPO_ROOT / "scripts" / "fuzz"), "nope"], capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and run.stderr.startswith("usage: scripts/fuzz")
