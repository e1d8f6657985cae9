"""A local Lambda Runtime API (version 2018-06-01) for tests and benchmarks.

The official Runtime Interface Emulator runs one runtime process and answers one invoke at a
time. This server covers what it cannot: many queued events, several runtime processes
long-polling `/next` at once, SQS-style batch events, injected Runtime API failures, and runtime
processes that die mid-invocation. It serves the same endpoints, headers and status codes as
Lambda:

    GET  /2018-06-01/runtime/invocation/next           200 + event; headers
         Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
    POST /2018-06-01/runtime/invocation/{id}/response  202; 400 InvalidRequestID (unknown or
                                                       already answered); 413 over 6 MiB
    POST /2018-06-01/runtime/invocation/{id}/error     202 (Lambda-Runtime-Function-Error-Type,
                                                       and the X-Ray cause header, recorded);
                                                       400 InvalidRequestID
    POST /2018-06-01/runtime/init/error                202

Error types outside `(Runtime|Function)\\.[A-Z][a-zA-Z]+` are recorded as `Runtime.Unknown`,
as Lambda does. A response over 6 MiB is answered 413 and recorded as the error
`Function.ResponseSizeTooLarge`, as the emulator does.

Crashes: a runtime that closes its kept-alive connection while it holds an invocation is taken
to have died, and the invocation goes back to the front of the queue (Lambda retries
asynchronous invokes twice), up to `max_attempts` deliveries; then, or with
`requeue_on_crash=False`, it is recorded as the error `Runtime.ExitError`. Runtimes that open a
new connection for every request cannot be watched this way: their lost invocations end as
timeouts. An invocation still unanswered after its deadline is recorded as `timeout`
(`Sandbox.Timedout`) and is not retried.

As a module (Python 3.11 standard library only):

    from imagecat_tools.local_runtime_api import LocalRuntimeAPI
    with LocalRuntimeAPI(function_timeout=3.0) as api:      # binds 127.0.0.1, port 0
        api.spawn(["path/to/bootstrap"], n=2, env={"_HANDLER": "sum"})
        ids = [api.enqueue(b'{"key1":1,"key2":2}') for _ in range(10)]
        for result in api.wait_for(ids, timeout=10):
            print(result.kind, result.body, result.error_type)

As a command (prints {"address": "127.0.0.1:PORT"}, then one JSON line per result):

    python3 scripts/local_runtime_api.py --port 0 --events a.json b.json --exit-when-done \\
        [--spawn 2 --handler sum -- path/to/bootstrap]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""Lambda's synchronous payload limit, as the emulator applies it to responses."""

DEFAULT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:imagecat-local"
ERROR_TYPE_PATTERN = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+\Z")
AUTO = object()
"""`trace_id=AUTO` (the default) gives each invocation a fresh X-Ray trace header."""

_PREFIX = "/2018-06-01/runtime/"
_INVALID_REQUEST_ID = {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}
_ENDPOINTS = ("next", "response", "error", "init_error")


@dataclass
class Result:
    """How one invocation ended."""

    id: str
    kind: str
    """"response", "error" or "timeout"."""
    body: bytes
    error_type: str | None = None
    attempts: int = 1
    """How many times it was delivered to a runtime (more than 1 after a crash)."""
    duration: float | None = None
    """Seconds from the last time `/next` handed it out to its `/response` or `/error` (or
    its deadline): what Lambda bills as the invocation's duration. None if never handed out."""
    xray_cause: str | None = None
    """The `/error` report's Lambda-Runtime-Function-XRay-Error-Cause header, as sent."""
    trace_id: str | None = None
    """The Lambda-Runtime-Trace-Id header `/next` handed out with it (None: none sent)."""

    def json(self):
        """The body parsed as JSON (raises ValueError if it is not JSON)."""
        return json.loads(self.body)

    def to_dict(self) -> dict:
        text = self.body.decode("utf-8", errors="replace")
        return {"id": self.id, "kind": self.kind, "body": text, "error_type": self.error_type,
                "attempts": self.attempts,
                "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
                "xray_cause": self.xray_cause, "trace_id": self.trace_id}


@dataclass
class _Invocation:
    id: str
    event: bytes
    trace_id: str | None
    client_context: str | None
    attempts: int = 0
    deadline_ms: int = 0
    handed_out: float | None = None
    """time.monotonic() when `/next` last handed it out."""
    connection: int | None = None
    """The connection that received it while in flight; None while queued."""


