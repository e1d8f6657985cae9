"""The Lambda-shaped box of the benchmark tooling (imagecat_tools.lambda_box): its memory limit
and CPU quota are real (a process that needs more memory is killed, a busy loop gets ~7 % of a
core), its report says so, and stopping the box stops what runs in it and still reports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import tool_env
from imagecat_tools.lambda_box import BoxError, LambdaBox


@pytest.fixture
def box_report(tmp_path):
    try:
        with LambdaBox(16):
            pass
    except BoxError as error:
        pytest.skip(f"needs cgroup v1 cpu and memory groups as root: {error}")
    report = tmp_path / "box.jsonl"

    def run(memory: int, code: str, *, stop_after: float | None = None) -> dict:
        command = [sys.executable, "-m", "imagecat_tools.lambda_box", "--memory", str(memory),
                   "--report", str(report), "--", sys.executable, "-c", code]
        process = subprocess.Popen(command, env=tool_env(), stderr=subprocess.PIPE, text=True)
        if stop_after is not None:
            time.sleep(stop_after)
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # quiet: ≤ 3 s
        lines = report.read_text().splitlines()
        report.unlink()
        assert len(lines) == 1, process.stderr.read()
        return {**json.loads(lines[0]), "exit": process.returncode}
    return run


def test_a_process_over_the_memory_limit_is_killed_and_reported(box_report):
    small = box_report(64, "b = bytearray(20 << 20); b[::4096] = b'x' * len(b[::4096])")
    assert small["status"] == 0 and small["oom_kills"] == 0
    assert 20 <= small["peak_rss_mb"] < 64, small
    big = box_report(64, "b = bytearray(200 << 20); b[::4096] = b'x' * len(b[::4096])")
    assert big["oom_kills"] >= 1 and big["status"] == -signal.SIGKILL, big
    assert big["peak_rss_mb"] <= 64.5, big


def test_the_cpu_quota_is_lambdas_share_for_the_memory(box_report):
    # Two seconds of wall time in a busy loop get ~0.14 s of CPU at 128 MB (7.2 % of a core).
    busy = box_report(128, "import time\nend = time.monotonic() + 2\nwhile time.monotonic() < end: pass")
    assert busy["cpu_share"] == pytest.approx(128 / 1769, abs=1e-3)
    assert busy["cpu_s"] <= 0.3 and busy["throttled_s"] >= 1.0, busy


def test_stopping_the_box_stops_its_command_and_still_reports(box_report):
    stopped = box_report(128, "import time; time.sleep(60)", stop_after=1.0)
    assert stopped["status"] == -signal.SIGTERM and stopped["wall_s"] < 30, stopped
