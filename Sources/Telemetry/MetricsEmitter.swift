import Basics
import JSON

/// Writes each invocation's `MetricsDocument` as EMF lines, where Lambda hands them to
/// CloudWatch Logs, which extracts the metrics. One document per invocation, plus one
/// `ColdStart` document with the first. Standard error, like the log lines: Lambda forwards both
/// streams alike, one stream keeps a document in order with the lines of its invocation, and
/// standard output stays free for tools that read an answer there (`scripts/invoke`).
///
/// In JSON log format the documents also carry `timestamp` and `level`: Lambda filters JSON lines
/// by `level` and takes a line without one for `INFO`, so with `AWS_LAMBDA_LOG_LEVEL=WARN` an
/// unlevelled document would be dropped and every alarm on these metrics would go quiet. A
/// document is therefore written at the configured level, or `INFO` when that is lower: raising
/// the log level to cut log volume never silences the metrics. (In text format Lambda filters
/// nothing, and neither does this.)
public final class MetricsEmitter {
    public let namespace: String
    /// The dimension set of every metric: the function and the handler.
    public let dimensions: [(name: String, value: String)]
    public let format: LogFormat
    public let logLevel: LogLevel
    private let write: (String) -> Void
    private let nowMs: () -> Int64
    private var coldStartPending = true

    public init(namespace: String, dimensions: [(name: String, value: String)], format: LogFormat = .text, logLevel: LogLevel = .info,
                nowMs: @escaping () -> Int64 = SystemClock.epochMilliseconds,
                write: @escaping (String) -> Void = StandardStream.error.write) {
        self.namespace = namespace
        self.dimensions = dimensions
        self.format = format
        self.logLevel = logLevel
        self.nowMs = nowMs
        self.write = write
    }

    /// Writes nothing (tests that do not look at metrics).
    public static var discarding: MetricsEmitter { MetricsEmitter(namespace: "imagecat", dimensions: [], write: { _ in }) }

    /// An empty document with this function's namespace and dimensions.
    public func document() -> MetricsDocument { MetricsDocument(namespace: namespace, dimensions: dimensions) }

    /// Writes `document` (and, the first time, the cold start's), stamped now.
    public func emit(_ document: MetricsDocument, requestID: String?) {
        let now = nowMs()
        var properties: JSONObject = [:]
        if format == .json {
            properties["timestamp"] = .string(UTCTime.iso8601(epochMilliseconds: now))
            properties["level"] = .string(max(logLevel, .info).name)
        }
        if let requestID { properties["requestId"] = .string(requestID) }
        if coldStartPending {
            coldStartPending = false
            var coldStart = self.document()
            coldStart.count("ColdStart")
            for line in coldStart.lines(timestampMs: now, properties: properties) { write(line) }
        }
        for line in document.lines(timestampMs: now, properties: properties) { write(line) }
    }
}
