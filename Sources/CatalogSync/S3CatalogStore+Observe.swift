import Basics
import ImageSniffer
import S3

extension S3CatalogStore {
    /// One key's observation in progress.
    private struct Reading {
        var key: String
        /// What the sniffer has, and decides to read next: the same ranges as
        /// `ImageSniffer.sniff(totalSize:readAhead:read:)` would ask for.
        var session: SniffSession
        /// The first answer's metadata: its ETag goes as `If-Match` on every later read.
        var first: S3ObjectInfo?
        /// Times the object was replaced between two of our reads.
        var restarts = 0
        /// The next range to read, `nil` when none is needed.
        var next: Range<Int>?
        var outcome: Result<ObjectObservation?, KeyReadError>?

        init(key: String, firstRead: Int, readAhead: Int) {
            self.key = key
            session = SniffSession(totalSize: nil, readAhead: readAhead)
            next = session.firstRange(firstRead)
        }

        /// Reads the key again from the start; the third time it gives up (it keeps changing).
        mutating func restart(firstRead: Int, readAhead: Int, bucket: String) {
            let restarts = self.restarts + 1
            guard restarts < 3 else {
                outcome = .failure(.failed(CatalogStoreError.unstable(bucket: bucket, key: key)))
                return
            }
            self = Reading(key: key, firstRead: firstRead, readAhead: readAhead)
            self.restarts = restarts
        }
    }

    /// Every key's head, read concurrently: one ranged GET of `firstRead` bytes per key, then,
    /// for the few whose header lies deeper (a JPEG behind its EXIF), further ranged GETs, again
    /// all at once, each with `If-Match` of the key's first ETag so that all of a key's bytes
    /// come from one version (a key replaced meanwhile is read again from the start). The
    /// sniffer resumes its walk each round, so the work stays linear in the bytes read. An empty
    /// object (416) gets a HEAD for its ETag.
    public func observe(bucket: String, keys: [String]) -> [Result<ObjectObservation?, KeyReadError>] {
        var readings = keys.map { Reading(key: $0, firstRead: firstRead, readAhead: readAhead) }
        var pending = Array(readings.indices)
        while !pending.isEmpty {
            let reads = pending.map { i in
                let range = readings[i].next!
                return (key: readings[i].key, range: S3ByteRange(first: Int64(range.lowerBound), last: Int64(range.upperBound - 1)),
                        ifMatch: readings[i].first?.etag)
            }
            var emptyObjects: [Int] = []
            for (i, answer) in zip(pending, client.getObjectRanges(bucket: bucket, reads: reads)) {
                let asked = readings[i].next!
                readings[i].next = nil
                switch answer {
                case .success(.object(let object)):
                    if readings[i].first == nil {
                        readings[i].first = object.info
                        readings[i].session = SniffSession(totalSize: object.info.totalSize, readAhead: readAhead,
                                                           progress: readings[i].session.progress)
                    }
                    readings[i].session.append(object.body, asked: asked)
                case .success(.empty):
                    if readings[i].first == nil { emptyObjects.append(i); continue }
                    readings[i].session.endHere()
                case .success(.missing):
                    if readings[i].first == nil { readings[i].outcome = .success(nil); continue }
                    readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket)    // deleted mid-read: look again
                    continue
                case .failure(let error):
                    if error.isPreconditionFailed {
                        readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket) // replaced mid-read
                    } else {
                        readings[i].outcome = .failure(KeyReadError(error))
                    }
                    continue
                }
                sniff(&readings[i])
            }
            if !emptyObjects.isEmpty {
                for (i, answer) in zip(emptyObjects, client.headObjects(bucket: bucket, keys: emptyObjects.map { readings[$0].key })) {
                    switch answer {
                    case .success(let info?):
                        readings[i].first = info
                        readings[i].session.endHere()
                        sniff(&readings[i])
                    case .success(nil): readings[i].outcome = .success(nil)
                    case .failure(let error): readings[i].outcome = .failure(KeyReadError(error))
                    }
                }
            }
            pending = readings.indices.filter { readings[$0].outcome == nil && readings[$0].next != nil }
        }
        return readings.map { $0.outcome ?? .failure(.failed(CatalogStoreError.unstable(bucket: bucket, key: $0.key))) }
    }

    /// Sniffs what `reading` holds: either an outcome, or the next range to read.
    private func sniff(_ reading: inout Reading) {
        switch reading.session.next() {
        case .read(let range):
            reading.next = range
        case .done(let verdict):
            guard let info = reading.first, let etag = info.etag else {
                reading.outcome = .failure(.refused(reason: "S3 gave no ETag for it"))
                return
            }
            reading.outcome = .success(ObjectObservation(
                size: info.totalSize, etag: ETag.unquoted(etag),
                lastModified: info.lastModified.flatMap { UTCTime.iso8601(fromHTTPDate: $0) },
                content: verdict, bytesRead: reading.session.bytes.count))
        }
    }
}
