"""A loopback HTTP/1.1 proxy that makes S3 misbehave the way it does in production.

Why: the catalog updater must survive S3's transient failures (503 SlowDown under load, a
connection dropped mid-request) without losing or duplicating catalog entries. A real local
S3 server never fails on its own, so this proxy sits in front of it and, with a seeded RNG,

- answers a fraction of requests with a real-looking S3 `503 SlowDown` XML error (the
  request never reaches the server; the connection stays usable, as with S3);
- resets (RST, no answer) a fraction of connections, half of them *before* the request is
  forwarded (nothing happened) and half *after* the server answered (the request took
  effect, but the client never learns it: a conditional PUT that succeeded looks failed);
- forwards everything else unchanged, byte for byte;
- with a latency range (`latency=(10, 30)` ms), holds every request for a uniformly drawn
  time in that range before acting on it: S3 in the same region costs 10–30 ms a request
  (to its first byte), loopback ~0.1 ms, and a function's write path behaves differently when
  the window between reading the catalog and writing it is that long.

The client signs `host=127.0.0.1:PROXYPORT` and the server checks signatures against the
Host header it receives, so request heads are forwarded exactly as received: no header is
added, removed or rewritten (SigV4 signs some of them). Bodies are streamed by
Content-Length (or relayed chunk by chunk when chunked). Both sides are kept alive: one
upstream connection per client connection, reopened when the server closes it.

As a module (Python 3.11 standard library only):

    from imagecat_tools.fault_proxy import FaultProxy
    with FaultProxy(server.endpoint, error_rate=0.10, reset_rate=0.03, seed=7,
                    latency=parse_latency("10-30")) as proxy:
        env["AWS_ENDPOINT_URL_S3"] = proxy.endpoint      # http://127.0.0.1:PORT
        ...
        print(proxy.counts())    # {"requests": ..., "forwarded": ..., "slowdowns": ..., ...}

As a command (prints {"endpoint": ...} once listening, the counts as JSON on SIGTERM/Ctrl-C):

    python3 -m imagecat_tools.fault_proxy --upstream http://127.0.0.1:8333 --error-rate 0.1 \\
        --reset-rate 0.03 --seed 7 [--latency 10-30] [--port 0]
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import urllib.parse
from collections import Counter
from email.utils import formatdate
from typing import Callable

_MAX_HEAD_BYTES = 64 * 1024
_COPY_CHUNK = 64 * 1024

SLOWDOWN_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
    "<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
)


def parse_latency(text: str) -> tuple[float, float]:
    """"10-30" → (10.0, 30.0) and "20" → (20.0, 20.0): a per-request latency range in ms."""
    low, sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high if sep else low))
    except ValueError:
        raise ValueError(f"latency must be MS or MIN-MAX in milliseconds, got {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise ValueError(f"latency range must satisfy 0 <= MIN <= MAX, got {text!r}")
    return bounds


def request_kind(method: str, target: str, status: int, catalog_key: str = "images.json") -> str:
    """"GET catalog", "GET catalog 304", "PUT catalog 412", "GET object (range)", "HEAD object
    404", "LIST", "PUT catalog state" (a key under the catalog's own name, such as
    images.json.index/...), "CREATE catalog upload", "PART catalog" (an uploaded or copied
    part), "COMPLETE catalog 412", "ABORT catalog", ...: one S3 request (path-style) as the proxy saw it, named by
    what it reads or writes and, unless it succeeded, the status. The storm and the
    benchmarks count a function's requests by it."""
    path, _, query = target.partition("?")
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    if method == "GET" and ("list-type" in params or path.strip("/").count("/") == 0):
        prefix = params.get("prefix", [""])[0]
        return "LIST catalog state" if prefix.startswith(catalog_key) else "LIST"
    key = urllib.parse.unquote(path).lstrip("/").partition("/")[2]
    what = ("catalog" if key == catalog_key else
            "catalog state" if key.startswith(catalog_key) else "object")
    suffix = " (range)" if status == 206 else f" {status}" if status >= 300 else ""
    # A multipart upload's steps (a big catalog's splice): named for what they do.
    if "uploads" in params and method == "POST":
        return f"CREATE {what} upload{suffix}"
    if "uploadId" in params:
        step = {"PUT": "PART", "POST": "COMPLETE", "DELETE": "ABORT"}.get(method, method)
        return f"{step} {what}{suffix}"
    return f"{method} {what}{suffix}"


class _ClientGone(Exception):
    """The client closed its connection (between requests, or mid-request)."""


class _UpstreamGone(Exception):
    """The server closed its connection mid-answer."""


