/// A ranged read of the catalog that came back shorter than asked, within the object: the
/// server's fault or the way's, not the index's. The caller fails as on any failed request
/// (its records come back), and the index stays.
struct ShortRead: Error, CustomStringConvertible {
    var bucket: String
    var key: String
    var range: Range<Int64>
    var received: Int

    var description: String {
        "s3://\(bucket)/\(key): bytes \(range.lowerBound)-\(range.upperBound - 1) came back \(received) bytes long"
    }
}
