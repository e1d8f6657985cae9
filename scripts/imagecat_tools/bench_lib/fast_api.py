"""A minimal, fast Runtime API for the warm-loop figure: one thread, raw sockets, keep-alive.

Why not scripts/local_runtime_api.py: that one is a faithful Lambda (queues, deadlines,
crash recovery) built on http.server with a thread per connection, and spends ~130-600 µs of
CPU per invocation itself, which caps a warm loop near 2,000 invocations/s. Here every
`/next` is answered at once with the same canned event and every `/response` with 202, so
the rate is set by the runtime under test. It runs in the benchmark's own process, never in
the measured one.

The runtime's counters are sampled at the exact moment it is idle: when its `/next` number
`warmup + 1` arrives (the warm-up is done and the runtime now blocks waiting for the answer),
and again at `/next` number `warmup + invokes + 1`.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

from . import procfs

_PREFIX = b"/2018-06-01/runtime/"
_ACCEPTED = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
             b"Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_ARN = "arn:aws:lambda:us-east-1:123456789012:function:imagecat-bench"
_TRACE = "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"


class LoopError(RuntimeError):
    """The runtime failed the loop: it exited, reported an error, or stalled."""


@dataclass(frozen=True)
class LoopResult:
    invokes: int
    seconds: float
    before: procfs.ProcessSample
    after: procfs.ProcessSample
    server_cpu_s: float
    """This server's own CPU time over the measured invocations (it shares the machine)."""
    last_response: bytes

    @property
    def cpu_us_per_invoke(self) -> float:
        return (self.after.cpu_us - self.before.cpu_us) / self.invokes

    @property
    def run_us_per_invoke(self) -> float:
        return (self.after.run_ns - self.before.run_ns) / 1000 / self.invokes

    @property
    def invokes_per_second(self) -> float:
        return self.invokes / self.seconds

    @property
    def switches_per_invoke(self) -> float:
        return (self.after.switches - self.before.switches) / self.invokes

    @property
    def peak_rss_kb(self) -> int:
        return self.after.vm_hwm_kb


class FastRuntimeAPI:
    """Serves one runtime process. `run()` drives a whole measurement."""

    def __init__(self, event: bytes):
        self.event = event
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        # Far in the future: no runtime should feel a deadline during the loop.
        self._deadline = str(int(time.time() * 1000) + 3_600_000).encode()

    def close(self) -> None:
        self.listener.close()

    def run(self, process: subprocess.Popen, warmup: int, invokes: int,
            timeout: float = 300.0) -> LoopResult:
        """Answers `warmup + invokes` invocations from `process` and samples it around the last
        `invokes`. Leaves the process blocked on its next `/next` (the caller stops it)."""
        connections: dict[socket.socket, _Connection] = {}
        nexts = responses = 0
        before = after = None
        started = ended = 0.0
        cpu_started = 0.0
        last_response = b""
        give_up = time.monotonic() + timeout
        try:
            while after is None:
                readable, _, _ = select.select([self.listener, *connections], [], [], 1.0)
                if not readable:
                    if process.poll() is not None:
                        raise LoopError(f"runtime exited with {process.returncode} after "
                                        f"{responses} responses")
                    if time.monotonic() > give_up:
                        raise LoopError(f"stalled after {responses} responses ({timeout}s)")
                    continue
                for sock in readable:
                    if sock is self.listener:
                        connection, _ = self.listener.accept()
                        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        connections[connection] = _Connection(connection)
                        continue
                    chunk = sock.recv(65536)
                    if not chunk:
                        del connections[sock]
                        sock.close()
                        continue
                    state = connections[sock]
                    state.buffer += chunk
                    while (request := state.take_request()) is not None:
                        method, target, body = request
                        if method == b"GET" and target == _PREFIX + b"invocation/next":
                            nexts += 1
                            if nexts == warmup + 1:
                                before = procfs.sample(process.pid)
                                cpu_started = time.process_time()
                                started = time.perf_counter()
                            elif nexts == warmup + invokes + 1:
                                ended = time.perf_counter()
                                server_cpu = time.process_time() - cpu_started
                                after = procfs.sample(process.pid)
                                break
                            sock.sendall(self._event_response(nexts))
                        elif method == b"POST" and target.endswith(b"/response"):
                            responses += 1
                            last_response = body
                            sock.sendall(_ACCEPTED)
                        elif method == b"POST" and target.endswith(b"/error"):
                            raise LoopError(f"invocation {nexts} failed: {body[:300]!r}")
                        else:
                            raise LoopError(f"unexpected request {method.decode()} "
                                            f"{target.decode('latin-1')}: {body[:300]!r}")
        finally:
            for sock in connections:
                sock.close()
        return LoopResult(invokes=invokes, seconds=ended - started, before=before, after=after,
                          server_cpu_s=server_cpu, last_response=last_response)

    def _event_response(self, number: int) -> bytes:
        return b"".join((
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
            b"Lambda-Runtime-Aws-Request-Id: ", str(number).encode(), b"\r\n",
            b"Lambda-Runtime-Deadline-Ms: ", self._deadline, b"\r\n",
            b"Lambda-Runtime-Invoked-Function-Arn: ", _ARN.encode(), b"\r\n",
            b"Lambda-Runtime-Trace-Id: ", _TRACE.encode(), b"\r\n",
            b"Content-Length: ", str(len(self.event)).encode(), b"\r\n\r\n", self.event))


