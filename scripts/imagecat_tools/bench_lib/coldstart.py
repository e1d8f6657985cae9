"""Cold start: process spawn → the first `GET /2018-06-01/runtime/invocation/next` received.

That interval is what Lambda's Init phase costs a custom runtime before it can take an event:
exec, dynamic loading, language start-up, the handler's own set-up. It is measured against a
listener of our own (a raw socket, no HTTP server) so that nothing but the runtime runs in the
interval: the clock starts right before posix_spawn and stops when the request line is read.
The listener's socket is bound and listening before the clock starts; the first request line
arrives in one segment, so the only overhead inside the interval is this process waking up
from accept/recv (tens of µs).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass

NEXT_LINE = b"GET /2018-06-01/runtime/invocation/next "


class ColdStartError(RuntimeError):
    """A runtime did not reach `/next` (it crashed, hung, or asked for something else)."""


@dataclass(frozen=True)
class Launch:
    """How to start one runtime: argv (argv[0] an absolute path) and extra environment."""

    name: str
    argv: list[str]
    env: dict[str, str]


def time_to_first_next(launch: Launch, base_env: dict[str, str], timeout: float = 30.0) -> float:
    """Spawns `launch` once and returns ms from spawn to its first `/next` request line.
    The process is killed and reaped afterwards."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(timeout)
    env = dict(base_env)
    env.update(launch.env)
    env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{listener.getsockname()[1]}"
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, devnull, 2)]
    pid = None
    try:
        started = time.perf_counter_ns()
        pid = os.posix_spawn(launch.argv[0], launch.argv, env, file_actions=actions)
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            raise ColdStartError(f"{launch.name}: no connection within {timeout}s "
                                 f"({_exit_status(pid)})") from None
        with connection:
            connection.settimeout(timeout)
            head = b""
            while b"\r\n" not in head:
                chunk = connection.recv(4096)
                if not chunk:
                    raise ColdStartError(f"{launch.name}: closed the connection before a request "
                                         f"line ({_exit_status(pid)})")
                head += chunk
            received = time.perf_counter_ns()
        if not head.startswith(NEXT_LINE):
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            raise ColdStartError(f"{launch.name}: first request was {line!r}, not GET /next")
        return (received - started) / 1e6
    finally:
        os.close(devnull)
        listener.close()
        if pid is not None:
            _kill(pid)


def _exit_status(pid: int) -> str:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        return "still running"
    return f"exited with {os.waitstatus_to_exitcode(status)}"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
