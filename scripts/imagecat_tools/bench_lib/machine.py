"""Facts about the machine a benchmark ran on, printed with every result: figures from a
2-core shared VM and from a laptop are not comparable, and the load at start says how quiet
the machine was."""

from __future__ import annotations

import datetime
import os
import platform


def facts() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_mb": _memory_mb(),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mb() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


class CpuWatch:
    """How busy the machine was while one figure ran, split into this benchmark's own processes
    (itself and the children it has reaped: runtimes, S3 server) and everything else. Figures
    taken while other processes used the cores (or the hypervisor stole them) are noisier: the
    report prints this next to each figure so a reader can tell a quiet run from a busy one."""

    def __init__(self):
        self._start = (proc_stat_cpu(), os.times())

    def stop(self) -> dict[str, float]:
        (busy0, total0, steal0), times0 = self._start
        (busy1, total1, steal1), times1 = proc_stat_cpu(), os.times()
        ticks = os.sysconf("SC_CLK_TCK")
        total = max(1e-9, (total1 - total0) / ticks)           # CPU-seconds available
        busy = (busy1 - busy0) / ticks
        ours = sum(getattr(times1, f) - getattr(times0, f)
                   for f in ("user", "system", "children_user", "children_system"))
        return {"busy_pct": round(100 * busy / total, 1), "ours_pct": round(100 * ours / total, 1),
                "others_pct": round(max(0.0, 100 * (busy - ours) / total), 1),
                "steal_pct": round(100 * (steal1 - steal0) / ticks / total, 1)}


def proc_stat_cpu() -> tuple[int, int, int]:
    """(busy, total, steal) jiffies of all CPUs together, from the first line of /proc/stat;
    busy leaves out idle, iowait and steal."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait - steal, total, steal
