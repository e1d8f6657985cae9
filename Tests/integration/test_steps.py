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

import pytest

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
start slow 1m bash -c 'echo slow-began; sleep 4; echo slow-ended'
run quick 1m bash -c 'sleep 4; echo quick-ended'
collect slow
finish''')
    assert status == 0, output
    assert took < 6.5, f"the steps ran one after the other ({took:.1f} s, 8 s if so):\n{output}"
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


@pytest.mark.parametrize("body,to_group", [
    ("start long 1m {step}\ncollect long", False),         # waiting for a started step
    ("start long 1m {step}\ncollect long", True),          # ... the signal sent to the whole group
    ("run long 1m {step}", False),                          # a step in the foreground
    ("start other 1m sleep 60\nrun long 1m {step}", True),  # both, the signal to the group
], ids=["started", "started-group", "foreground", "both-group"])
def test_a_signal_stops_the_steps_at_once(tmp_path, body, to_group):
    """`timeout` puts a step in a process group of its own, which no signal to the runner reaches:
    the runner stops it on its way out, without waiting for the step to end."""
    pid_file, pid = tmp_path / "step.pid", None
    step = f"bash -c 'echo $$ >{pid_file}; exec sleep 60'"
    runner = subprocess.Popen(script(body.format(step=step) + "\nfinish"), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the step did not start"
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        signalled = time.monotonic()
        if to_group:
            os.killpg(runner.pid, signal.SIGTERM)
        else:
            runner.send_signal(signal.SIGTERM)
        status = runner.wait(timeout=30)
        assert status in (143, -signal.SIGTERM) and time.monotonic() - signalled < 10, status
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]:
            assert time.monotonic() < deadline, "the step outlived the runner"
            time.sleep(0.05)
    finally:
        runner.kill()
        runner.wait()
        if pid is not None and Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
    assert [p.name for p in tmp_path.iterdir()] == ["step.pid"], "the steps' output was left behind"
