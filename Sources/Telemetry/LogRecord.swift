import JSON

/// One thing worth logging, before it is written as a line of either format.
public struct LogRecord: Sendable {
    public var level: LogLevel
    /// Readable on its own in text mode: it names the facts it is about.
    public var message: String
    /// The invocation's `Lambda-Runtime-Aws-Request-Id`; `nil` outside an invocation.
    public var requestID: String?
    /// The facts as fields (`bucket`, `key`, `reason`, `errorType`, counts), so that a JSON line
    /// can be filtered and counted without parsing `message`.
    public var fields: JSONObject
    /// Epoch milliseconds.
    public var timeMs: Int64

    public init(level: LogLevel, message: String, requestID: String? = nil, fields: JSONObject = [:], timeMs: Int64 = 0) {
        self.level = level
        self.message = message
        self.requestID = requestID
        self.fields = fields
        self.timeMs = timeMs
    }
}
