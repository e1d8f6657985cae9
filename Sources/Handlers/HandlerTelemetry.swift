import Basics
import LambdaRuntime
import Telemetry

/// What a handler tells the world besides its answer: log lines, one EMF document per
/// invocation, and the invocation's trace header on its S3 requests. Built once per process
/// (`TelemetryConfiguration.makeTelemetry`); the defaults write nothing, for tests.
public struct HandlerTelemetry {
    public var log: Logger
    public var metrics: MetricsEmitter
    /// Counts and times the handler's S3 requests (installed on its S3 client's hooks).
    public var s3: S3Meter
    /// Whether S3 requests carry `X-Amzn-Trace-Id` (inside Lambda only).
    public var propagatesTrace: Bool
    /// Epoch milliseconds, for the invocation's duration.
    public var nowMs: () -> Int64

    public init(log: Logger = .discarding, metrics: MetricsEmitter = .discarding, s3: S3Meter = S3Meter(),
                propagatesTrace: Bool = false, nowMs: @escaping () -> Int64 = SystemClock.epochMilliseconds) {
        self.log = log
        self.metrics = metrics
        self.s3 = s3
        self.propagatesTrace = propagatesTrace
        self.nowMs = nowMs
    }

    /// The trace header S3 requests carry in this invocation, if any.
    public func traceHeader(for context: InvocationContext) -> String? {
        propagatesTrace ? context.traceID : nil
    }

    /// Adds the invocation's S3 figures to `document` and writes it.
    public func emit(_ document: MetricsDocument, context: InvocationContext) {
        var document = document
        let usage = s3.take()
        document.count("S3Requests", usage.requests)
        document.count("S3Retries", usage.retries)
        document.record("S3Latency", usage.latenciesMs, unit: .milliseconds)
        metrics.emit(document, requestID: context.requestID)
    }
}