class _Connection:
    """One kept-alive connection's unparsed bytes."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.continued = False

    def take_request(self) -> tuple[bytes, bytes, bytes] | None:
        """Removes one complete request from the buffer and returns (method, target, body);
        None while it is incomplete. Bodies come with Content-Length or chunked; `Expect:
        100-continue` is answered once so that clients that wait for it go on."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buffer[:end]).split(b"\r\n")
        method, target, _ = head[0].split(b" ", 2)
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body, consumed = _dechunk(buffer, start)
        else:
            length = int(headers.get(b"content-length", b"0"))
            complete = len(buffer) >= start + length
            body = bytes(buffer[start:start + length]) if complete else None
            consumed = start + length
        if body is None:
            if headers.get(b"expect", b"").lower() == b"100-continue" and not self.continued:
                self.continued = True
                self.sock.sendall(_CONTINUE)
            return None
        del buffer[:consumed]
        self.continued = False
        return method, target, body


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes | None, int]:
    body = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None, 0
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n", at)   # no trailers expected: just the CRLF
            if trailer_end < 0:
                return None, 0
            return bytes(body), trailer_end + 2
        if len(buffer) < at + size + 2:
            return None, 0
        body += buffer[at:at + size]
        at += size + 2


@dataclass(frozen=True)
class Placement:
    """Which CPU the runtime and this server run on.

    It matters on a VM: a wake-up on another vCPU costs an inter-processor interrupt (a VM exit)
    and the wake-up of an idle vCPU, and both sides are charged for it. Measured on a 2-vCPU
    VM, the same runtime used ~28 µs of CPU per invocation sharing one CPU with the server and
    ~65-70 µs on separate CPUs, and the scheduler picks either when left alone. Pinning both
    makes each figure reproducible; Lambda's own Runtime API runs next to the function in a
    microVM too, so both placements are realistic."""

    name: str
    runtime_cpu: int | None
    server_cpu: int | None


def placements(cpus: set[int] | None = None) -> list[Placement]:
    """Same CPU and, with two or more usable CPUs, separate CPUs."""
    usable = sorted(os.sched_getaffinity(0) if cpus is None else cpus)
    found = [Placement("same CPU", usable[0], usable[0])]
    if len(usable) > 1:
        found.append(Placement("separate CPUs", usable[1], usable[0]))
    return found


def measure(argv: list[str], env: dict[str, str], event: bytes, warmup: int,
            invokes: int, placement: Placement | None = None) -> LoopResult:
    """Starts the runtime with AWS_LAMBDA_RUNTIME_API pointing at a fresh server, measures
    its warm loop, then stops it. With a `placement`, the runtime is pinned to its CPU (it
    inherits the mask this process has while spawning it) and this process to the server's
    for the duration; the original mask is restored afterwards."""
    server = FastRuntimeAPI(event)
    child_env = dict(env)
    child_env["AWS_LAMBDA_RUNTIME_API"] = server.address
    original = os.sched_getaffinity(0)
    # stderr to a file, not a pipe: a runtime that logs every invocation would fill a pipe
    # nobody reads and block.
    with tempfile.TemporaryFile() as log:
        try:
            if placement is not None and placement.runtime_cpu is not None:
                os.sched_setaffinity(0, {placement.runtime_cpu})
            process = subprocess.Popen(argv, env=child_env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=log)
        finally:
            os.sched_setaffinity(0, original)
        try:
            if placement is not None and placement.server_cpu is not None:
                os.sched_setaffinity(0, {placement.server_cpu})
            return server.run(process, warmup, invokes)
        except LoopError as error:
            process.kill()
            process.wait()
            log.seek(0)
            stderr = log.read()[-1500:].decode(errors="replace")
            raise LoopError(f"{error}\nruntime stderr:\n{stderr}") from None
        finally:
            os.sched_setaffinity(0, original)
            if process.poll() is None:
                process.kill()
            process.wait()
            server.close()


def expected_sum(response: bytes) -> bool:
    """Whether a `sum` response is the lab's answer to {"key1":1,"key2":2}."""
    try:
        return json.loads(response) == {"statusCode": 200, "body": 3}
    except ValueError:
        return False
