"""A box shaped like one Lambda execution environment: a memory limit and the CPU share Lambda
gives that much memory (1,769 MB is one vCPU, so 128 MB is about 7.2 % of one core), made from
cgroup v1 `cpu` and `memory` groups (root only). A local core hides how little CPU a small
function gets, as loopback hides latency: the box shows both the time and the memory a function
really needs.

    python3 -m imagecat_tools.lambda_box [--memory 128] [--report FILE] -- COMMAND [ARG ...]

runs COMMAND in a new box (its children too), and when it ends writes one JSON line (to stderr,
or appended to FILE): peak memory, CPU seconds, wall seconds, times the memory limit was hit and
whether the kernel killed anything for memory. Each run gets its own box, so the storm and the
benchmarks start one per runtime process, as Lambda gives each environment its own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
ONE_VCPU_MB = 1769
PERIOD_US = 100_000


class BoxError(RuntimeError):
    """The box cannot be made here (not root, no cgroup v1 cpu/memory controllers)."""


def cpu_share(memory_mb: int) -> float:
    """Lambda's CPU for `memory_mb` of memory, as a share of one core."""
    return memory_mb / ONE_VCPU_MB


class LambdaBox:
    def __init__(self, memory_mb: int = 128, *, share: float | None = None, name: str | None = None):
        self.memory_mb = memory_mb
        self.share = share if share is not None else cpu_share(memory_mb)
        self.name = name or f"imagecat-box-{os.getpid()}-{time.monotonic_ns()}"
        self.cpu = CGROUP / "cpu" / self.name
        self.memory = CGROUP / "memory" / self.name

    def __enter__(self) -> "LambdaBox":
        if os.geteuid() != 0:
            raise BoxError("the box needs root (cgroup v1 groups)")
        if not (CGROUP / "cpu" / "cpu.cfs_quota_us").exists() or not (CGROUP / "memory" / "memory.limit_in_bytes").exists():
            raise BoxError("the box needs the cgroup v1 cpu and memory controllers under /sys/fs/cgroup")
        self.cpu.mkdir()
        self.memory.mkdir()
        (self.cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(max(1000, round(self.share * PERIOD_US))))
        (self.memory / "memory.limit_in_bytes").write_text(str(self.memory_mb << 20))
        return self

    def join(self) -> None:
        """Puts the calling process in the box (for `preexec_fn`: the child, before exec)."""
        pid = str(os.getpid())
        (self.cpu / "tasks").write_text(pid)
        (self.memory / "tasks").write_text(pid)

    def stats(self) -> dict:
        def read(name: str) -> int:
            return int((self.memory / name).read_text().split()[0])
        oom = dict(line.split() for line in (self.memory / "memory.oom_control").read_text().splitlines())
        throttled = dict(line.split() for line in (self.cpu / "cpu.stat").read_text().splitlines())
        return {"memory_mb": self.memory_mb, "cpu_share": round(self.share, 4),
                "peak_rss_mb": round(read("memory.max_usage_in_bytes") / (1 << 20), 1),
                "limit_hits": read("memory.failcnt"), "oom_kills": int(oom.get("oom_kill", 0)),
                "throttled_s": round(int(throttled.get("throttled_time", 0)) / 1e9, 2)}

    def __exit__(self, *exc) -> None:
        for group in (self.cpu, self.memory):
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)        # its last task is still exiting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command in a box shaped like a Lambda environment.")
    parser.add_argument("--memory", type=int, default=128, help="memory limit in MB (default 128)")
    parser.add_argument("--share", type=float, default=None,
                        help="CPU share of one core (default: Lambda's for --memory, memory / 1769)")
    parser.add_argument("--report", default=None, help="append the JSON line to this file instead of stderr")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    with LambdaBox(args.memory, share=args.share) as box:
        started = time.monotonic()
        child = subprocess.Popen(command, preexec_fn=box.join)
        # Whoever stops the box stops what runs in it, and still gets its report.
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            status = child.wait()
        except KeyboardInterrupt:
            child.terminate()
            status = child.wait()
        report = {"command": os.path.basename(command[0]), "status": status,
                  "wall_s": round(time.monotonic() - started, 2), **box.stats()}
        times = os.times()
        report["cpu_s"] = round(times.children_user + times.children_system, 2)
    line = json.dumps(report)
    if args.report:
        with open(args.report, "a") as out:
            out.write(line + "\n")
    else:
        print(line, file=sys.stderr)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
