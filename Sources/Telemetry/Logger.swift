import Basics
import JSON

/// Where the runtime and the handlers write what happened: one record per fact, at a level, with
/// the invocation's request id and the facts as fields. Lines below `level` are dropped before
/// their message is even built (messages are autoclosures), so a filtered line costs one
/// comparison on the hot path.
///
/// A value type: `with(requestID:)` gives the copy an invocation logs through. Lines never carry
/// payloads or environment values, which may hold personal data or credentials.
public struct Logger: Sendable {
    /// The least important level written.
    public var level: LogLevel
    /// Stamped on every record this logger writes.
    public var requestID: String?
    private let output: @Sendable (LogRecord) -> Void
    private let nowMs: @Sendable () -> Int64

    /// Records go to `output` as they are (tests read them back); `nowMs` stamps them.
    public init(level: LogLevel = .info, requestID: String? = nil, nowMs: @escaping @Sendable () -> Int64 = SystemClock.epochMilliseconds,
                output: @escaping @Sendable (LogRecord) -> Void) {
        self.level = level
        self.requestID = requestID
        self.nowMs = nowMs
        self.output = output
    }

    /// Records written as lines in `format` to `stream` (standard error by default).
    public static func lines(_ format: LogFormat, level: LogLevel, to stream: StandardStream = .error,
                             nowMs: @escaping @Sendable () -> Int64 = SystemClock.epochMilliseconds) -> Logger {
        Logger(level: level, nowMs: nowMs) { stream.write($0.line(format)) }
    }

    /// Text at `INFO` on standard error: Lambda's defaults, and what the runtime uses before the
    /// configuration is read.
    public static var standardError: Logger { .lines(.text, level: .info) }

    /// Writes nothing (tests that do not look at logs).
    public static var discarding: Logger { Logger(level: .fatal) { _ in } }

    /// This logger, stamping `requestID` on what it writes.
    public func with(requestID: String?) -> Logger {
        var copy = self
        copy.requestID = requestID
        return copy
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        guard level >= self.level else { return }
        output(LogRecord(level: level, message: message(), requestID: requestID, fields: fields(), timeMs: nowMs()))
    }

    public func trace(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.trace, message(), fields())
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.debug, message(), fields())
    }

    public func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.info, message(), fields())
    }

    public func warn(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.warn, message(), fields())
    }

    public func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.error, message(), fields())
    }

    public func fatal(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> JSONObject = [:]) {
        log(.fatal, message(), fields())
    }
}
