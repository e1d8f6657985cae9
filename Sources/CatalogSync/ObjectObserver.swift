import Basics
import ImageSniffer
import Storage

/// Reads only as much of each object's head as it takes to tell its format and size, for many
/// keys at once: one ranged read of `firstRead` bytes per key, then, for the few whose header
/// lies deeper (a JPEG behind its EXIF), further ranged reads, as many at once as `byteBudget`
/// allows, each pinned to the key's first version so that all of a key's bytes come from one
/// version (a key replaced meanwhile is read again from the start). The sniffer resumes its walk each round, so the work
/// stays linear in the bytes read. An empty object gets its version from a HEAD.
struct ObjectObserver {
    var store: any ObjectStore
    /// The first read of every key: enough for almost every image's header.
    var firstRead = 4096
    /// Bytes asked for beyond what the sniffer needs, on each read after the first: a JPEG whose
    /// frame header sits behind 60 KB of EXIF then takes two or three round trips, not six.
    var readAhead = 16 * 1024
    /// The bytes an observation holds at once: the heads of the keys still being read, and a
    /// round's answers. A key's next read waits for a later round when it would pass this (the
    /// first pending one always goes). Anyone may upload a JPEG whose frame header lies behind
    /// a megabyte of APPn segments; a batch of 100 of them held a megabyte each, all at once,
    /// past a 128 MB function's memory. (A batch of 1,000 camera JPEGs, 4 KiB first reads and
    /// ~72 KB second ones, still reads ~170 keys a round: more than the transport sends at once.)
    var byteBudget = 16 * 1024 * 1024

    /// One key's observation in progress.
    private struct Reading {
        var key: String
        /// What the sniffer has, and decides to read next: the same ranges as
        /// `ImageSniffer.sniff(totalSize:readAhead:read:)` would ask for.
        var session: SniffSession
        /// The first answer's version (every later read is pinned to it) and the object's size.
        var first: (version: ObjectVersion, size: Int64)?
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

        /// Reads the key again from the start; the third time it skips the key, which keeps
        /// changing. Skipping it loses nothing and fails no other key: each change that cut a
        /// read short came after the read began, and its own event observes the key again.
        mutating func restart(firstRead: Int, readAhead: Int, bucket: String) {
            let restarts = self.restarts + 1
            guard restarts < 3 else {
                outcome = .failure(.refused(reason: "s3://\(bucket)/\(key) changed on every read of its header; "
                                                  + "the event of its latest change catalogs it"))
                return
            }
            self = Reading(key: key, firstRead: firstRead, readAhead: readAhead)
            self.restarts = restarts
        }
    }

    /// S3's current truth for each key (`nil`: no such object), one result per key in order.
    func observe(bucket: String, keys: [String]) -> [Result<ObjectObservation?, KeyReadError>] {
        var readings = keys.map { Reading(key: $0, firstRead: firstRead, readAhead: readAhead) }
        var pending = Array(readings.indices)
        while !pending.isEmpty {
            var held = readings.reduce(0) { $0 + ($1.outcome == nil ? $1.session.bytes.count : 0) }
            var round: [Int] = []
            for i in pending {
                let size = readings[i].next!.count
                guard round.isEmpty || held + size <= byteBudget else { continue }
                held += size
                round.append(i)
            }
            let reads = round.map { i in
                RangeRequest(key: readings[i].key, range: Int64(readings[i].next!.lowerBound)..<Int64(readings[i].next!.upperBound),
                             ifMatch: readings[i].first?.version.etag)
            }
            var emptyObjects: [Int] = []
            let answers = store.readRanges(bucket: bucket, reads: reads)
            for (i, answer) in zip(round, answers) {
                let asked = readings[i].next!
                readings[i].next = nil
                switch answer {
                case .success(.bytes(let body, let version, let totalSize)):
                    if let first = readings[i].first, first.version.etag != version.etag || first.size != totalSize {
                        // Another version's bytes: a server that ignores `If-Match` on a ranged
                        // read answers with whatever it holds now. Read again from the start.
                        readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket)
                        continue
                    }
                    if readings[i].first == nil {
                        readings[i].first = (version, totalSize)
                        readings[i].session = SniffSession(totalSize: totalSize, readAhead: readAhead,
                                                           progress: readings[i].session.progress)
                    }
                    readings[i].session.append(body, asked: asked)
                case .success(.empty):
                    if readings[i].first == nil { emptyObjects.append(i); continue }
                    readings[i].session.endHere()
                case .success(.missing):
                    if readings[i].first == nil { readings[i].outcome = .success(nil); continue }
                    readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket)  // deleted mid-read
                    continue
                case .success(.changed), .success(.notModified):
                    readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket)  // replaced mid-read
                    continue
                case .failure(let error):
                    readings[i].outcome = .failure(error)
                    continue
                }
                sniff(&readings[i])
            }
            if !emptyObjects.isEmpty {
                // The HEAD may come after the object was replaced: only a version that is empty
                // is the one the 416 came from, else the key is read again from the start.
                for (i, answer) in zip(emptyObjects, store.heads(bucket: bucket, keys: emptyObjects.map { readings[$0].key })) {
                    switch answer {
                    case .success(let head?) where head.size == 0:
                        readings[i].first = (head.version, 0)
                        readings[i].session.endHere()
                        sniff(&readings[i])
                    case .success(.some):
                        readings[i].restart(firstRead: firstRead, readAhead: readAhead, bucket: bucket)   // replaced mid-read
                    case .success(nil): readings[i].outcome = .success(nil)
                    case .failure(let error): readings[i].outcome = .failure(error)
                    }
                }
            }
            for i in round where readings[i].outcome != nil {
                readings[i].session = SniffSession(totalSize: nil)             // its bytes are done with
            }
            pending = readings.indices.filter { readings[$0].outcome == nil && readings[$0].next != nil }
        }
        // (Every reading ends with an outcome; the fallback skips a key rather than trap.)
        return readings.map { $0.outcome ?? .failure(.refused(reason: "s3://\(bucket)/\($0.key): its reads ended without an answer")) }
    }

    /// Sniffs what `reading` holds: either an outcome, or the next range to read.
    private func sniff(_ reading: inout Reading) {
        switch reading.session.next() {
        case .read(let range):
            reading.next = range
        case .done(let verdict):
            guard let first = reading.first, !first.version.etag.isEmpty else {
                reading.outcome = .failure(.refused(reason: "S3 gave no ETag for it"))
                return
            }
            reading.outcome = .success(ObjectObservation(size: first.size, version: first.version, content: verdict,
                                                         bytesRead: reading.session.bytes.count))
        }
    }
}
