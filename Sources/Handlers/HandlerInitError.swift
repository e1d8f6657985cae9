import LambdaRuntime

/// The handler cannot be built, so the runtime reports `/init/error` and exits.
public enum HandlerInitError: Error, LambdaError, Sendable, Equatable, CustomStringConvertible {
    /// `_HANDLER` names no handler this binary has.
    case unknown(String, known: [String])
    /// A handler's configuration (environment) is missing or wrong.
    case configuration(handler: String, message: String)

    public var errorType: String {
        switch self {
        case .unknown: "Runtime.InvalidHandler"
        case .configuration: "Runtime.InvalidConfiguration"
        }
    }

    public var errorMessage: String { description }

    public var description: String {
        switch self {
        case .unknown(let name, let known):
            "unknown handler \"\(name)\" (_HANDLER); known handlers: \(known.joined(separator: ", "))"
        case .configuration(let handler, let message):
            "handler \"\(handler)\" is misconfigured: \(message)"
        }
    }
}
