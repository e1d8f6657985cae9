import HTTPClient
import LambdaRuntime

/// Answers each request with the next scripted reply and records what was sent, so a test can
/// check the exact URLs, headers and bodies of the Runtime API calls.
final class ScriptedTransport: HTTPTransport {
    enum Reply {
        case response(HTTPResponse)
        case failure(HTTPTransportError)
    }

    private var replies: [Reply]
    private(set) var requests: [HTTPRequest] = []

    init(_ replies: [Reply]) { self.replies = replies }

    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        requests.append(request)
        guard !replies.isEmpty else {
            // Script exhausted: behave like a Runtime API that went away.
            throw HTTPTransportError(code: 7, message: "script exhausted", method: request.method, url: request.url)
        }
        switch replies.removeFirst() {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    /// A `/next` answer carrying `event` with Lambda's headers.
    static func invocation(_ event: String, id: String, deadlineMs: Int64? = 1_800_000_000_000,
                           arn: String? = "arn:aws:lambda:us-east-1:123456789012:function:f",
                           trace: String? = nil) -> Reply {
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        headers.append(HTTPHeader(name: "Lambda-Runtime-Aws-Request-Id", value: id))
        if let deadlineMs { headers.append(HTTPHeader(name: "Lambda-Runtime-Deadline-Ms", value: String(deadlineMs))) }
        if let arn { headers.append(HTTPHeader(name: "Lambda-Runtime-Invoked-Function-Arn", value: arn)) }
        if let trace { headers.append(HTTPHeader(name: "Lambda-Runtime-Trace-Id", value: trace)) }
        return .response(HTTPResponse(status: 200, headers: headers, body: Array(event.utf8)))
    }

    static let accepted = Reply.response(HTTPResponse(status: 202, body: Array(#"{"status":"OK"}"#.utf8)))

    static func status(_ status: Int, _ body: String = "") -> Reply {
        .response(HTTPResponse(status: status, body: Array(body.utf8)))
    }
}

extension HTTPRequest {
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Collects what the loop logs.
final class LogLines: @unchecked Sendable {
    private var storage: [String] = []
    var lines: [String] { storage }
    var log: RuntimeLog { RuntimeLog { [self] in self.storage.append($0) } }
}

/// Handlers for the tests: each does one thing.
struct EchoHandler: LambdaHandler {
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] { event }
}

struct ThrowingHandler: LambdaHandler {
    let error: any Error
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] { throw error }
}

struct FixedSizeHandler: LambdaHandler {
    let size: Int
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        [UInt8](repeating: 0x20, count: size)
    }
}

struct TypedError: LambdaError, Equatable {
    var errorType: String
    var errorMessage: String
}

/// Not a `LambdaError`: reported as `Function.UnhandledError`.
enum PlainError: Error { case broken(code: Int) }
