extension ImageSniffer {
    /// Drives `sniff(prefix:totalSize:maxBytes:)` over a reader the caller supplies, so a caller
    /// doing ranged GETs needs no loop of its own. The sniffer stays pure: all I/O is `read`'s.
    ///
    /// - Parameters:
    ///   - totalSize: the file's size if known; `nil` lets a short read reveal the end.
    ///   - firstRead: how many bytes the first read asks for.
    ///   - readAhead: each later read asks for at least this many bytes more than the sniffer
    ///     demands, trading bytes for round trips (0 reads exactly what is asked for).
    ///   - read: returns the file's bytes in `range`; fewer at the end of the file, none past it.
    /// - Returns: the result and the number of bytes and reads it took.
    public static func sniff<E: Error>(
        totalSize: Int64?,
        firstRead: Int = 4096,
        readAhead: Int = 0,
        maxBytes: Int = defaultMaxBytes,
        read: (_ range: Range<Int>) throws(E) -> [UInt8]
    ) throws(E) -> (result: SniffResult, bytesRead: Int, reads: Int) {
        try sniff(totalSize: totalSize, firstRead: firstRead, readAhead: readAhead, maxBytes: maxBytes,
                  progress: ParseProgress(), read: read)
    }

    /// As above, with the resume points and step count in `progress` (which tests read). Each
    /// round resumes the walk where the previous one stopped, so its cost is the new bytes'.
    static func sniff<E: Error>(
        totalSize: Int64?, firstRead: Int = 4096, readAhead: Int = 0, maxBytes: Int, progress: ParseProgress,
        read: (_ range: Range<Int>) throws(E) -> [UInt8]
    ) throws(E) -> (result: SniffResult, bytesRead: Int, reads: Int) {
        var size = totalSize
        var bytes: [UInt8] = []
        var reads = 0

        /// Reads `bytes.count..<end`; a short read marks the end of the file.
        func fill(to end: Int) throws(E) {
            var end = min(end, max(maxBytes, signatureBytes))
            if let size { end = min(end, Int(clamping: size)) }
            guard end > bytes.count else { return }
            let chunk = try read(bytes.count..<end)
            reads += 1
            bytes += chunk
            if bytes.count < end { size = Int64(bytes.count) }
        }

        try fill(to: max(firstRead, signatureBytes))
        while true {
            let result = sniff(prefix: bytes, totalSize: size, maxBytes: maxBytes, progress: progress)
            guard case .needMore(let upTo) = result else {
                return (result, bytes.count, reads)
            }
            let before = (bytes.count, size)
            try fill(to: max(upTo, bytes.count + min(max(readAhead, 0), maxBytes)))
            // No progress means the reader returned nothing yet no end was known: take the end
            // as reached, which makes the next sniff final.
            if before.0 == bytes.count && before.1 == size {
                size = Int64(bytes.count)
            }
        }
    }
}
