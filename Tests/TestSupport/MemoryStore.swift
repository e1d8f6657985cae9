import Basics
import Storage

/// An in-memory `ObjectStore` for unit tests: it lets a test script exactly when another writer,
/// a delete or a conflict happens between two steps, which no real server can be made to do on
/// cue. (The same code runs against real S3 servers in Tests/integration.) Keys are byte-exact,
/// ETags depend only on the bytes (as S3's MD5 ETags do), and every put is a new second.
public final class MemoryStore: ObjectStore {
    public struct Object {
        public var bytes: [UInt8]
        public var etag: String
        public var lastModified: String
    }
    public var buckets: [String: [ExactKey: Object]] = [:]
    public var deadline: Deadline?
    /// Kept so tests can see what a handler set; a memory store sends no requests.
    public var traceHeader: String?
    /// Whether a key missing from a listing may be taken as gone (S3: yes). Tests of servers
    /// that list keys under other names set it false.
    public var listingsAreExact = true
    /// Whether completions are atomic; with `false`, `racingCompletion` may overwrite one.
    public var completionsAreAtomic = true
    /// Runs right after a completion stored its object, with the bucket and key: where a test
    /// plays a racing completion that the server let through too (a non-atomic server).
    public var racingCompletion: ((String, String) -> Void)?
    public init() {}

    /// Every request, one line per key, with its answer:
    /// `GET b/images.json -> 200`, `GET b/images.json if-none-match E -> 304`,
    /// `RANGE b/cat.jpg 0-4095 -> 206`, `HEAD b/cat.jpg -> 404`,
    /// `PUT b/images.json if-match E -> 412`, `LIST b images/ after images/a`.
    public var requests: [String] = []
    /// Calls to the store: a batch of keys counts once (its requests run concurrently).
    public var roundTrips = 0
    /// Runs once, right before the next write is evaluated: where a test puts the other writer
    /// of a scripted interleaving.
    public var beforeWrite: (() -> Void)?
    /// Runs before each request is answered, with its line (without the answer).
    public var onRequest: ((String) -> Void)?
    /// Answer this many writes with `.conflict` regardless of the condition (409).
    public var forcedConflicts = 0
    /// Writes (and completions) that land and then answer `.conflict`, as `S3ObjectStore` does
    /// when an answer was lost and the retry found its own write there (a 412 on a retry).
    public var lostAnswers = 0
    /// Ranged reads answer with what the key holds now whatever their `If-Match` (as some
    /// S3-compatible servers do).
    public var readsIgnoreIfMatch = false
    /// Per-key failures of ranged reads and of HEADs.
    public var rangeErrors: [ExactKey: KeyReadError] = [:]
    public var headErrors: [ExactKey: KeyReadError] = [:]
    /// Started parts (`startPart`) are copied only when collected, not when sent: what a test
    /// looks at to see when a writer collects them.
    public var defersStartedParts = false
    /// Deletes sent in the background (`deleteInBackground`), and calls of `settle`.
    public var backgroundDeletes = 0
    public var settled = 0
    /// Aborts sent in the background (`abortInBackground`): at once, unless `defersAborts`
    /// leaves them for `settle`, as `S3ObjectStore` does.
    public var backgroundAborts = 0
    public var defersAborts = false
    /// Aborts left for `settle`, not yet sent.
    public var toAbort: [(bucket: String, key: String, uploadID: String, after: StartedPart?)] = []
    /// When set, every request fails with it (S3 down).
    public var failure: (any Error)?
    /// When set, every delete fails with it (a role that may not delete, as the API's).
    public var deleteError: (any Error)?
    /// Per-key failures of writes (a role that may not write there).
    public var writeErrors: [ExactKey: any Error] = [:]
    /// Keys the listing leaves out (as a server may list a key under another name).
    public var unlisted: Set<ExactKey> = []
    /// When set, every listing fails with it (as a server that refuses a listing's parameters).
    public var listError: (any Error)?
    /// The next this many listings answer an empty page that says more follow, with a
    /// continuation token (as S3 does) unless `emptyPagesGiveTokens` is false.
    public var emptyTruncatedPages = 0
    public var emptyPagesGiveTokens = true
    private var tokensGiven = 0
    /// The `maxKeys` of every listing page asked for, in order.
    public var listPageSizes: [Int] = []
    /// Last-Modified times come from a counter: every put is a new second.
    private var clock = 0
    /// Multipart uploads in progress, by id: their key and parts.
    public private(set) var uploads: [String: (bucket: String, key: String, parts: [Int: [UInt8]])] = [:]
    private var nextUpload = 0
    /// The smallest part but the last that a completion accepts (S3: 5 MiB). Tests make it small
    /// so that small catalogs take the multipart path.
    public var minPartSize = 5 * 1024 * 1024
    /// When false, `predictedETag` answers `nil` (as for SSE-KMS), and ETags of completed
    /// uploads follow no formula a client knows.
    public var predictsETags = true

