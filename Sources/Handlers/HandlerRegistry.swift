import LambdaRuntime

/// Maps `_HANDLER` to the code that serves it. The one place that lists every handler: adding
/// one is a new `case` in `make` and its name in `knownNames`.
public enum HandlerRegistry {
    /// Used when `_HANDLER` is unset or empty (the Runtime Interface Emulator sets none).
    public static let defaultName = "catalog"

    /// Every name `make` accepts, for the error message when `_HANDLER` is wrong.
    public static let knownNames = ["catalog", "reconcile", "sum", "api"]

    /// Builds the handler named `name` (surrounding spaces ignored; empty means `defaultName`).
    /// `environment` is the process environment, for handlers that need configuration.
    /// Throws a `HandlerInitError`, which the caller reports through `/init/error`.
    public static func make(name: String, environment: [String: String]) throws -> any LambdaHandler {
        let trimmed = trim(name)
        switch trimmed.isEmpty ? defaultName : trimmed {
        case "sum":
            return SumHandler()
        case "catalog":
            return try CatalogHandler(environment: environment)
        case "reconcile":
            return try ReconcileHandler(environment: environment)
        case "api": return try APIHandler(environment: environment)
        default:
            throw HandlerInitError.unknown(trimmed, known: knownNames)
        }
    }

    private static func trim(_ s: String) -> String {
        let bytes = Array(s.utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}

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
