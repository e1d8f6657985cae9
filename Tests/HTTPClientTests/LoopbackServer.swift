import Foundation

/// A small HTTP/1.1 keep-alive server on 127.0.0.1 (Python's standard library, run as a
/// subprocess), so CurlTransport is tested against a real socket peer rather than a mock.
///
/// Endpoints: any method on `/echo` answers 200 with the request body and `X-Method`, `X-Path`,
/// `X-Conn` (the client's port: same value means same connection) and `X-Echo-<name>` for every
/// request header named `X-...`; `/status/NNN` answers NNN; `/slow/MS` waits MS ms first;
/// `/close` answers with `Connection: close`. It never sends `100 Continue`; `X-Expect` echoes
/// the request's `Expect` header.
final class LoopbackServer {
    let process = Process()
    let port: Int

    static let script = #"""
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def log_message(self, *a): pass
    def handle_expect_100(self):
        # Like many S3-compatible servers: no interim 100 Continue, so a client that sent
        # "Expect: 100-continue" stalls until its own timer fires.
        return True
    def reply(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        status, extra, out = 200, {}, body
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2]); out = b"status %d" % status
        elif self.path.startswith("/slow/"):
            time.sleep(int(self.path.split("/")[2]) / 1000); out = b"slow"
        elif self.path == "/close":
            extra["Connection"] = "close"; self.close_connection = True; out = b"closing"
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

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct ServerStartError: Error { var output: String }
