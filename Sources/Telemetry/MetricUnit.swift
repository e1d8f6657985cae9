/// The CloudWatch units imagecat's metrics use (a subset of `MetricDatum`'s).
public enum MetricUnit: String, Sendable {
    case count = "Count"
    case milliseconds = "Milliseconds"
    case bytes = "Bytes"
    case none = "None"
}