    // MARK: Test set-up and inspection

    public func put(_ bucket: String, _ key: String, _ text: String) { put(bucket, key, bytes: Array(text.utf8)) }

    /// Stores `bytes` as a new version, with the ETag its bytes give unless `etag` says otherwise.
    public func put(_ bucket: String, _ key: String, bytes: [UInt8], etag: String? = nil) {
        clock += 1
        let time = "2026-01-01T\(pad(clock / 3600 % 24)):\(pad(clock / 60 % 60)):\(pad(clock % 60))Z"
        buckets[bucket, default: [:]][ExactKey(key)] = Object(bytes: bytes, etag: etag ?? Self.etag(bytes), lastModified: time)
    }

    private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// A PNG as far as any header reader can tell: signature and IHDR, then `padding` bytes.
    public static func png(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        Build.png(width: width, height: height, padding: padding)
    }

    public func delete(_ bucket: String, _ key: String) { buckets[bucket]?[ExactKey(key)] = nil }

    public func object(_ bucket: String, _ key: String) -> Object? { buckets[bucket]?[ExactKey(key)] }

    public func text(_ bucket: String, _ key: String) -> String? {
        object(bucket, key).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Like S3's ETag for a single PUT (an MD5 of the body), it depends only on the bytes.
    public static func etag(_ bytes: some Sequence<UInt8>) -> String { StableHash.hex(bytes) }

    /// Like S3's for a multipart object: a digest of the parts' ETags, then `-` and their number.
    public static func etag(ofParts partETags: [String]) -> String {
        StableHash.hex(partETags.joined(separator: ",").utf8) + "-\(partETags.count)"
    }

    /// The requests whose line starts with `prefix` (`RANGE`, `PUT b/images.json`...).
    public func requests(_ prefix: String) -> [String] { requests.filter { $0.hasPrefix(prefix) } }

    private func record(_ line: String) -> (String) -> Void {
        onRequest?(line)
        return { self.requests.append(line + " -> " + $0) }
    }

    // MARK: ObjectStore

    public func read(bucket: String, key: String, ifNoneMatch: String?) throws -> StoredRead {
        roundTrips += 1
        let answer = record("GET \(bucket)/\(key)" + (ifNoneMatch.map { " if-none-match \($0)" } ?? ""))
        if let failure { answer("error"); throw failure }
        guard let object = object(bucket, key) else { answer("404"); return .missing }
        if object.etag == ifNoneMatch { answer("304"); return .notModified(etag: object.etag) }
        answer("200")
        return .found(bytes: object.bytes, etag: object.etag)
    }

    public func write(bucket: String, key: String, bytes: [UInt8], contentType: String, ifMatch: String?) throws -> StoredWrite {
        roundTrips += 1
        if let hook = beforeWrite {
            beforeWrite = nil
            hook()
        }
        let answer = record("PUT \(bucket)/\(key) " + (ifMatch.map { "if-match \($0)" } ?? "if-none-match *"))
        if let failure = failure ?? writeErrors[ExactKey(key)] { answer("error"); throw failure }
        if forcedConflicts > 0 {
            forcedConflicts -= 1
            answer("409")
            return .conflict(retried: false)
        }
        guard object(bucket, key)?.etag == ifMatch else { answer("412"); return .conflict(retried: false) }
        put(bucket, key, bytes: bytes, etag: predictsETags ? nil : "kms" + Self.etag(bytes))
        if lostAnswers > 0 {
            lostAnswers -= 1
            answer("200, lost, then 412 on the retry")
            return .conflict(retried: true)
        }
        answer("200")
        return .written(etag: object(bucket, key)!.etag)
    }

    /// A server that answers a ranged read with fewer bytes than asked: at most this many.
    public var rangeBytesLimit: Int?

    public func readRanges(bucket: String, reads: [RangeRequest]) -> [Result<RangeRead, KeyReadError>] {
        roundTrips += 1
        return reads.map { read in
            let answer = record("RANGE \(bucket)/\(read.key) \(read.range.lowerBound)-\(read.range.upperBound - 1)"
                                + (read.ifMatch.map { " if-match \($0)" } ?? "") + (read.ifNoneMatch.map { " if-none-match \($0)" } ?? ""))
            if let error = rangeErrors[ExactKey(read.key)] { answer("error"); return .failure(error) }
            if let failure { answer("error"); return .failure(.failed(failure)) }
            guard let object = object(bucket, read.key) else { answer("404"); return .success(.missing) }
            if let ifMatch = read.ifMatch, ifMatch != object.etag, !readsIgnoreIfMatch { answer("412"); return .success(.changed) }
            if let ifNoneMatch = read.ifNoneMatch, ifNoneMatch == object.etag { answer("304"); return .success(.notModified) }
            let size = Int64(object.bytes.count)
            guard read.range.lowerBound < size else { answer("416"); return .success(.empty) }
            answer("206")
            let end = min(read.range.upperBound, size, rangeBytesLimit.map { read.range.lowerBound + Int64($0) } ?? size)
            let bytes = Array(object.bytes[Int(read.range.lowerBound)..<Int(end)])
            return .success(.bytes(bytes, version: ObjectVersion(etag: object.etag, lastModified: object.lastModified),
                                   totalSize: size))
        }
    }

    public func heads(bucket: String, keys: [String]) -> [Result<(version: ObjectVersion, size: Int64)?, KeyReadError>] {
        roundTrips += 1
        return keys.map { key in
            let answer = record("HEAD \(bucket)/\(key)")
            if let error = headErrors[ExactKey(key)] { answer("error"); return .failure(error) }
            if let failure { answer("error"); return .failure(.failed(failure)) }
            guard let object = object(bucket, key) else { answer("404"); return .success(nil) }
            answer("200")
            return .success((ObjectVersion(etag: object.etag, lastModified: object.lastModified), Int64(object.bytes.count)))
        }
    }

    public func listPage(bucket: String, prefix: String, startAfter: String?, continuation: String?, maxKeys: Int) throws -> ListedPage {
        roundTrips += 1
        let answer = record("LIST \(bucket)" + (prefix.isEmpty ? "" : " \(prefix)") + (startAfter.map { " after \($0)" } ?? "")
                            + (continuation.map { " token \($0)" } ?? ""))
        listPageSizes.append(maxKeys)
        if let listError { answer("error"); throw listError }
        // A token (`<n>:<key>`, a new n each time) goes on after the key it names.
        let after = continuation.map { String($0.drop { $0 != ":" }.dropFirst()) } ?? startAfter
        if emptyTruncatedPages > 0 {
            emptyTruncatedPages -= 1
            answer("200, empty, truncated")
            tokensGiven += 1
            return ListedPage(objects: [], isTruncated: true,
                              continuation: emptyPagesGiveTokens ? "\(tokensGiven):" + (after ?? "") : nil)
        }
        let from = after.map(ExactKey.init)
        let matching = (buckets[bucket] ?? [:])
            .filter { object in object.key.hasPrefix(ExactKey(prefix)) && (from.map { $0 < object.key } ?? true) }
            .filter { !unlisted.contains($0.key) }
            .sorted { $0.key < $1.key }
        let objects = matching.prefix(maxKeys).map {
            ListedObject(key: String(decoding: $0.key.bytes, as: UTF8.self), size: Int64($0.value.bytes.count),
                         version: ObjectVersion(etag: $0.value.etag, lastModified: $0.value.lastModified))
        }
        answer("200")
        return ListedPage(objects: Array(objects), isTruncated: matching.count > maxKeys)
    }

    public func delete(bucket: String, key: String) throws {
        roundTrips += 1
        let answer = record("DELETE \(bucket)/\(key)")
        if let failure = failure ?? deleteError { answer("error"); throw failure }
        delete(bucket, key)
        answer("204")
    }

    /// Deleted at once, as sent, but not counted as a round trip: nothing waits for it.
    public func deleteInBackground(bucket: String, key: String) {
        backgroundDeletes += 1
        try? delete(bucket: bucket, key: key)
        roundTrips -= 1
    }

    public func abortInBackground(bucket: String, key: String, uploadID: String, after started: StartedPart?) {
        backgroundAborts += 1
        toAbort.append((bucket, key, uploadID, started))
        if !defersAborts { settleAborts() }
    }

    public func settle() {
        settled += 1
        settleAborts()
    }

    private func settleAborts() {
        let pending = toAbort
        toAbort = []
        for (bucket, key, uploadID, started) in pending {
            _ = try? started?.etag()
            _ = try? abortUpload(bucket: bucket, key: key, uploadID: uploadID)
        }
    }

    /// The next this many creations of an upload fail (other requests are not affected).
    public var failingCreations = 0

    public func startUpload(bucket: String, key: String, contentType: String) throws -> String {
        roundTrips += 1
        let answer = record("CREATE \(bucket)/\(key)")
        if let failure { answer("error"); throw failure }
        if failingCreations > 0 {
            failingCreations -= 1
            answer("error")
            throw MemoryStoreError("CreateMultipartUpload failed")
        }
        nextUpload += 1
        let id = "upload-\(nextUpload)"
        uploads[id] = (bucket, key, [:])
        answer(id)
        return id
    }

    /// The reads, then the upload's creation: one round trip, as S3ObjectStore sends them together.
    public func readRanges(bucket: String, reads: [RangeRequest], startingUploadOf key: String,
                           contentType: String) -> (reads: [Result<RangeRead, KeyReadError>], upload: Result<String, any Error>) {
        let answers = readRanges(bucket: bucket, reads: reads)
        let upload = Result { () throws(any Error) in try startUpload(bucket: bucket, key: key, contentType: contentType) }
        roundTrips -= 1
        return (answers, upload)
    }

    public func readRanges(bucket: String, reads: [RangeRequest], listingUploadsOf key: String)
        -> (reads: [Result<RangeRead, KeyReadError>], uploads: Result<[UploadInProgress], any Error>) {
        let answers = readRanges(bucket: bucket, reads: reads)
        let uploads = Result { () throws(any Error) in try uploadsInProgress(bucket: bucket, key: key) }
        roundTrips -= 1
        return (answers, uploads)
    }

    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart]) throws -> [String]? {
        roundTrips += 1
        var etags: [String] = []
        var sourceChanged = false
        for part in parts {
            switch part.source {
            case .bytes(let bytes):
                let answer = record("PART \(bucket)/\(key) #\(part.number) \(bytes.count) bytes")
                if let failure { answer("error"); throw failure }
                guard uploads[uploadID] != nil else { answer("404 NoSuchUpload"); throw MemoryStoreError("no such upload \(uploadID)") }
                uploads[uploadID]?.parts[part.number] = bytes
                etags.append(Self.etag(bytes))
                answer("200")
            case .copy(let source, let range, let ifMatch):
                let answer = record("COPY \(bucket)/\(key) #\(part.number) from \(source) \(range.lowerBound)-\(range.upperBound - 1)")
                if let failure { answer("error"); throw failure }
                guard uploads[uploadID] != nil else { answer("404 NoSuchUpload"); throw MemoryStoreError("no such upload \(uploadID)") }
                guard let object = object(bucket, source) else {              // S3: 404 NoSuchKey
                    answer("404 NoSuchKey")
                    throw MemoryStoreError("no such copy source \(source)")
                }
                guard object.etag == ifMatch else {
                    answer("412")
                    sourceChanged = true
                    continue
                }
                let bytes = Array(object.bytes[Int(range.lowerBound)..<Int(range.upperBound)])
                uploads[uploadID]?.parts[part.number] = bytes
                etags.append(Self.etag(bytes))
                answer("200")
            }
        }
        return sourceChanged ? nil : etags
    }

    /// Copied at once, as S3 does once the request arrives; its round trip overlaps the caller's
    /// next one, so it is not counted.
    public func startPart(bucket: String, key: String, uploadID: String, part: UploadPart) -> StartedPart {
        let copy = { [self] in
            defer { roundTrips -= 1 }
            return Result { () throws(any Error) in try uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: [part])?.first }
        }
        return defersStartedParts ? StartedPart(collecting: copy) : StartedPart(copy())
    }

    /// Created at once, its part started (`startPart`): the creation's round trip overlaps the
    /// caller's next one, as S3ObjectStore sends the part the moment the upload exists, so it is
    /// not counted.
    public func startUpload(bucket: String, key: String, contentType: String, thenPart part: UploadPart) -> StartedUpload {
        let outcome = Result { () throws(any Error) -> (uploadID: String, part: StartedPart) in
            defer { roundTrips -= 1 }
            let id = try startUpload(bucket: bucket, key: key, contentType: contentType)
            return (id, startPart(bucket: bucket, key: key, uploadID: id, part: part))
        }
        return StartedUpload { outcome }
    }

    /// The parts, then the reads: one round trip, as S3ObjectStore sends them together.
    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [UploadPart], readingRanges reads: [RangeRequest])
        throws -> (etags: [String]?, reads: [Result<RangeRead, KeyReadError>]) {
        let etags = parts.isEmpty ? [] : try uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
        let answers = reads.isEmpty ? [] : readRanges(bucket: bucket, reads: reads)
        if !parts.isEmpty && !reads.isEmpty { roundTrips -= 1 }
        return (etags, answers)
    }

    public func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?) throws -> StoredWrite {
        roundTrips += 1
        if let hook = beforeWrite {
            beforeWrite = nil
            hook()
        }
        let answer = record("COMPLETE \(bucket)/\(key) " + (ifMatch.map { "if-match \($0)" } ?? "if-none-match *"))
        if let failure { answer("error"); throw failure }
        if forcedConflicts > 0 {
            forcedConflicts -= 1
            answer("409")
            return .conflict(retried: false)
        }
        guard let upload = uploads[uploadID] else { answer("404 NoSuchUpload"); throw MemoryStoreError("no such upload \(uploadID)") }
        guard object(bucket, key)?.etag == ifMatch else { answer("412"); return .conflict(retried: false) }
        var bytes: [UInt8] = []
        for (i, etag) in partETags.enumerated() {
            guard let part = upload.parts[i + 1], Self.etag(part) == etag else {
                answer("400 InvalidPart")
                throw MemoryStoreError("part \(i + 1) missing or not \(etag)")
            }
            if i + 1 < partETags.count && part.count < minPartSize {
                answer("400 EntityTooSmall")
                throw MemoryStoreError("part \(i + 1) is \(part.count) bytes, under \(minPartSize)")
            }
            bytes += part
        }
        uploads[uploadID] = nil
        let etag = predictsETags ? Self.etag(ofParts: partETags) : "kms" + Self.etag(bytes)
        put(bucket, key, bytes: bytes, etag: etag)
        if lostAnswers > 0 {
            lostAnswers -= 1
            answer("200, lost, then 412 on the retry")
            return .conflict(retried: true)
        }
        answer("200")
        if let race = racingCompletion {
            racingCompletion = nil
            race(bucket, key)
        }
        return .written(etag: etag)
    }

    /// The next this many companions of a completion fail (the completion does not).
    public var companionFailures = 0

    /// The companion is written first, then the completion evaluated: both in one round trip,
    /// as S3ObjectStore sends them together.
    public func completeUpload(bucket: String, key: String, uploadID: String, partETags: [String], ifMatch: String?,
                               writing companion: String, bytes: [UInt8], contentType: String) throws -> (outcome: StoredWrite, companionWritten: Bool) {
        let answer = record("PUT \(bucket)/\(companion) (with the completion)")
        var written = false
        if companionFailures > 0 {
            companionFailures -= 1
            answer("error")
        } else if let failure = failure ?? writeErrors[ExactKey(companion)] {
            answer("error \(failure)")
        } else {
            put(bucket, companion, bytes: bytes, etag: nil)
            answer("200")
            written = true
        }
        let outcome = try completeUpload(bucket: bucket, key: key, uploadID: uploadID, partETags: partETags, ifMatch: ifMatch)
        return (outcome, written)
    }

    /// Aborts fail with this (other requests are not affected).
    public var abortFailure: (any Error)?

    public func abortUpload(bucket: String, key: String, uploadID: String) throws {
        roundTrips += 1
        let answer = record("ABORT \(bucket)/\(key)")
        if let abortFailure { answer("error"); throw abortFailure }
        uploads[uploadID] = nil
        answer("204")
    }

    /// When upload number n started (ms): a second after the one before, unless a test says.
    public var uploadStartMs: (Int) -> Int64 = { Int64($0) * 1000 }

    public func uploadsInProgress(bucket: String, key: String) throws -> [UploadInProgress] {
        roundTrips += 1
        let answer = record("UPLOADS \(bucket)/\(key)")
        if let failure { answer("error"); throw failure }
        let found = uploads.filter { $0.value.bucket == bucket && ExactKey($0.value.key) == ExactKey(key) }
            .map { UploadInProgress(id: $0.key, initiatedMs: uploadStartMs(Int($0.key.dropFirst("upload-".count))!)) }
        answer(found.map(\.id).sorted().joined(separator: " "))
        return found
    }

    public func predictedETag(ofBytes bytes: ArraySlice<UInt8>) -> String? { predictsETags ? Self.etag(bytes) : nil }

    public func predictedETag(ofParts partETags: [String]) -> String? { predictsETags ? Self.etag(ofParts: partETags) : nil }
}

/// A request the in-memory store refuses the way S3 would (an unknown upload, a bad part).
public struct MemoryStoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
