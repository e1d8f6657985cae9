import JSON

/// An error as Lambda receives it: the `Lambda-Runtime-Function-Error-Type` header plus the
/// `{"errorMessage","errorType","stackTrace":[]}` body.
public struct ErrorReport: Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String

    /// Any `errorType` the runtime sends passes `isValidErrorType`.
    public init(errorType: String, errorMessage: String) {
        if ErrorReport.isValidErrorType(errorType) {
            self.errorType = errorType
            self.errorMessage = errorMessage
        } else {
            // Lambda would replace it with Runtime.Unknown and the type would be lost.
            self.errorType = ErrorReport.unhandled
            self.errorMessage = "\(errorType): \(errorMessage)"
        }
    }

    /// How `error` is reported: its own type and message when it is a `LambdaError`, else
    /// `Function.UnhandledError` with its Swift type and description.
    public init(_ error: any Error) {
        if let error = error as? any LambdaError {
            self.init(errorType: error.errorType, errorMessage: error.errorMessage)
        } else {
            self.init(errorType: ErrorReport.unhandled, errorMessage: "\(type(of: error)): \(error)")
        }
    }

    /// The type of errors that are not `LambdaError`s.
    public static let unhandled = "Function.UnhandledError"

    /// `(Runtime|Function)\.[A-Z][a-zA-Z]+`, the only error types Lambda passes through.
    public static func isValidErrorType(_ type: String) -> Bool {
        var rest = Substring(type)
        if rest.hasPrefix("Runtime.") {
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("Function.") {
            rest = rest.dropFirst(9)
        } else {
            return false
        }
        let bytes = rest.utf8
        guard let first = bytes.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z"), bytes.count >= 2 else {
            return false
        }
        return bytes.allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
    }

    /// The body Lambda expects on `/error` and `/init/error`.
    public func jsonBody() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(errorMessage.utf8.count + errorType.utf8.count + 48)
        out.append(contentsOf: #"{"errorMessage":"#.utf8)
        JSONValue.writeString(errorMessage, to: &out)
        out.append(contentsOf: #","errorType":"#.utf8)
        JSONValue.writeString(errorType, to: &out)
        out.append(contentsOf: #","stackTrace":[]}"#.utf8)
        return out
    }
}
