import JSON
import Telemetry

/// Collects the EMF documents a handler writes, parsed, so tests can read its metrics back by
/// name (as CloudWatch would extract them).
public final class MetricLines: @unchecked Sendable {
    public private(set) var lines: [String] = []
    public init() {}

    /// An emitter writing here, with the dimensions a deployed `catalog` function would have.
    public func emitter(handler: String = "catalog", format: LogFormat = .text, nowMs: @escaping () -> Int64 = { 1_800_000_000_000 })
        -> MetricsEmitter {
        MetricsEmitter(namespace: "imagecat", dimensions: [("FunctionName", "imagecat-test"), ("Handler", handler)], format: format,
                       nowMs: nowMs, write: { [self] in self.lines.append($0) })
    }

    /// Every document written, parsed.
    public var documents: [JSONValue] { lines.compactMap { try? JSONValue(parsing: Array($0.utf8)) } }

    /// The documents other than the cold start's.
    public var invocations: [JSONValue] { documents.filter { $0["ColdStart"] == nil } }

    /// The values of metric `name` in the last invocation's document (a single value as one).
    public func values(_ name: String) -> [Double]? {
        guard let member = invocations.last?[name] else { return nil }
        if let values = member.arrayValue { return values.compactMap(\.doubleValue) }
        return member.doubleValue.map { [$0] }
    }

    /// Metric `name`'s single value in the last invocation's document.
    public func value(_ name: String) -> Double? {
        guard let values = values(name), values.count == 1 else { return nil }
        return values[0]
    }
}
