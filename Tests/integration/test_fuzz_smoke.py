"""scripts/fuzz builds both libFuzzer targets and runs each clean for a bounded time: the sniffer's
for 20 s, the event decoder's for a few (the full bounded runs are scripts/fuzz's default 60 s
each; see BENCHMARKS.md for their figures)."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT


def run_fuzzer(target: str, seconds: int) -> int:
    """Runs one target for `seconds` and returns libFuzzer's run count, failing on any finding."""
    run = subprocess.run([str(REPO_ROOT / "scripts" / "fuzz"), target, str(seconds)], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=900)  # quiet: 44 s (build + 20 s)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "ERROR: libFuzzer" not in output and "deadly signal" not in output, output[-3000:]
    runs = [int(n) for n in re.findall(r"^Done (\d+) runs", output, re.M)]
    assert len(runs) == 1, output[-3000:]
    return runs[0]


def test_sniffer_fuzzer_runs_clean_for_20_seconds():
    """Long enough to mutate the structure-aware seeds (HEIF properties, TIFF byte orders, JPEG
    segments) past the size limit and through the resumed walks: the branch of the 167-byte HEIC
    crash is a few mutations from props-assoc.heic."""
    assert run_fuzzer("sniffer", 20) > 10_000


def test_event_fuzzer_runs_clean():
    assert run_fuzzer("events", 3) > 1000


def test_misuse_prints_usage():
    run = subprocess.run([str(REPO_ROOT / "scripts" / "fuzz"), "nope"], capture_output=True, text=True,
                         timeout=30)  # quiet: 0.01 s
    assert run.returncode == 2 and run.stderr.startswith("usage: scripts/fuzz")
