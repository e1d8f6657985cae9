import Basics
import HTTPClient

/// The Runtime API's HTTP calls (2018-06-01), one request each, over one kept-alive connection.
///
/// URLs are built once: the hot path only appends the request id. Not thread-safe, like the
/// transport it uses.
public struct LambdaRuntimeClient {
    /// `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    public let runtimeAPI: String
    private let transport: any HTTPTransport
    private let nextURL: String
    private let invocationPrefix: String
    private let initErrorURL: String

    public init(runtimeAPI: String, transport: any HTTPTransport) {
        self.runtimeAPI = runtimeAPI
        self.transport = transport
        let base = (runtimeAPI.hasPrefix("http://") ? runtimeAPI : "http://" + runtimeAPI) + "/2018-06-01/runtime/"
        nextURL = base + "invocation/next"
        invocationPrefix = base + "invocation/"
        initErrorURL = base + "init/error"
    }

    /// Waits, without any time limit, for the next invocation: Lambda may freeze the process for
    /// minutes or hours in the middle of this call.
    public func next() throws(LambdaRuntimeError) -> Invocation {
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(method: "GET", url: nextURL, timeoutMs: nil))
        } catch {
            throw .transport(endpoint: "/next", error)
        }
        guard response.status == 200 else {
            if response.status >= 500 {
                throw .serverError(endpoint: "/next", requestID: nil, status: response.status, body: excerpt(response.body))
            }
            throw .unexpectedStatus(endpoint: "/next", status: response.status, body: excerpt(response.body))
        }
        var requestID: String?
        var deadline: Deadline?
        var arn = ""
        var traceID: String?
        // Names arrive lower-cased: one pass, no per-lookup lowercasing.
        for header in response.headers {
            switch header.name {
            case "lambda-runtime-aws-request-id": requestID = header.value
            // An instant at or before the epoch is no deadline anyone meant: unreadable.
            case "lambda-runtime-deadline-ms": deadline = Int64(header.value).flatMap { $0 > 0 ? Deadline(epochMilliseconds: $0) : nil }
            case "lambda-runtime-invoked-function-arn": arn = header.value
            case "lambda-runtime-trace-id": traceID = header.value.isEmpty ? nil : header.value
            default: break
            }
        }
        guard let requestID, !requestID.isEmpty else { throw .missingRequestID }
        return Invocation(
            context: InvocationContext(requestID: requestID, deadline: deadline, invokedFunctionARN: arn, traceID: traceID),
            event: response.body)
    }

    /// `POST /invocation/{id}/response`.
    public func sendResponse(_ payload: [UInt8], for requestID: String) throws(LambdaRuntimeError) -> PostOutcome {
        try post(invocationURL(requestID, "/response"), endpoint: "/response", requestID: requestID,
                 headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: payload)
    }

    /// `POST /invocation/{id}/error` with the error type header, the standard JSON body and the
    /// X-Ray error cause (`Lambda-Runtime-Function-XRay-Error-Cause`, bounded: see
    /// `ErrorReport.xrayErrorCause`), which Lambda puts on the invocation's trace segment.
    public func sendError(_ report: ErrorReport, for requestID: String) throws(LambdaRuntimeError) -> PostOutcome {
        try post(invocationURL(requestID, "/error"), endpoint: "/error", requestID: requestID,
                 headers: Self.errorHeaders(report) + [HTTPHeader(name: "Lambda-Runtime-Function-XRay-Error-Cause",
                                                                  value: report.xrayErrorCause())],
                 body: report.jsonBody())
    }

    /// The URL of an invocation's `/response` or `/error`: its id percent-encoded as one path
    /// segment. Lambda's ids are UUIDs; an id with a space, `/` or `?` from another Runtime API
    /// must still name its own invocation (curl refuses a URL with a space outright).
    private func invocationURL(_ requestID: String, _ endpoint: String) -> String {
        invocationPrefix + URIEncoding.encode(requestID, keepSlash: false) + endpoint
    }

    /// `POST /init/error`: start-up failed; the caller exits right after.
    public func sendInitError(_ report: ErrorReport) throws(LambdaRuntimeError) -> PostOutcome {
        try post(initErrorURL, endpoint: "/init/error", requestID: nil,
                 headers: Self.errorHeaders(report), body: report.jsonBody())
    }

    private static func errorHeaders(_ report: ErrorReport) -> [HTTPHeader] {
        [HTTPHeader(name: "Lambda-Runtime-Function-Error-Type", value: report.errorType),
         HTTPHeader(name: "Content-Type", value: "application/json")]
    }

    private func post(_ url: String, endpoint: String, requestID: String?,
                      headers: [HTTPHeader], body: [UInt8]) throws(LambdaRuntimeError) -> PostOutcome {
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeoutMs: nil))
        } catch {
            throw .transport(endpoint: endpoint, error)
        }
        switch response.status {
        case 200..<300: return .accepted
        case 500...: throw .serverError(endpoint: endpoint, requestID: requestID, status: response.status, body: excerpt(response.body))
        default: return .rejected(status: response.status, body: excerpt(response.body))
        }
    }
}

/// The start of a Runtime API error body, enough to say why, short enough for one log line.
func excerpt(_ body: [UInt8], limit: Int = 300) -> String {
    body.count <= limit ? String(decoding: body, as: UTF8.self) : String(decoding: body.prefix(limit), as: UTF8.self) + "…"
}

/// One invocation as `/next` delivered it.
public struct Invocation: Sendable {
    public var context: InvocationContext
    public var event: [UInt8]

    public init(context: InvocationContext, event: [UInt8]) {
        self.context = context
        self.event = event
    }
}

/// How the Runtime API answered a response or error report that it did not fail on.
public enum PostOutcome: Sendable, Equatable {
    /// 202 (any 2xx): Lambda has it.
    case accepted
    /// 4xx, e.g. 400 unknown or already answered request id, 403 wrong state, 413 too large.
    /// The report is lost, but the environment is healthy: log it and take the next event.
    case rejected(status: Int, body: String)
}
