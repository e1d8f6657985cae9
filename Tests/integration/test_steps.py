"""scripts/lib-steps.sh, the step runner of scripts/test: a step started in the background runs
beside the next one, its output comes in one piece when it is collected, and its failure, its
time limit and the summary count as for a step run in the foreground."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from conftest import REPO_ROOT


def script(body: str) -> list[str]:
    """A bash command that sources the runner and runs `body`."""
    return ["bash", "-c", f'set -euo pipefail\n. {REPO_ROOT / "scripts" / "lib-steps.sh"}\n{body}\n']


def steps(tmp_path: Path, body: str) -> tuple[int, str, float]:
    """(exit status, output, seconds) of `script(body)`, its output kept under `tmp_path`."""
    began = time.monotonic()
    run = subprocess.run(script(body), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=120)  # quiet: 1-2 s
    assert not list(tmp_path.iterdir()), "the steps' output was left behind"
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


def test_collecting_a_step_never_started_fails_it(tmp_path):
    status, output, _ = steps(tmp_path, '''
collect ghost || echo collect-said-no
finish''')
    assert status == 1 and "collect-said-no" in output, output
    assert summary(output).endswith(": ghost FAILED (never started)"), output


def test_a_signal_stops_the_started_steps_too(tmp_path):
    """`timeout` puts a step in a process group of its own: the runner stops it on its way out."""
    pid_file = tmp_path / "step.pid"
    runner = subprocess.Popen(script(f'''
start long 1m bash -c 'echo $$ >{pid_file}; exec sleep 60'
collect long
finish'''), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the step did not start"
            time.sleep(0.05)
        step = int(pid_file.read_text())
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=30) == 143
        deadline = time.monotonic() + 30
        while Path(f"/proc/{step}").exists() and "Z" not in Path(f"/proc/{step}/stat").read_text().split()[2]:
            assert time.monotonic() < deadline, "the started step outlived the runner"
            time.sleep(0.05)
    finally:
        runner.kill()
        runner.wait()
    assert [p.name for p in tmp_path.iterdir()] == ["step.pid"], "the steps' output was left behind"