class _Head:
    """A parsed request or response head, with its raw bytes kept for forwarding."""

    def __init__(self, raw: bytes):
        self.raw = raw
        lines = raw.decode("latin-1").split("\r\n")
        self.start = lines[0]
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def tokens(self, name: str) -> set[str]:
        return {t.strip().lower() for k, v in self.headers if k == name for t in v.split(",")}

    @property
    def chunked(self) -> bool:
        return "chunked" in self.tokens("transfer-encoding")

    @property
    def content_length(self) -> int | None:
        value = self.get("content-length")
        return int(value) if value is not None else None


class _Reader:
    """Buffered reads from a socket: heads up to CRLFCRLF, exact byte counts, lines."""

    def __init__(self, sock: socket.socket, gone: type[Exception]):
        self.sock = sock
        self.buffer = bytearray()
        self.gone = gone

    def _fill(self) -> None:
        data = self.sock.recv(_COPY_CHUNK)
        if not data:
            raise self.gone()
        self.buffer += data

    def head(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                raw = bytes(self.buffer[:end + 4])
                del self.buffer[:end + 4]
                return raw
            if len(self.buffer) > _MAX_HEAD_BYTES:
                raise ValueError("HTTP head larger than 64 KiB")
            self._fill()

    def line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                raw = bytes(self.buffer[:end + 2])
                del self.buffer[:end + 2]
                return raw
            self._fill()

    def copy(self, count: int, sink: socket.socket | None) -> int:
        """Moves exactly `count` bytes to `sink` (or drops them when `sink` is None); returns
        `count`."""
        moved = count
        while count > 0:
            if not self.buffer:
                self._fill()
            piece = bytes(self.buffer[:min(count, _COPY_CHUNK)])
            del self.buffer[:len(piece)]
            count -= len(piece)
            if sink is not None:
                sink.sendall(piece)
        return moved

    def copy_until_close(self, sink: socket.socket) -> int:
        """Moves everything until the other side closes; returns how many bytes."""
        moved = len(self.buffer)
        if self.buffer:
            sink.sendall(bytes(self.buffer))
            self.buffer.clear()
        while True:
            data = self.sock.recv(_COPY_CHUNK)
            if not data:
                return moved
            moved += len(data)
            sink.sendall(data)

    def copy_chunked(self, sink: socket.socket | None) -> int:
        """Relays a chunked body with its framing unchanged (sizes, extensions, trailers);
        returns how many bytes, framing included."""
        moved = 0
        while True:
            size_line = self.line()
            moved += len(size_line)
            if sink is not None:
                sink.sendall(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    trailer = self.line()
                    moved += len(trailer)
                    if sink is not None:
                        sink.sendall(trailer)
                    if trailer == b"\r\n":
                        return moved
            moved += self.copy(size + 2, sink)  # data + CRLF


def _closed_by_peer(sock: socket.socket) -> bool:
    """True when an idle connection has been closed by the other side (readable at EOF)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _reset(sock: socket.socket) -> None:
    """Closes with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    """The proxy. Thread-safe; one thread per client connection."""

    def __init__(self, upstream: str, *, error_rate: float = 0.0, reset_rate: float = 0.0,
                 seed: int | None = 0, host: str = "127.0.0.1", port: int = 0,
                 reset_after_share: float = 0.5, latency: tuple[float, float] | None = None,
                 on_answer: Callable[[str, str, int], str | None] | None = None,
                 on_request: Callable[[str, str, list[tuple[str, str]]], None] | None = None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only binds to the loopback interface")
        if not (0 <= error_rate <= 1 and 0 <= reset_rate <= 1 and error_rate + reset_rate <= 1):
            raise ValueError(f"rates must be in 0..1 and add up to at most 1 "
                             f"(error {error_rate}, reset {reset_rate})")
        url = urllib.parse.urlsplit(upstream)
        if url.scheme != "http" or not url.hostname or not url.port:
            raise ValueError(f"upstream must be http://HOST:PORT, got {upstream!r}")
        self.upstream = (url.hostname, url.port)
        # The rates are read for every request: a test may change them while the proxy runs.
        self.error_rate = error_rate
        self.reset_rate = reset_rate
        self.reset_after_share = reset_after_share
        if latency is not None and not 0 <= latency[0] <= latency[1]:
            raise ValueError(f"latency must be (min, max) ms with 0 <= min <= max, got {latency}")
        self.latency = latency
        """(min, max) ms: every request waits a uniform draw from it before the proxy acts on
        it (forwards it, answers SlowDown or resets), as if S3 were that far away."""
        self.on_request = on_request
        """Called with (method, request target, headers) as each request head arrives, before
        anything is done with it: what the client sent, e.g. to check a header on every S3
        request (names lower-cased, values as sent)."""
        self.on_answer = on_answer
        """Called with (method, request target, status) once the server has answered a
        forwarded request, before the answer is relayed: a test can block in it to freeze the
        client at that exact point (e.g. to kill it after its write took effect), or return
        "reset" to reset the client's connection instead of relaying the answer (the write took
        effect, its answer is lost)."""
        self.host = host
        self.port = port
        self._rng = random.Random(seed)
        # Its own RNG: adding latency leaves the seeded sequence of faults unchanged.
        self._latency_rng = random.Random(None if seed is None else seed + 1)
        self._lock = threading.Lock()
        self._counts = {"connections": 0, "requests": 0, "forwarded": 0, "slowdowns": 0,
                        "resets_before_forwarding": 0, "resets_after_forwarding": 0,
                        "upstream_reconnects": 0, "delayed": 0, "latency_ms": 0.0,
                        "answer_bytes": 0}
        self._statuses: Counter[int] = Counter()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="fault-proxy-accept")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops accepting and closes every open connection (their threads then end)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "FaultProxy":
        return self.start() if self._listener is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def counts(self) -> dict:
        """What went through and what was injected, so far; `answers` counts the server's
        answers to forwarded requests by status (412/409: lost conditional writes), and
        `answer_bytes` their bytes (heads and bodies) relayed to the client: what the client
        read from S3 (the benchmarks' bytes per request)."""
        with self._lock:
            counts: dict = dict(self._counts)
            counts["answers"] = {str(k): v for k, v in sorted(self._statuses.items())}
        counts["resets"] = counts["resets_before_forwarding"] + counts["resets_after_forwarding"]
        counts["latency_ms"] = round(counts["latency_ms"], 1)
        return counts

    # -- internals -------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _fate(self) -> str:
        """"forward", "slowdown", "reset_before" or "reset_after", from the seeded RNG."""
        with self._lock:
            self._counts["requests"] += 1
            draw = self._rng.random()
            if draw < self.error_rate:
                return "slowdown"
            if draw < self.error_rate + self.reset_rate:
                return "reset_after" if self._rng.random() < self.reset_after_share else "reset_before"
            return "forward"

    def _delay(self) -> None:
        """Holds the current request for its drawn latency (nothing without a range)."""
        if self.latency is None:
            return
        with self._lock:
            ms = self._latency_rng.uniform(*self.latency)
            self._counts["delayed"] += 1
            self._counts["latency_ms"] += ms
        self._stopping.wait(ms / 1000)

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            (self._sockets.add if add else self._sockets.discard)(sock)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._count("connections")
            self._track(client, True)
            threading.Thread(target=self._serve, args=(client,), daemon=True,
                             name="fault-proxy-conn").start()

    def _connect_upstream(self) -> tuple[socket.socket, _Reader]:
        sock = socket.create_connection(self.upstream, timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._track(sock, True)
        return sock, _Reader(sock, _UpstreamGone)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        up_reader: _Reader | None = None
        reader = _Reader(client, _ClientGone)
        try:
            while not self._stopping.is_set():
                try:
                    request = _Head(reader.head())
                except _ClientGone:
                    return
                method = request.start.split(" ", 1)[0].upper()
                if self.on_request is not None:
                    parts = request.start.split(" ")
                    self.on_request(method, parts[1] if len(parts) > 1 else "", list(request.headers))
                self._delay()
                fate = self._fate()
                if fate == "reset_before":
                    self._count("resets_before_forwarding")
                    _reset(client)
                    return
                if "100-continue" in request.tokens("expect"):
                    # The client waits for this before sending its body. Answering it here
                    # lets a SlowDown be sent after the body, keeping the connection in step;
                    # the server's own interim 100 is then dropped below.
                    client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                if fate == "slowdown":
                    self._relay_body(reader, request, None)
                    self._count("slowdowns")
                    self._send_slowdown(client, method)
                    if "close" in request.tokens("connection"):
                        return
                    continue
                if upstream is not None and _closed_by_peer(upstream):
                    # The server dropped the idle kept-alive connection: open a new one
                    # before sending, so the request is never half-sent into a dead socket.
                    self._close(upstream)
                    upstream = up_reader = None
                    self._count("upstream_reconnects")
                if upstream is None:
                    upstream, up_reader = self._connect_upstream()
                upstream.sendall(request.raw)
                self._relay_body(reader, request, upstream)
                target = request.start.split(" ", 2)[1] if request.start.count(" ") >= 2 else ""
                keep, verdict = self._relay_response(up_reader, method, target,
                                                     client if fate == "forward" else None)
                if verdict == "reset" or fate == "reset_after":
                    self._count("resets_after_forwarding")
                    _reset(client)
                    return
                if not keep or "close" in request.tokens("connection"):
                    return
        except (OSError, ValueError, _ClientGone, _UpstreamGone):
            # A real failure on either side ends the client's connection, as it would
            # without the proxy (not counted as injected).
            return
        finally:
            self._close(client)
            if upstream is not None:
                self._close(upstream)

    def _close(self, sock: socket.socket) -> None:
        self._track(sock, False)
        try:
            sock.close()
        except OSError:
            pass

    @staticmethod
    def _relay_body(reader: _Reader, head: _Head, sink: socket.socket | None) -> None:
        """Streams the request body to `sink` (None: reads and drops it)."""
        if head.chunked:
            reader.copy_chunked(sink)
        elif head.content_length:
            reader.copy(head.content_length, sink)

    def _relay_response(self, up_reader: _Reader, method: str, target: str,
                        client: socket.socket | None) -> tuple[bool, str | None]:
        """Streams the server's answer to `client` (None: reads and drops it). Returns (keep,
        verdict): keep is False when the connection must close after it; verdict is
        `on_answer`'s (with "reset" the answer is read and dropped, not relayed)."""
        while True:
            response = _Head(up_reader.head())
            status = int(response.start.split(" ", 2)[1])
            if not 100 <= status < 200:
                break  # interim answers (100 Continue) are skipped: the client had ours
        with self._lock:  # counted before the client can see the answer
            self._counts["forwarded"] += 1
            self._statuses[status] += 1
        verdict = self.on_answer(method, target, status) if self.on_answer is not None else None
        if verdict not in (None, "reset"):
            raise ValueError(f"on_answer may return None or 'reset', not {verdict!r}")
        if verdict == "reset":
            client = None
        if client is not None:
            client.sendall(response.raw)
        keep = "close" not in response.tokens("connection")
        moved = len(response.raw)
        if method == "HEAD" or status in (204, 304):
            pass
        elif response.chunked:
            moved += up_reader.copy_chunked(client)
        elif response.content_length is not None:
            moved += up_reader.copy(response.content_length, client)
        else:  # delimited by the server closing the connection
            keep = False
            if client is not None:
                moved += up_reader.copy_until_close(client)
        if client is not None:
            with self._lock:
                self._counts["answer_bytes"] += moved
        return keep, verdict

    @staticmethod
    def _send_slowdown(client: socket.socket, method: str) -> None:
        request_id = secrets.token_hex(8).upper()
        host_id = secrets.token_urlsafe(48)
        body = SLOWDOWN_XML.format(request_id=request_id, host_id=host_id).encode()
        head = (
            "HTTP/1.1 503 Slow Down\r\n"
            "Content-Type: application/xml\r\n"
            f"Content-Length: {0 if method == 'HEAD' else len(body)}\r\n"
            f"x-amz-request-id: {request_id}\r\n"
            f"x-amz-id-2: {host_id}\r\n"
            f"Date: {formatdate(usegmt=True)}\r\n"
            "Server: AmazonS3\r\n"
            "\r\n"
        ).encode()
        client.sendall(head if method == "HEAD" else head + body)


# -- command line ----------------------------------------------------------------------------

def add_latency_argument(parser: argparse.ArgumentParser, what: str, note: str = "") -> None:
    """`--latency MIN-MAX` (ms), parsed to a (min, max) tuple; the storm and the benchmarks
    take it too, for the function's S3 traffic only."""
    def latency(text: str) -> tuple[float, float]:
        try:
            return parse_latency(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    parser.add_argument("--latency", type=latency, default=None, metavar="MIN-MAX",
                        help=f"delay {what} by a uniform random MIN..MAX ms (e.g. 10-30: S3 in "
                             f"the same region), before the request is forwarded{note}")

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m imagecat_tools.fault_proxy",
        description="Loopback HTTP/1.1 proxy that injects S3 503 SlowDown answers and "
                    "connection resets into a fraction of requests, and latency into all.")
    parser.add_argument("--upstream", required=True, help="the S3 server, http://HOST:PORT")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--error-rate", type=float, default=0.1,
                        help="fraction of requests answered 503 SlowDown (default 0.1)")
    parser.add_argument("--reset-rate", type=float, default=0.03,
                        help="fraction of requests whose connection is reset (default 0.03)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    add_latency_argument(parser, "every request")
    args = parser.parse_args(argv)
    proxy = FaultProxy(args.upstream, error_rate=args.error_rate, reset_rate=args.reset_rate,
                       seed=args.seed, port=args.port, latency=args.latency).start()
    print(json.dumps({"endpoint": proxy.endpoint, "upstream": args.upstream}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    proxy.stop()
    print(json.dumps(proxy.counts()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
