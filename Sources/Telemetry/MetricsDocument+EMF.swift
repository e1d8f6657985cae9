import JSON

extension MetricsDocument {
    /// The EMF documents (usually one: more only past 100 metrics), each a JSON object for one
    /// line. `properties` are added as plain members (a request id): never dimensions, never
    /// replacing a metric or a dimension.
    public func documents(timestampMs: Int64, properties: JSONObject = [:]) -> [JSONValue] {
        let published = metrics.filter { !$0.values.isEmpty }
        var documents: [JSONValue] = []
        var start = 0
        while start < published.count {
            let chunk = Array(published[start..<min(start + Self.maxMetrics, published.count)])
            documents.append(document(chunk, timestampMs: timestampMs, properties: properties))
            start += Self.maxMetrics
        }
        return documents
    }

    /// The documents, serialized, one line each.
    public func lines(timestampMs: Int64, properties: JSONObject = [:]) -> [String] {
        documents(timestampMs: timestampMs, properties: properties).map { String(decoding: $0.serialized(), as: UTF8.self) }
    }

    private func document(_ chunk: [Metric], timestampMs: Int64, properties: JSONObject) -> JSONValue {
        var directives: [JSONValue] = []
        for set in dimensionSets {
            let names = chunk.map(\.name).filter { set.metrics?.contains($0) ?? true }
            guard !names.isEmpty else { continue }
            let definitions = chunk.filter { names.contains($0.name) }.map { metric -> JSONValue in
                .object(["Name": .string(metric.name), "Unit": .string(metric.unit.rawValue)])
            }
            directives.append(.object([
                "Namespace": .string(namespace),
                "Dimensions": .array([.array(set.keys.map { .string($0) })]),
                "Metrics": .array(definitions),
            ]))
        }
        var root: JSONObject = ["_aws": .object(["Timestamp": .int(timestampMs), "CloudWatchMetrics": .array(directives)])]
        var taken: Set<String> = ["_aws"]
        for (name, value) in dimensions where taken.insert(name).inserted {
            root.members.append((key: name, value: .string(value)))
        }
        for metric in chunk where taken.insert(metric.name).inserted {
            let values = Self.representative(metric.values, limit: Self.maxValues).map(Self.number)
            root.members.append((key: metric.name, value: values.count == 1 ? values[0] : .array(values)))
        }
        for member in properties.members where taken.insert(member.key).inserted {
            root.members.append(member)
        }
        return .object(root)
    }

    /// At most `limit` values standing for `values`: all of them when they fit; else the
    /// order statistics at `limit` evenly spaced ranks, the smallest and the largest included.
    /// CloudWatch's percentiles over them are within one rank step (1/99) of the true ones, and
    /// the maximum and minimum are exact; SampleCount is then `limit` (the counts are published
    /// beside, e.g. `S3Requests` for `S3Latency`). Deterministic, unlike a random sample, so a
    /// test can tell what a batch of 1,000 latencies becomes.
    public static func representative(_ values: [Double], limit: Int) -> [Double] {
        guard values.count > limit, limit > 1 else { return Array(values.prefix(max(limit, 0))) }
        let sorted = values.sorted()
        let last = Double(sorted.count - 1)
        return (0..<limit).map { i in sorted[Int((Double(i) * last / Double(limit - 1)).rounded())] }
    }

    /// A whole number without a fraction; anything else to the microsecond (3 decimals of ms).
    static func number(_ value: Double) -> JSONValue {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return .int(Int64(value)) }
        return .number(String((value * 1000).rounded() / 1000))
    }
}
