import Telemetry

/// Collects what a handler or the loop logs, so tests can assert on log records (and on what
/// must never be in them: credentials, tokens, presigned URLs).
public final class LogLines: @unchecked Sendable {
    private var storage: [LogRecord] = []
    public init() {}
    /// Every record, whatever its level.
    public var records: [LogRecord] { storage }
    /// The records' messages.
    public var lines: [String] { storage.map(\.message) }
    public func append(_ record: LogRecord) { storage.append(record) }
    /// A logger that keeps every record here (level `TRACE`), stamped with time 0.
    public var log: Logger { Logger(level: .trace, nowMs: { 0 }) { [self] in self.append($0) } }
}
