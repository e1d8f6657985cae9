import Basics
import Telemetry

/// How the function logs and publishes metrics, read once at start-up with the rest of the
/// configuration:
///
/// - `AWS_LAMBDA_LOG_FORMAT` (`Text` by default, or `JSON`) and `AWS_LAMBDA_LOG_LEVEL` (`TRACE`,
///   `DEBUG`, `INFO` by default, `WARN`, `ERROR`, `FATAL`): Lambda sets both from the function's
///   logging configuration (advanced logging controls); lines below the level are not written.
/// - `METRICS_NAMESPACE` (default `imagecat`): the CloudWatch namespace of the EMF metrics.
/// - `AWS_LAMBDA_FUNCTION_NAME`: the metrics' `FunctionName` dimension (`local` without it), and
///   whether S3 requests carry the invocation's `X-Amzn-Trace-Id` (only inside Lambda, as AWS
///   SDKs do).
public struct TelemetryConfiguration: Sendable, Equatable {
    public var logFormat: LogFormat
    public var logLevel: LogLevel
    public var namespace: String
    public var functionName: String
    /// The `Handler` dimension: the `_HANDLER` name that was resolved.
    public var handler: String
    public var propagatesTrace: Bool

    public init(_ environment: Environment, handler: String) throws(ConfigurationError) {
        logFormat = .text
        if let name = environment.get("AWS_LAMBDA_LOG_FORMAT") {
            guard let format = LogFormat(name: name) else {
                throw ConfigurationError("AWS_LAMBDA_LOG_FORMAT", "=\(name) must be Text or JSON")
            }
            logFormat = format
        }
        logLevel = .info
        if let name = environment.get("AWS_LAMBDA_LOG_LEVEL") {
            guard let level = LogLevel(name: name) else {
                throw ConfigurationError("AWS_LAMBDA_LOG_LEVEL", "=\(name) must be one of \(LogLevel.allCases.map(\.name).joined(separator: ", "))")
            }
            logLevel = level
        }
        namespace = environment.get("METRICS_NAMESPACE") ?? "imagecat"
        if let problem = Self.namespaceProblem(namespace) {
            throw ConfigurationError("METRICS_NAMESPACE", "=\(namespace) \(problem)")
        }
        let function = environment.get("AWS_LAMBDA_FUNCTION_NAME")
        functionName = function ?? "local"
        propagatesTrace = function != nil
        self.handler = handler
    }

    /// What CloudWatch refuses in a namespace: more than 255 characters, characters other than
    /// letters, digits and `. - _ / # :`, a `:` first, or AWS's own `AWS/` prefix.
    static func namespaceProblem(_ namespace: String) -> String? {
        guard namespace.utf8.count <= 255 else { return "is longer than 255 characters" }
        guard !namespace.hasPrefix("AWS/") else { return "must not start with AWS/ (reserved for AWS's own metrics)" }
        guard !namespace.hasPrefix(":") else { return "must not start with ':' (CloudWatch refuses it)" }
        let allowed = Set(".-_/#: ".utf8)
        guard namespace.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0 & 0xDF) && $0 < 0x80 || allowed.contains($0) }) else {
            return "may only hold letters, digits, spaces and . - _ / # :"
        }
        return nil
    }

    /// The logger, the metrics emitter and the S3 meter of one process.
    public func makeTelemetry() -> HandlerTelemetry {
        HandlerTelemetry(log: .lines(logFormat, level: logLevel),
                         metrics: MetricsEmitter(namespace: namespace, dimensions: [("FunctionName", functionName), ("Handler", handler)],
                                                 format: logFormat, logLevel: logLevel),
                         propagatesTrace: propagatesTrace)
    }
}
