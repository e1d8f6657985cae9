import Foundation
import HTTPClient

/// A small HTTP/1.1 keep-alive server on 127.0.0.1 (Python's standard library, run as a
/// subprocess), so CurlTransport is tested against a real socket peer rather than a mock.
///
/// Endpoints: any method on `/echo` answers 200 with the request body and `X-Method`, `X-Path`,
/// `X-Conn` (the client's port: same value means same connection) and `X-Echo-<name>` for every
/// request header named `X-...`; `/status/NNN` answers NNN; `/slow/MS` waits MS ms first;
/// `/close` answers with `Connection: close`; `/bytes/N` answers N bytes with a Content-Length,
/// `/chunked/N` N bytes chunked (no length announced); `/stats` answers `connections max-in-flight`:
/// TCP connections accepted and the most requests it was ever answering at once (`/stats` itself
/// not counted). It never sends `100 Continue`; `X-Expect` echoes the request's `Expect` header.
/// `/barrier/N` holds its answer until N requests to `/barrier/N` are waiting at the same time,
/// then answers them all (`released`; the next N form the next group): concurrency proven by
/// the server, not by a stopwatch. A group that is not complete within 30 s answers 504.
/// `/drop-once/TAG` reads the first request for TAG, body and all, and closes the connection
/// without an answer (as a connection that dies after the server acted on a request); later ones
/// answer 412 with `X-Seen`, how many requests for TAG came.
final class LoopbackServer {
    let process = Process()
    let port: Int

    static let script = #"""
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
stats = {"connections": 0, "in_flight": 0, "max_in_flight": 0}
barrier = threading.Condition()
arrivals = {}
seen = {}

def wait_for_group(n):
    with barrier:
        mine = arrivals.get(n, 0)
        arrivals[n] = mine + 1
        barrier.notify_all()
        return barrier.wait_for(lambda: arrivals[n] >= (mine // n + 1) * n, timeout=30)

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def log_message(self, *a): pass
    def handle_expect_100(self):
        # Like many S3-compatible servers: no interim 100 Continue, so a client that sent
        # "Expect: 100-continue" stalls until its own timer fires.
        return True
    def setup(self):
        super().setup()
        with lock:
            stats["connections"] += 1
    def reply(self):
        if self.path == "/stats":
            with lock:
                out = b"%d %d" % (stats["connections"], stats["max_in_flight"])
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        with lock:
            stats["in_flight"] += 1
            stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        try:
            self.answer()
        finally:
            with lock:
                stats["in_flight"] -= 1
    def answer(self):
        if self.path.startswith("/chunked/"):
            n = int(self.path.split("?")[0].split("/")[2])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, n, 1000):
                part = b"c" * min(1000, n - start)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        status, extra, out = 200, {}, body
        if self.path.startswith("/drop-once/"):
            with lock:
                seen[self.path] = seen.get(self.path, 0) + 1
                count = seen[self.path]
            if count == 1:
                self.close_connection = True
                return
            status, extra["X-Seen"], out = 412, str(count), b"precondition failed"
        elif self.path.startswith("/status/"):
            status = int(self.path.split("?")[0].split("/")[2]); out = b"status %d" % status
        elif self.path.startswith("/slow/"):
            time.sleep(int(self.path.split("?")[0].split("/")[2]) / 1000); out = b"slow"
        elif self.path.startswith("/barrier/"):
            released = wait_for_group(int(self.path.split("?")[0].split("/")[2]))
            status, out = (200, b"released") if released else (504, b"barrier timed out")
        elif self.path == "/close":
            extra["Connection"] = "close"; self.close_connection = True; out = b"closing"
        elif self.path.startswith("/bytes/"):
            out = b"b" * int(self.path.split("?")[0].split("/")[2])
        elif self.path == "/headers":
            extra["X-Spaced"] = "  padded value  "; extra["X-Multi"] = "one"
        self.send_response(status)
        self.send_header("X-Method", self.command)
        self.send_header("X-Path", self.path)
        self.send_header("X-Conn", str(self.client_address[1]))
        self.send_header("X-Body-Length", str(len(body)))
        self.send_header("X-Expect", self.headers.get("Expect", "none"))
        for name, value in self.headers.items():
            if name.lower().startswith("x-"):
                self.send_header("X-Echo-" + name[2:], value)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = reply

ThreadingHTTPServer.request_queue_size = 128
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", LoopbackServer.script]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ServerStartError(output: String(decoding: line, as: UTF8.self))
        }
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// TCP connections accepted so far and the most requests answered at once.
    func stats() throws -> (connections: Int, maxInFlight: Int) {
        let response = try CurlTransport().send(HTTPRequest(method: "GET", url: url("/stats")))
        let numbers = String(decoding: response.body, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2 else { throw ServerStartError(output: "bad /stats answer") }
        // The connection this question came on is not one the test made.
        return (numbers[0] - 1, numbers[1])
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct ServerStartError: Error { var output: String }
