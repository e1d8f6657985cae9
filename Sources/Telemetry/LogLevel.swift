/// How much a log line matters, in the order Lambda's advanced logging controls use
/// (`AWS_LAMBDA_LOG_LEVEL`): a function set to `WARN` keeps `WARN`, `ERROR` and `FATAL` lines.
///
/// What imagecat writes at each level: `DEBUG`, a bucket's sync summary; `INFO`, a key left out
/// because it is not an image; `WARN`, a key S3 refuses or whose header is unreadable, and a
/// request the API could not complete in full; `ERROR`, a failed invocation, bucket or SQS
/// message; `FATAL`, the runtime itself stopping (start-up failed, the Runtime API gone).
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case trace, debug, info, warn, error, fatal

    /// `TRACE` ... `FATAL`, as Lambda spells them in JSON lines.
    public var name: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    /// The level `text` names, in any case (`WARNING` is taken for `WARN`); `nil` otherwise.
    public init?(name text: String) {
        let upper = text.uppercased()
        guard let level = LogLevel.allCases.first(where: { $0.name == upper }) ?? (upper == "WARNING" ? .warn : nil) else {
            return nil
        }
        self = level
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
