import HTTPClient

/// Why the runtime loop stopped. Each means the Runtime API can no longer be trusted, so the
/// process should exit non-zero and let Lambda start a fresh execution environment.
public enum LambdaRuntimeError: Error, Sendable, CustomStringConvertible {
    /// The Runtime API did not answer at all (refused, reset, closed).
    case transport(endpoint: String, HTTPTransportError)
    /// `/next` answered something other than 200.
    case unexpectedStatus(endpoint: String, status: Int, body: String)
    /// `/next` answered 200 without a `Lambda-Runtime-Aws-Request-Id` header.
    case missingRequestID
    /// The Runtime API answered 5xx: Lambda's contract is "exit promptly".
    case serverError(endpoint: String, requestID: String?, status: Int, body: String)

    public var description: String {
        switch self {
        case .transport(let endpoint, let error):
            "Runtime API \(endpoint) unreachable: \(error.message) (curl error \(error.code))"
        case .unexpectedStatus(let endpoint, let status, let body):
            "Runtime API \(endpoint) answered \(status): \(body)"
        case .missingRequestID:
            "Runtime API /next answered without a Lambda-Runtime-Aws-Request-Id header"
        case .serverError(let endpoint, let requestID, let status, let body):
            "Runtime API \(endpoint)\(requestID.map { " for request \($0)" } ?? "") answered \(status), exiting: \(body)"
        }
    }
}
