#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPClient

/// Wraps the real transport and writes every exchange to a fixture file, named by the script in
/// main.swift. It can also answer one request itself with a documented S3 error (503 SlowDown),
/// because a real server cannot be made to throttle on demand.
final class RecordingTransport: HTTPTransport {
    struct Expected {
        var name: String
        var description: String
    }

    private let inner: HTTPTransport
    private let directory: String
    /// Names for the next exchanges, in order; an exchange with no name left is a script error.
    var pending: [Expected] = []
    /// When set, the next request is not sent: this response is recorded and returned instead.
    var synthetic: (response: HTTPResponse, note: String)?
    private(set) var written: [String] = []

    init(wrapping inner: HTTPTransport, directory: String) {
        self.inner = inner
        self.directory = directory
    }

    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        guard !pending.isEmpty else {
            fail("unexpected extra request \(request.method) \(request.url) (a retry?)")
        }
        let expected = pending.removeFirst()
        var note: String?
        let response: HTTPResponse
        if let synthetic {
            self.synthetic = nil
            response = synthetic.response
            note = synthetic.note
        } else {
            do {
                response = try inner.send(request)
            } catch {
                fail("\(expected.name): no response: \(error)")
            }
        }
        write(expected, request: request, response: response, note: note)
        return response
    }

    private func write(_ expected: Expected, request: HTTPRequest, response: HTTPResponse, note: String?) {
        var top: [(String, FixtureJSON)] = [("name", .string(expected.name)), ("description", .string(expected.description))]
        if let note { top.append(("synthetic", .bool(true))); top.append(("note", .string(note))) }
        top.append(("request", .object([
            ("method", .string(request.method)),
            ("url", .string(request.url)),
            ("headers", .array(request.headers.map { .array([.string($0.name), .string($0.value)]) })),
            FixtureJSON.body(request.body),
        ])))
        top.append(("response", .object([
            ("status", .int(response.status)),
            ("headers", .array(response.headers.map { .array([.string($0.name), .string($0.value)]) })),
            FixtureJSON.body(response.body),
        ])))
        let path = "\(directory)/\(expected.name).json"
        let text = FixtureJSON.object(top).render() + "\n"
        guard let file = fopen(path, "w") else { fail("cannot write \(path): errno \(errno)") }
        let bytes = Array(text.utf8)
        let ok = fwrite(bytes, 1, bytes.count, file) == bytes.count
        fclose(file)
        guard ok else { fail("short write to \(path)") }
        written.append(path)
        print("recorded \(path): \(request.method) → \(response.status)")
    }
}

func fail(_ message: String) -> Never {
    let line = Array("s3-record: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(1)
}
