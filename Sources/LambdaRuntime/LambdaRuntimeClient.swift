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
        var deadlineMs = Int64.max
        var arn = ""
        var traceID: String?
        // Names arrive lower-cased: one pass, no per-lookup lowercasing.
        for header in response.headers {
            switch header.name {
            case "lambda-runtime-aws-request-id": requestID = header.value
            case "lambda-runtime-deadline-ms": deadlineMs = Int64(header.value) ?? Int64.max
            case "lambda-runtime-invoked-function-arn": arn = header.value
            case "lambda-runtime-trace-id": traceID = header.value.isEmpty ? nil : header.value
            default: break
            }
        }
        guard let requestID, !requestID.isEmpty else { throw .missingRequestID }
        return Invocation(
            context: InvocationContext(requestID: requestID, deadlineMs: deadlineMs, invokedFunctionARN: arn, traceID: traceID),
            event: response.body)
    }

    /// `POST /invocation/{id}/response`.
    public func sendResponse(_ payload: [UInt8], for requestID: String) throws(LambdaRuntimeError) -> PostOutcome {
        try post(invocationPrefix + requestID + "/response", endpoint: "/response", requestID: requestID,
                 headers: [("Content-Type", "application/json")], body: payload)
    }

    /// `POST /invocation/{id}/error` with the error type header and the standard JSON body.
    public func sendError(_ report: ErrorReport, for requestID: String) throws(LambdaRuntimeError) -> PostOutcome {
        try post(invocationPrefix + requestID + "/error", endpoint: "/error", requestID: requestID,
                 headers: Self.errorHeaders(report), body: report.jsonBody())
    }

    /// `POST /init/error`: start-up failed; the caller exits right after.
    public func sendInitError(_ report: ErrorReport) throws(LambdaRuntimeError) -> PostOutcome {
        try post(initErrorURL, endpoint: "/init/error", requestID: nil,
                 headers: Self.errorHeaders(report), body: report.jsonBody())
    }

    private static func errorHeaders(_ report: ErrorReport) -> [(name: String, value: String)] {
        [("Lambda-Runtime-Function-Error-Type", report.errorType), ("Content-Type", "application/json")]
    }

    private func post(_ url: String, endpoint: String, requestID: String?,
                      headers: [(name: String, value: String)], body: [UInt8]) throws(LambdaRuntimeError) -> PostOutcome {
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
