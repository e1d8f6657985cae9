/// An inclusive byte range for GetObject: `bytes=first-last`, or `bytes=first-` to the end.
public struct S3ByteRange: Sendable, Equatable {
    public var first: Int64
    public var last: Int64?

    public init(first: Int64, last: Int64? = nil) {
        self.first = first
        self.last = last
    }

    public var headerValue: String { "bytes=\(first)-" + (last.map(String.init) ?? "") }

    /// Bytes asked for (`nil`: to the end; 0 for a range that ends before it starts).
    public var length: Int64? { last.map { max(0, $0 - first + 1) } }
}
