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
        var session = SniffSession(totalSize: totalSize, readAhead: readAhead, maxBytes: maxBytes, progress: progress)
        var reads = 0
        var next = session.firstRange(firstRead)
        while true {
            if let range = next {
                session.append(try read(range), asked: range)
                reads += 1
            }
            switch session.next() {
            case .done(let result): return (result, session.bytes.count, reads)
            case .read(let range): next = range
            }
        }
    }
}
