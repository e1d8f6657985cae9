import JSON

/// One invocation's metrics, written as CloudWatch Embedded Metric Format (EMF): a JSON line
/// from which CloudWatch Logs extracts the metrics, with no API call and no agent.
///
/// Built up while the invocation runs (`count`, `record`), then rendered once. Every metric gets
/// the document's dimension set (the function and the handler); a metric may also be published
/// under a finer set (`addDimensionSet`, e.g. the API's requests by route). Dimensions are only
/// ever values from small fixed sets: a request id, a bucket or a key would create a metric per
/// value, so they go in as plain properties, never dimensions.
///
/// The document keeps EMF's limits (CloudWatch drops a document that breaks one): at most 100
/// metrics a document (more are split into several documents), 30 keys a dimension set, and 100
/// values a metric: past 100, a metric's values are reduced to 100 representative ones
/// (`representative`), and the count metrics beside it carry the real numbers.
public struct MetricsDocument: Sendable {
    public static let maxMetrics = 100
    public static let maxValues = 100
    public static let maxDimensionKeys = 30

    public var namespace: String
    /// Dimension members, in order: name and (string) value.
    public private(set) var dimensions: [(name: String, value: String)]
    /// The sets metrics are published under: `metrics == nil` for every metric.
    public private(set) var dimensionSets: [(keys: [String], metrics: [String]?)]
    public private(set) var metrics: [Metric] = []
    private var positions: [String: Int] = [:]

    public struct Metric: Sendable, Equatable {
        public var name: String
        public var unit: MetricUnit
        public var values: [Double]
    }

    /// A document whose every metric has `dimensions` as its dimension set.
    public init(namespace: String, dimensions: [(name: String, value: String)]) {
        self.namespace = namespace
        self.dimensions = dimensions
        dimensionSets = [(Array(dimensions.map(\.name).prefix(Self.maxDimensionKeys)), nil)]
    }

    /// Sets (or adds) a dimension member, for use in a set added by `addDimensionSet`.
    public mutating func setDimension(_ name: String, _ value: String) {
        if let i = dimensions.firstIndex(where: { $0.name == name }) { dimensions[i].value = value } else { dimensions.append((name, value)) }
    }

    /// Also publishes `metrics` under the dimension set `keys` (its first 30 keys), each of
    /// which must be a dimension member by the time the document is rendered.
    public mutating func addDimensionSet(_ keys: [String], for metrics: [String]) {
        dimensionSets.append((Array(keys.prefix(Self.maxDimensionKeys)), metrics))
    }

    /// Adds `n` to the counter `name` (created at `n`: a zero is published too, so sums and
    /// alarms see a quiet invocation as 0, not as missing data).
    public mutating func count(_ name: String, _ n: Int = 1) {
        if let i = positions[name] {
            metrics[i].values[0] += Double(n)
        } else {
            append(Metric(name: name, unit: .count, values: [Double(n)]))
        }
    }

    /// Adds one value of `name` (a latency, a size): CloudWatch computes statistics and
    /// percentiles over every value of every document.
    public mutating func record(_ name: String, _ value: Double, unit: MetricUnit) {
        record(name, [value], unit: unit)
    }

    public mutating func record(_ name: String, _ values: [Double], unit: MetricUnit) {
        let finite = values.filter(\.isFinite)
        if let i = positions[name] {
            metrics[i].values += finite
        } else if !finite.isEmpty {
            append(Metric(name: name, unit: unit, values: finite))
        }
    }

    public func metric(_ name: String) -> Metric? { positions[name].map { metrics[$0] } }

    private mutating func append(_ metric: Metric) {
        positions[metric.name] = metrics.count
        metrics.append(metric)
    }
}
