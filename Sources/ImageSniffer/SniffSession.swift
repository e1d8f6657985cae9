/// One object's sniff in progress, fed by whoever reads the bytes: the driver's reader, or a
/// caller that reads many objects' heads concurrently (the catalog's batch of ranged GETs). It
/// decides what to read next and when the verdict is final, so every caller reads the same
/// ranges; each round resumes the walk where the last one stopped (`progress`).
public struct SniffSession {
    public enum Step: Equatable {
        /// Read this range next (fewer bytes at the end of the object, none past it).
        case read(Range<Int>)
        case done(SniffResult)
    }

    public private(set) var bytes: [UInt8] = []
    /// The object's size once known: given, or revealed by a short read.
    public private(set) var size: Int64?
    public let readAhead: Int
    public let maxBytes: Int
    /// Resume points and step count of the walks (which tests read).
    public let progress: ParseProgress

    /// - Parameters:
    ///   - readAhead: each later read asks for at least this many bytes more than the sniffer
    ///     demands, trading bytes for round trips (0 reads exactly what is asked for).
    public init(totalSize: Int64?, readAhead: Int = 0, maxBytes: Int = ImageSniffer.defaultMaxBytes,
                progress: ParseProgress = ParseProgress()) {
        size = totalSize
        self.readAhead = min(max(readAhead, 0), maxBytes)
        self.maxBytes = maxBytes
        self.progress = progress
    }

    /// The first read, of at least the signature's bytes; `nil` when there is nothing to read.
    public func firstRange(_ firstRead: Int) -> Range<Int>? {
        range(to: max(firstRead, ImageSniffer.signatureBytes))
    }

    /// Adds what a read of `asked` returned; a short read marks the end of the object.
    public mutating func append(_ chunk: [UInt8], asked: Range<Int>) {
        bytes += chunk
        if bytes.count < asked.upperBound { size = Int64(bytes.count) }
    }

    /// The end is reached where the bytes end (an empty object, or a reader with nothing more).
    public mutating func endHere() { size = Int64(bytes.count) }

    /// The verdict, or the range to read next.
    public mutating func next() -> Step {
        while true {
            let result = ImageSniffer.sniff(prefix: bytes, totalSize: size, maxBytes: maxBytes, progress: progress)
            guard case .needMore(let upTo) = result else { return .done(result) }
            if let next = range(to: max(upTo, bytes.count + readAhead)) { return .read(next) }
            // Nothing more to read, yet no end known: take the end as reached, which makes the
            // next sniff final.
            endHere()
        }
    }

    /// `bytes.count..<end`, clamped to the read limit and the known size; `nil` when empty.
    private func range(to end: Int) -> Range<Int>? {
        var end = min(end, max(maxBytes, ImageSniffer.signatureBytes))
        if let size { end = min(end, Int(clamping: size)) }
        return end > bytes.count ? bytes.count..<end : nil
    }
}
