"""What the kernel knows about one process: CPU time, context switches, peak RSS.

Why /proc and not getrusage: the runtime under test is a child we do not wait for between
samples, and RUSAGE_CHILDREN only covers reaped children. /proc/PID gives the live process's
own figures, whatever language it is written in and however many threads it runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


class ProcessGone(RuntimeError):
    """The process exited before it could be sampled (a crash shows up here)."""


@dataclass(frozen=True)
class ProcessSample:
    """One reading of a process's counters (all threads together)."""

    cpu_us: float
    """utime + stime from /proc/PID/stat, converted from clock ticks (10 ms at 100 Hz)."""
    run_ns: int
    """Sum of the time on a CPU of the threads alive now, from /proc/PID/task/*/schedstat (ns
    resolution, where `cpu_us` is only as fine as a clock tick). Threads that already exited
    are not in it (`cpu_us` keeps them): use it for differences over a span in which the
    process starts and ends no threads."""
    voluntary_switches: int
    involuntary_switches: int
    threads: int
    vm_hwm_kb: int
    """Peak resident set (VmHWM): the process's high-water mark so far."""

    @property
    def switches(self) -> int:
        return self.voluntary_switches + self.involuntary_switches


def sample(pid: int) -> ProcessSample:
    """Reads `pid`'s counters now. Context switches and run time are summed over its current
    threads (/proc/PID/status alone only counts the main thread's)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        status = _status_fields(f"/proc/{pid}/status")
        tasks = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError) as error:
        raise ProcessGone(f"process {pid} is gone: {error}") from None
    # Fields after the command name, which sits in parentheses and may hold spaces.
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    voluntary = involuntary = run_ns = 0
    for tid in tasks:
        try:
            task = _status_fields(f"/proc/{pid}/task/{tid}/status")
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
        voluntary += int(task.get("voluntary_ctxt_switches", "0"))
        involuntary += int(task.get("nonvoluntary_ctxt_switches", "0"))
    return ProcessSample(
        cpu_us=(utime + stime) * 1_000_000 / CLOCK_TICKS_PER_SECOND,
        run_ns=run_ns,
        voluntary_switches=voluntary,
        involuntary_switches=involuntary,
        threads=len(tasks),
        vm_hwm_kb=int(status.get("VmHWM", "0 kB").split()[0]),
    )


def sample_if_running(pid: int | None) -> ProcessSample | None:
    """`sample(pid)`, or `None` when there is no such process (any more)."""
    if pid is None:
        return None
    try:
        return sample(pid)
    except ProcessGone:
        return None


def _status_fields(path: str) -> dict[str, str]:
    with open(path) as f:
        return {name: value.strip() for name, _, value in
                (line.partition(":") for line in f)}


def cpu_us_between(before: ProcessSample, after: ProcessSample) -> float:
    """CPU time spent between two samples: schedstat's ns figure when it is complete (no thread
    came or went: an exited thread's time is missing from it), else utime + stime (ticks)."""
    ticks = after.cpu_us - before.cpu_us
    precise = (after.run_ns - before.run_ns) / 1000
    tick_us = 1_000_000 / CLOCK_TICKS_PER_SECOND
    if before.threads == after.threads and ticks <= precise + 2 * tick_us:
        return precise
    return ticks