@dataclass
class InitError:
    error_type: str | None
    body: bytes
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict:
        return {"kind": "init_error", "error_type": self.error_type,
                "body": self.body.decode("utf-8", errors="replace")}


@dataclass
class Rejection:
    """A runtime request answered with a 4xx/5xx (injected or earned)."""

    endpoint: str
    status: int
    id: str | None

    def to_dict(self) -> dict:
        return {"kind": "rejected", "endpoint": self.endpoint, "status": self.status, "id": self.id}


def new_trace_id() -> str:
    """An X-Ray trace header shaped like the ones Lambda sends."""
    return (f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};"
            f"Parent={secrets.token_hex(8)};Sampled=0")


def sqs_batch_event(bodies: Iterable[str | bytes | dict], queue: str = "imagecat-local") -> bytes:
    """An SQS → Lambda event carrying `bodies` as messages (dicts are JSON-encoded, as an S3
    notification is inside an SQS message body)."""
    records = []
    now_ms = str(int(time.time() * 1000))
    for body in bodies:
        if isinstance(body, dict):
            body = json.dumps(body)
        elif isinstance(body, bytes):
            body = body.decode("utf-8")
        records.append({
            "messageId": str(uuid.uuid4()),
            "receiptHandle": secrets.token_urlsafe(24),
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": now_ms,
                           "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": now_ms},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
            "awsRegion": "us-east-1",
        })
    return json.dumps({"Records": records}).encode()


def _quiet_disconnects(server, request, client_address) -> None:
    """A runtime that exits (init error, crash, kill) drops its connection: expected, not a
    traceback. Anything else is still printed."""
    if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
        ThreadingHTTPServer.handle_error(server, request, client_address)


