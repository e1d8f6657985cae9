"""scripts/lib-steps.sh, the step runner of scripts/test: a step started in the background runs
beside the next one, its output comes in one piece when it is collected, and its failure, its
time limit and the summary count as for a step run in the foreground."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from conftest import REPO_ROOT


def steps(tmp_path: Path, body: str) -> tuple[int, str, float]:
    """(exit status, output, seconds) of a bash script that sources the runner and runs `body`."""
    script = f'''set -euo pipefail
logs={tmp_path}
. {REPO_ROOT / "scripts" / "lib-steps.sh"}
{body}
'''
    began = time.monotonic()
    run = subprocess.run(["bash", "-c", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=120)  # quiet: 1-2 s
    return run.returncode, run.stdout + run.stderr, time.monotonic() - began


def summary(output: str) -> str:
    """The closing line, its whole seconds (they tick on the clock's second) written as N."""
    return re.sub(r"\b\d+s\b", "Ns", output.strip().splitlines()[-1])


def test_a_started_step_runs_beside_the_next_and_prints_when_collected(tmp_path):
    status, output, took = steps(tmp_path, '''
start slow 1m bash -c 'echo slow-began; sleep 2; echo slow-ended'
run quick 1m bash -c 'sleep 2; echo quick-ended'
collect slow
finish''')
    assert status == 0, output
    assert took < 3.5, f"the steps ran one after the other ({took:.1f} s):\n{output}"
    # Held back until collected, then whole: nothing of it among the foreground step's lines.
    assert output.index("quick-ended") < output.index("==> slow: bash") < output.index("slow-began") \
        < output.index("slow-ended") < output.index("==> slow: exit 0"), output
    assert summary(output).startswith("scripts/test: PASSED after")
    assert summary(output).endswith(": quick ok in Ns; slow ok in Ns"), output


def test_a_started_step_that_fails_fails_the_run(tmp_path):
    status, output, _ = steps(tmp_path, '''
start broken 1m bash -c 'echo why; exit 3'
run fine 1m true
collect broken || echo collect-said-no
finish''')
    assert status == 1, output
    assert "collect-said-no" in output and "why" in output
    assert summary(output).startswith("scripts/test: FAILED after")
    assert summary(output).endswith("fine ok in Ns; broken FAILED (exit 3) in Ns"), output


def test_a_started_step_keeps_its_time_limit(tmp_path):
    status, output, took = steps(tmp_path, '''
start hung 1s sleep 60
collect hung || true
finish''')
    assert status == 1 and took < 30, output
    assert summary(output).endswith("hung FAILED (timed out after Ns) in Ns"), output


def test_finish_collects_a_step_still_started(tmp_path):
    status, output, _ = steps(tmp_path, '''
run first 1m true
start late 1m bash -c 'sleep 1; echo late-output'
finish''')
    assert status == 0, output
    assert "late-output" in output
    assert summary(output).endswith("first ok in Ns; late ok in Ns"), output