class LocalRuntimeAPI:
    """The server. Thread-safe: enqueue and wait from any thread while runtimes poll."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", function_timeout: float = 3.0,
                 function_arn: str = DEFAULT_ARN, requeue_on_crash: bool = True,
                 max_attempts: int = 3, max_payload: int = MAX_PAYLOAD_BYTES,
                 on_result: Callable[[Result], None] | None = None,
                 on_handout: Callable[[str], None] | None = None,
                 on_init_error: Callable[[InitError], None] | None = None,
                 on_rejection: Callable[[Rejection], None] | None = None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local Runtime API only binds to the loopback interface")
        self.host = host
        self.port = port
        self.function_timeout = function_timeout
        self.function_arn = function_arn
        self.requeue_on_crash = requeue_on_crash
        self.max_attempts = max(1, max_attempts)
        self.max_payload = max_payload
        self.on_result = on_result
        self.on_handout = on_handout
        self.on_init_error = on_init_error
        self.on_rejection = on_rejection

        self._lock = threading.Condition()
        self._queue: deque[_Invocation] = deque()
        self._in_flight: dict[str, _Invocation] = {}
        self._all: dict[str, _Invocation] = {}
        self._order: list[str] = []
        self.results: dict[str, Result] = {}
        self.init_errors: list[InitError] = []
        self.rejections: list[Rejection] = []
        self._injected: dict[str, deque[int]] = {name: deque() for name in _ENDPOINTS}
        self._stopping = threading.Event()
        self._draining = False  # stopping: nothing more handed out, no deadline fires
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._next_connection = 0
        self._waiting = 0
        self.processes: list[subprocess.Popen] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "LocalRuntimeAPI":
        handler = _make_handler(self)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("_Server", (ThreadingHTTPServer,), {"address_family": family,
                                                               "handle_error": _quiet_disconnects})
        self._server = server_class((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        for target in (self._server.serve_forever, self._watch_deadlines):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    @property
    def address(self) -> str:
        """`host:port`, the value for AWS_LAMBDA_RUNTIME_API."""
        return f"{self.host}:{self.port}"

    def stop(self, grace: float = 2.0) -> None:
        """Stops spawned runtimes (SIGTERM, then SIGKILL after `grace`), then the server.

        Runtimes first: a runtime whose long-poll `/next` is closed logs FATAL and exits, which
        Lambda never makes it do at the end of its life, and the storm's summary would count.
        Meanwhile nothing is handed out (an invocation put back by a dying runtime would go to
        another dying one, one attempt each) and no deadline fires."""
        with self._lock:
            self._draining = True
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalRuntimeAPI":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- driving ---------------------------------------------------------------------------

    def enqueue(self, event: bytes | str | dict | list, *, request_id: str | None = None,
                trace_id=AUTO, client_context: str | None = None) -> str:
        """Queues one invocation and returns its request id. `trace_id=None` sends no
        Lambda-Runtime-Trace-Id header."""
        if isinstance(event, (dict, list)):
            event = json.dumps(event).encode()
        elif isinstance(event, str):
            event = event.encode()
        invocation = _Invocation(id=request_id or str(uuid.uuid4()), event=event,
                                 trace_id=new_trace_id() if trace_id is AUTO else trace_id,
                                 client_context=client_context)
        with self._lock:
            if invocation.id in self._all:
                raise ValueError(f"request id {invocation.id} was already used")
            self._all[invocation.id] = invocation
            self._order.append(invocation.id)
            self._queue.append(invocation)
            self._lock.notify_all()
        return invocation.id

    def enqueue_sqs_batch(self, bodies: Iterable[str | bytes | dict], **kwargs) -> str:
        """Queues one invocation whose event is an SQS batch of `bodies`."""
        return self.enqueue(sqs_batch_event(bodies), **kwargs)

    def inject(self, endpoint: str, status: int, count: int = 1) -> None:
        """The next `count` requests to `endpoint` ("next", "response", "error" or
        "init_error") are answered with `status` and a Lambda-style error body, and have no
        other effect: the invocation stays in flight."""
        if endpoint not in self._injected:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(_ENDPOINTS)}")
        with self._lock:
            self._injected[endpoint].extend([status] * count)

    def pending(self) -> list[str]:
        """Ids of invocations that have no result yet."""
        with self._lock:
            return [i for i in self._order if i not in self.results]

    def wait_for(self, ids: str | Iterable[str] | None = None, timeout: float = 10.0):
        """Waits for results. One id → its Result; a list → Results in that order; None → all
        invocations enqueued so far. Raises TimeoutError naming what is still pending."""
        single = isinstance(ids, str)
        with self._lock:
            wanted = [ids] if single else list(self._order if ids is None else ids)
            unknown = [i for i in wanted if i not in self._all]
            if unknown:
                raise KeyError(f"never enqueued: {unknown}")
            deadline = time.monotonic() + timeout
            while True:
                missing = [i for i in wanted if i not in self.results]
                if not missing:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(missing)} of {len(wanted)} invocations unanswered "
                                       f"after {timeout}s: {missing[:5]}")
                self._lock.wait(min(left, 0.1))
            results = [self.results[i] for i in wanted]
        return results[0] if single else results

    def wait_for_waiting(self, n: int, timeout: float = 10.0) -> None:
        """Waits until `n` runtimes are long-polling `/next` at the same time."""
        with self._lock:
            deadline = time.monotonic() + timeout
            while self._waiting < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._waiting} of {n} runtimes polling after {timeout}s")
                self._lock.wait(min(left, 0.1))

    def wait_for_init_error(self, timeout: float = 10.0) -> InitError:
        with self._lock:
            deadline = time.monotonic() + timeout
            while not self.init_errors:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no /init/error within {timeout}s")
                self._lock.wait(min(left, 0.1))
            return self.init_errors[0]

    def spawn(self, command: list[str] | str, n: int = 1, *, env: dict | None = None,
              stdout=None, stderr=None) -> list[subprocess.Popen]:
        """Starts `n` runtime processes with AWS_LAMBDA_RUNTIME_API pointing here (and the
        current environment plus `env`). `stop()` terminates them."""
        if self._server is None:
            raise RuntimeError("start() the server before spawning runtimes")
        argv = [command] if isinstance(command, str) else list(command)
        child_env = dict(os.environ)
        child_env.update(env or {})
        child_env["AWS_LAMBDA_RUNTIME_API"] = self.address
        started = [subprocess.Popen(argv, env=child_env, stdin=subprocess.DEVNULL,
                                    stdout=stdout, stderr=stderr) for _ in range(n)]
        self.processes.extend(started)
        return started

    # -- called by the request handler -----------------------------------------------------

    def _new_connection(self) -> int:
        with self._lock:
            self._next_connection += 1
            return self._next_connection

    def _take_injected(self, endpoint: str) -> int | None:
        with self._lock:
            queue = self._injected[endpoint]
            return queue.popleft() if queue else None

    def _next_invocation(self, connection: int, gone: Callable[[], bool]) -> _Invocation | None:
        """Blocks until an invocation is queued (None when stopping or the client left)."""
        with self._lock:
            self._waiting += 1
            self._lock.notify_all()  # for wait_for_waiting()
            try:
                while not self._queue or self._draining:
                    if self._stopping.is_set() or gone():
                        return None
                    self._lock.wait(0.2)
            finally:
                self._waiting -= 1
            invocation = self._queue.popleft()
            invocation.attempts += 1
            invocation.connection = connection
            invocation.deadline_ms = int(time.time() * 1000 + self.function_timeout * 1000)
            invocation.handed_out = time.monotonic()
            self._in_flight[invocation.id] = invocation
        if self.on_handout:
            self.on_handout(invocation.id)
        return invocation

    def _finish(self, request_id: str, kind: str, body: bytes, error_type: str | None,
                xray_cause: str | None = None) -> bool:
        """Records a result; False when the id is unknown or already answered."""
        now = time.monotonic()
        with self._lock:
            invocation = self._all.get(request_id)
            if invocation is None or request_id in self.results or invocation.attempts == 0:
                return False
            self._in_flight.pop(request_id, None)
            if invocation in self._queue:  # answered after a crash re-queued it
                self._queue.remove(invocation)
            duration = None if invocation.handed_out is None else now - invocation.handed_out
            result = Result(request_id, kind, body, error_type, invocation.attempts, duration,
                            xray_cause, invocation.trace_id)
            self.results[request_id] = result
            self._lock.notify_all()
        if self.on_result:
            self.on_result(result)
        return True

    def _record_init_error(self, error_type: str | None, body: bytes) -> None:
        error = InitError(error_type, body)
        with self._lock:
            self.init_errors.append(error)
            self._lock.notify_all()
        if self.on_init_error:
            self.on_init_error(error)

    def _record_rejection(self, endpoint: str, status: int, request_id: str | None) -> None:
        rejection = Rejection(endpoint, status, request_id)
        with self._lock:
            self.rejections.append(rejection)
        if self.on_rejection:
            self.on_rejection(rejection)

    def _connection_closed(self, connection: int) -> None:
        """A kept-alive runtime connection closed: whatever it held, its process dropped."""
        lost = []
        with self._lock:
            for invocation in list(self._in_flight.values()):
                if invocation.connection != connection:
                    continue
                del self._in_flight[invocation.id]
                invocation.connection = None
                if self.requeue_on_crash and invocation.attempts < self.max_attempts:
                    self._queue.appendleft(invocation)
                else:
                    lost.append(invocation)
            self._lock.notify_all()
        for invocation in lost:
            body = json.dumps({
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {invocation.id} Error: Runtime exited without "
                                f"providing a reason (delivered {invocation.attempts} times)",
            }).encode()
            self._finish(invocation.id, "error", body, "Runtime.ExitError")

    def _watch_deadlines(self) -> None:
        while not self._stopping.wait(0.05):
            now_ms = time.time() * 1000
            with self._lock:
                if self._draining:
                    continue
                expired = [i for i in self._in_flight.values() if i.deadline_ms <= now_ms]
            for invocation in expired:
                body = json.dumps({"errorType": "Sandbox.Timedout",
                                   "errorMessage": f"RequestId: {invocation.id} Error: Task timed "
                                                   f"out after {self.function_timeout:.2f} seconds"})
                self._finish(invocation.id, "timeout", body.encode(), "Sandbox.Timedout")


def _make_handler(api: LocalRuntimeAPI):
    class RuntimeAPIHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-runtime-api"
        sys_version = ""
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def setup(self):
            super().setup()
            self.connection_id = api._new_connection()
            self.kept_alive = True

        def finish(self):
            try:
                super().finish()
            finally:
                if self.kept_alive:
                    api._connection_closed(self.connection_id)

        def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
            pass

        # -- plumbing --

        def _note_keep_alive(self):
            # HTTP/1.0 or "Connection: close": each request on its own connection, so closing
            # it says nothing about the runtime process.
            if self.close_connection:
                self.kept_alive = False

        def _read_body(self) -> bytes | None:
            """The request's body; None when the connection ended before all of it came (a
            runtime killed mid-send): Lambda takes no truncated response."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return None
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunk = self.rfile.read(size)
                    if len(chunk) < size:
                        return None
                    chunks.append(chunk)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            return body if len(body) == length else None

        def _send(self, status: int, body: bytes, headers: dict | None = None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if not headers or "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: int, value: dict):
            self._send(status, json.dumps(value).encode())

        def _injected(self, endpoint: str, request_id: str | None) -> bool:
            status = api._take_injected(endpoint)
            if status is None:
                return False
            api._record_rejection(endpoint, status, request_id)
            self._send_json(status, {"errorMessage": f"injected {status} for {endpoint}",
                                     "errorType": "InternalServerError" if status >= 500
                                     else "InjectedFailure"})
            return True

        def _client_gone(self) -> bool:
            # While long-polling, a runtime sends nothing: readable means EOF (it died).
            try:
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

        # -- endpoints --

        def do_GET(self):
            self._note_keep_alive()
            if self.path != _PREFIX + "invocation/next":
                self._send_json(404, {"errorMessage": f"no such endpoint: GET {self.path}",
                                      "errorType": "NotFound"})
                return
            if self._injected("next", None):
                return
            invocation = api._next_invocation(self.connection_id, self._client_gone)
            if invocation is None:
                self.close_connection = True
                return
            headers = {
                "Lambda-Runtime-Aws-Request-Id": invocation.id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                "Content-Type": "application/json",
            }
            if invocation.trace_id:
                headers["Lambda-Runtime-Trace-Id"] = invocation.trace_id
            if invocation.client_context:
                headers["Lambda-Runtime-Client-Context"] = invocation.client_context
            try:
                self._send(200, invocation.event, headers)
            except OSError:  # it died while waiting: hand the invocation to another runtime
                self.close_connection = True
                api._connection_closed(self.connection_id)

        def do_POST(self):
            self._note_keep_alive()
            body = self._read_body()
            if body is None:
                self.close_connection = True
                return
            path = self.path
            if path == _PREFIX + "init/error":
                if self._injected("init_error", None):
                    return
                api._record_init_error(self.headers.get("Lambda-Runtime-Function-Error-Type"), body)
                self._send_json(202, {"status": "OK"})
                return
            match = re.fullmatch(re.escape(_PREFIX) + r"invocation/([^/]+)/(response|error)", path)
            if not match:
                self._send_json(404, {"errorMessage": f"no such endpoint: POST {path}",
                                      "errorType": "NotFound"})
                return
            request_id, endpoint = match.groups()
            if self._injected(endpoint, request_id):
                return
            if endpoint == "response":
                if len(body) > api.max_payload:
                    message = (f"Response payload size ({len(body)} bytes) exceeded maximum "
                               f"allowed payload size ({api.max_payload} bytes).")
                    error = json.dumps({"errorMessage": message,
                                        "errorType": "Function.ResponseSizeTooLarge"}).encode()
                    if api._finish(request_id, "error", error, "Function.ResponseSizeTooLarge"):
                        api._record_rejection(endpoint, 413, request_id)
                        self._send_json(413, {
                            "errorMessage": f"Exceeded maximum allowed payload size "
                                            f"({api.max_payload} bytes).",
                            "errorType": "RequestEntityTooLarge"})
                        return
                elif api._finish(request_id, "response", body, None):
                    self._send_json(202, {"status": "OK"})
                    return
            else:
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or ""
                if not ERROR_TYPE_PATTERN.match(error_type):
                    error_type = "Runtime.Unknown"
                if api._finish(request_id, "error", body, error_type,
                               self.headers.get("Lambda-Runtime-Function-XRay-Error-Cause")):
                    self._send_json(202, {"status": "OK"})
                    return
            api._record_rejection(endpoint, 400, request_id)
            self._send_json(400, _INVALID_REQUEST_ID)

    return RuntimeAPIHandler


# -- command line ----------------------------------------------------------------------------

def _print_line(value: dict, lock=threading.Lock()) -> None:
    with lock:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/local_runtime_api.py",
        description="Serve Lambda events to runtime processes through a local Runtime API. "
                    "Prints {\"address\": ...} first, then one JSON line per result, init error "
                    "and rejected request.",
        epilog="Example: %(prog)s --events events/sum.json --repeat 100 --exit-when-done "
               "--spawn 2 --handler sum -- .build/debug/bootstrap")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--events", nargs="*", default=[], metavar="FILE",
                        help="event files to serve, in order")
    parser.add_argument("--repeat", type=int, default=1, help="serve the event list this many times")
    parser.add_argument("--sqs-batch", type=int, default=0, metavar="N",
                        help="wrap the events' contents, N at a time, into SQS batch events")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="function timeout in seconds (sets Lambda-Runtime-Deadline-Ms)")
    parser.add_argument("--no-trace", action="store_true", help="send no Lambda-Runtime-Trace-Id")
    parser.add_argument("--no-requeue", action="store_true",
                        help="an invocation whose runtime died fails instead of being retried")
    parser.add_argument("--max-attempts", type=int, default=3,
                        help="deliveries of one invocation before it fails (default 3, as Lambda)")
    parser.add_argument("--inject", action="append", default=[], metavar="ENDPOINT:STATUS[:COUNT]",
                        help="answer the next COUNT requests to ENDPOINT (next, response, error, "
                             "init_error) with STATUS")
    parser.add_argument("--exit-when-done", action="store_true",
                        help="exit once every event has a result (0), or when --wait expires "
                             "or every spawned runtime has exited first (1)")
    parser.add_argument("--wait", type=float, default=None,
                        help="with --exit-when-done: give up after this many seconds")
    parser.add_argument("--quiet", action="store_true", help="print no per-result lines")
    parser.add_argument("--spawn", type=int, default=0, metavar="N",
                        help="start N runtime processes running COMMAND (after --)")
    parser.add_argument("--handler", help="_HANDLER for spawned runtimes")
    parser.add_argument("command", nargs="*", help="runtime command for --spawn")
    args = parser.parse_args(argv)

    if args.spawn and not args.command:
        parser.error("--spawn needs a command after --")

    counts = {"response": 0, "error": 0, "timeout": 0}

    def on_result(result: Result) -> None:
        counts[result.kind] = counts.get(result.kind, 0) + 1
        if not args.quiet:
            _print_line(result.to_dict())

    api = LocalRuntimeAPI(args.port, function_timeout=args.timeout,
                          requeue_on_crash=not args.no_requeue, max_attempts=args.max_attempts,
                          on_result=on_result,
                          on_init_error=lambda e: _print_line(e.to_dict()),
                          on_rejection=lambda r: _print_line(r.to_dict()))
    for spec in args.inject:
        parts = spec.split(":")
        try:
            api.inject(parts[0], int(parts[1]), int(parts[2]) if len(parts) > 2 else 1)
        except (IndexError, ValueError) as error:
            parser.error(f"--inject {spec}: {error}")

    events = []
    for path in args.events:
        with open(path, "rb") as file:
            events.append(file.read())
    events = events * max(args.repeat, 0)
    if args.sqs_batch > 0:
        events = [sqs_batch_event(events[i:i + args.sqs_batch])
                  for i in range(0, len(events), args.sqs_batch)]

    api.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _print_line({"address": api.address})
    status = 0
    try:
        for event in events:
            api.enqueue(event, trace_id=None if args.no_trace else AUTO)
        if args.spawn:
            env = {"_HANDLER": args.handler} if args.handler is not None else {}
            api.spawn(args.command, n=args.spawn, env=env)
        started = time.monotonic()
        while True:
            if args.exit_when_done and not api.pending():
                break
            if args.exit_when_done and args.wait is not None and time.monotonic() - started > args.wait:
                print(f"local_runtime_api: {len(api.pending())} invocations still pending after "
                      f"{args.wait}s", file=sys.stderr)
                status = 1
                break
            if args.spawn and all(p.poll() is not None for p in api.processes):
                left = len(api.pending())
                print(f"local_runtime_api: every runtime exited; {left} invocations pending",
                      file=sys.stderr)
                status = 1 if left else 0
                break
            time.sleep(0.02)
    except KeyboardInterrupt:
        status = 130
    finally:
        api.stop()
    if args.exit_when_done:
        _print_line({"done": status == 0, "results": len(api.results), **counts,
                     "init_errors": len(api.init_errors), "pending": len(api.pending())})
    return status

