import Basics
import Catalog
import Storage

extension CatalogFile {
    /// The current version: `cached` itself when S3 says it is still current (a 304, no bytes),
    /// else the new one. A small catalog comes whole with the first ranged GET; a big one's index
    /// is read by the version's ETag (`indexKey`), and if there is none, the catalog is read
    /// whole once and indexed again (or, when it is not in imagecat's form, converted in memory).
    public func current(cached: CatalogVersion? = nil) throws(CatalogFileError) -> CatalogVersion {
        // A cached version whose stored index was found lying is read afresh (a 304 would hand
        // the same index back), unless its index was rebuilt here.
        var cached = cached.flatMap { $0.indexRebuilt || !isDistrusted($0.etag) ? $0 : nil }
        for _ in 0..<3 {
            do throws(CatalogFileError) {
                return try read(cached: cached)
            } catch .changed {
                cached = nil                     // replaced while it was being indexed: again
            }
        }
        return try read(cached: nil)
    }

    private func read(cached: CatalogVersion?) throws(CatalogFileError) -> CatalogVersion {
        // A cached big version needs no bytes to be confirmed; a small one comes whole if it changed.
        let probe = (cached?.size ?? 0) > Int64(smallBytes) ? 1 : smallBytes
        let request = RangeRequest(key: key, range: 0..<Int64(probe), ifNoneMatch: cached?.etag)
        switch try storage({ store.readRanges(bucket: bucket, reads: [request])[0] }) {
        case .success(.notModified):
            guard let cached else { throw .changed }
            return cached
        case .success(.missing):
            return CatalogVersion(etag: nil, index: CatalogIndex(etag: "", size: 3, blocks: [], types: []), whole: .emptyCatalog)
        case .success(.empty):
            _ = try corrupt { () throws(CatalogError) in try Catalog(parsing: []) }   // a zero-byte catalog: not JSON
            throw .changed
        case .success(.bytes(let bytes, let version, let size)):
            if Int64(bytes.count) >= size { return try whole(bytes, etag: version.etag) }
            return try indexed(etag: version.etag, size: size)
        case .success(.changed):
            throw .changed
        case .failure(let error):
            throw .storage(error)
        }
    }

    /// The current version's ETag, from one byte of it; `nil` when that read does not give one
    /// (no catalog, an empty one, a failed read).
    func currentETag() -> String? {
        guard case .success(.bytes(_, let now, _)) = store.readRanges(bucket: bucket, reads: [RangeRequest(key: key, range: 0..<1)])[0] else {
            return nil
        }
        return now.etag
    }

    /// Whether the catalog is still the version with ETag `etag`: one 304, no bytes.
    public func isCurrent(_ etag: String) throws(CatalogFileError) -> Bool {
        let request = RangeRequest(key: key, range: 0..<1, ifNoneMatch: etag)
        switch try storage({ store.readRanges(bucket: bucket, reads: [request])[0] }) {
        case .success(.notModified): return true
        case .failure(let error): throw .storage(error)
        default: return false
        }
    }

    /// A version read whole: in imagecat's form as it is, or converted (sorted, duplicates
    /// collapsed, whitespace removed) to be written that way next time.
    func whole(_ bytes: [UInt8], etag: String) throws(CatalogFileError) -> CatalogVersion {
        if let run = try? EntryRun(bytes, atFileStart: true, atFileEnd: true) {
            return CatalogVersion(etag: etag, index: index(of: run, etag: etag), whole: run)
        }
        let catalog = try corrupt { () throws(CatalogError) in try Catalog(parsing: bytes) }
        let run = try corrupt { () throws(CatalogError) in try EntryRun(catalog.canonical(), atFileStart: true, atFileEnd: true) }
        var version = CatalogVersion(etag: etag, index: index(of: run, etag: etag), whole: run)
        version.needsConversion = !catalog.isCanonical
        version.duplicatesRemoved = catalog.duplicatesRemoved
        return version
    }

    /// The index of a run that is a whole catalog.
    func index(of run: EntryRun, etag: String) -> CatalogIndex {
        var writer = RunWriter(atFileStart: true, blockTarget: blockTarget(Int64(run.bytes.count)),
                               types: TypeTable())
        for i in 0..<run.count { writer.append(run.entryBytes(i), name: run.nameBytes(i), type: run.items[i].type) }
        _ = writer.finish(atFileEnd: true)
        return CatalogIndex(etag: etag, size: Int64(run.bytes.count), blocks: writer.blocks, types: writer.types.names)
    }

    /// A big version: its index, or (none after a short wait for a writer that is about to
    /// write it) the catalog read once, in chunks, and indexed again.
    private func indexed(etag: String, size: Int64) throws(CatalogFileError) -> CatalogVersion {
        for wait in isDistrusted(etag) ? [] : [0] + indexWaits {
            if wait > 0 { sleepMs(wait) }
            guard case .found(let bytes, _) = try storage({ try store.read(bucket: bucket, key: indexKey(etag), ifNoneMatch: nil) }) else {
                continue
            }
            guard let index = CatalogIndex(parsing: bytes), index.etag == etag, index.size == size else {
                dropIndex(etag)                       // or the index written below (only where none is) never replaces it
                break
            }
            return CatalogVersion(etag: etag, index: index, whole: nil)
        }
        if let limit = maxReindexBytes, size > limit { throw .notIndexed(size: size) }
        return try reindexed(etag: etag, size: size)
    }

    /// Reads the whole catalog in chunks (bounded memory), checking every entry, and writes its
    /// index. A catalog not in imagecat's form is read whole instead, if it fits, and converted.
    private func reindexed(etag: String, size: Int64) throws(CatalogFileError) -> CatalogVersion {
        var writer = RunWriter(atFileStart: true, blockTarget: blockTarget(size), types: TypeTable())
        var carry: [UInt8] = []
        var offset: Int64 = 0
        var lastName: [UInt8]?                            // of the stretch before: names rise across stretches too
        do throws(CatalogFileError) {
            while offset < size {
                let end = min(size, offset + Int64(chunkBytes))
                let chunk = try readBytes(offset..<end, etag: etag)
                carry += chunk
                let atEnd = end == size
                // Whole lines only: the stretch must end where the next entry starts.
                var cut = carry.count
                if !atEnd {
                    guard let comma = Self.lastSeparator(in: carry) else {
                        // No entry ends in a whole chunk: not imagecat's form (one line, other
                        // line breaks), and reading on would hold all of it.
                        guard carry.count < chunkBytes else {
                            throw .corrupt(.layout(offset: Int(end) - carry.count, problem: "no entry ends within \(chunkBytes) bytes"))
                        }
                        offset = end
                        continue
                    }
                    cut = comma
                }
                let stretchStart = end - Int64(carry.count)
                let run: EntryRun
                do throws(CatalogError) {
                    run = try EntryRun(Array(carry[..<cut]), atFileStart: writer.count == 0, atFileEnd: atEnd, offset: stretchStart)
                } catch {
                    // Stretches are cut at a `,\n`, which a hand edit may put inside an entry:
                    // then a stretch that does not parse may be a valid file cut in the wrong
                    // place, and the whole file, read as JSON, decides (if it fits). Too big to
                    // read whole, the entry that failed is named.
                    let cutInside = !(stretchStart == 0 && atEnd) && size <= Int64(wholeBudget)
                    if case .layout = error { throw .corrupt(error) }
                    if cutInside { throw .corrupt(.layout(offset: Int(stretchStart), problem: "a stretch cut at a line break does not parse: \(error)")) }
                    throw .corrupt(error)
                }
                if let lastName, run.count > 0, !lastName.lexicographicallyPrecedes(run.nameBytes(0)) {
                    throw .corrupt(.layout(offset: Int(stretchStart), problem: "names do not rise from one stretch to the next"))
                }
                if run.count > 0 { lastName = Array(run.nameBytes(run.count - 1)) }
                for i in 0..<run.count { writer.append(run.entryBytes(i), name: run.nameBytes(i), type: run.items[i].type) }
                _ = writer.drain()
                carry.removeFirst(cut)
                offset = end
            }
        } catch .corrupt(.layout) {
            guard size <= Int64(wholeBudget) else { throw .tooBigToConvert(size: size, limit: wholeBudget) }
            return try whole(readBytes(0..<size, etag: etag), etag: etag)
        }
        _ = writer.finish(atFileEnd: true)
        let index = CatalogIndex(etag: etag, size: size, blocks: writer.blocks, types: writer.types.names)
        // Worth keeping for the next reader; a role that may not write it just reads whole again.
        // Written (none was there any more), it replaces one distrusted.
        if case .written? = try? store.write(bucket: bucket, key: indexKey(etag), bytes: index.serialized(),
                                             contentType: "application/json", ifMatch: nil) {
            distrust.remove(distrustKey(etag))
        }
        var version = CatalogVersion(etag: etag, index: index, whole: nil)
        version.indexRebuilt = true
        return version
    }

    /// Where the last `,\n` of `bytes` ends: entries before it are whole.
    static func lastSeparator(in bytes: [UInt8]) -> Int? {
        var i = bytes.count - 1
        while i > 0 {
            if bytes[i] == 0x0A && bytes[i - 1] == UInt8(ascii: ",") { return i + 1 }
            i -= 1
        }
        return nil
    }

    /// Bytes `range` of version `etag`; `.changed` when it is no longer current.
    func readBytes(_ range: Range<Int64>, etag: String) throws(CatalogFileError) -> [UInt8] {
        let request = RangeRequest(key: key, range: range, ifMatch: etag)
        switch try storage({ store.readRanges(bucket: bucket, reads: [request])[0] }) {
        case .success(.bytes(let bytes, let answered, let size)): return try pinned(bytes, answered, etag: etag, of: range, size: size)
        case .failure(let error): throw .storage(error)
        default: throw .changed
        }
    }

    /// `bytes`, read for `range` of version `etag` (an object of `size` bytes), if they are that
    /// version's and all of it up to the object's end. Another version's (a server that ignores
    /// `If-Match` on a read) are `.changed`; fewer bytes are a `ShortRead`, not an index that
    /// does not describe them.
    private func pinned(_ bytes: [UInt8], _ answered: ObjectVersion, etag: String, of range: Range<Int64>,
                        size: Int64) throws(CatalogFileError) -> [UInt8] {
        guard answered.etag.isEmpty || answered.etag == etag else { throw .changed }
        guard Int64(bytes.count) == max(0, min(range.upperBound, size) - range.lowerBound) else {
            throw .storage(ShortRead(bucket: bucket, key: key, range: range, received: bytes.count))
        }
        return bytes
    }

    /// The entries of blocks `ranges` of `version`, read concurrently, one run per range. A
    /// version read whole needs no request.
    public func entries(of version: CatalogVersion, blocks ranges: [Range<Int>]) throws(CatalogFileError) -> [EntryRun] {
        guard version.whole == nil, let etag = version.etag else {
            return ranges.map { _ in version.whole! }
        }
        let requests = ranges.map { RangeRequest(key: key, range: version.index.range(of: $0), ifMatch: etag) }
        return try runs(of: ranges, in: version, from: store.readRanges(bucket: bucket, reads: requests))
    }

    /// `entries`, with the multipart upload a write is about to need created at the same time
    /// (one round trip for both): its id, `nil` if it could not be created (the write creates it
    /// itself). An upload whose reads fail is aborted here.
    func entriesStartingUpload(of version: CatalogVersion, blocks ranges: [Range<Int>]) throws(CatalogFileError) -> (runs: [EntryRun], uploadID: String?) {
        guard version.whole == nil, let etag = version.etag else { return (try entries(of: version, blocks: ranges), nil) }
        let requests = ranges.map { RangeRequest(key: key, range: version.index.range(of: $0), ifMatch: etag) }
        let (answers, upload) = store.readRanges(bucket: bucket, reads: requests, startingUploadOf: key, contentType: "application/json")
        let uploadID = try? upload.get()
        do throws(CatalogFileError) {
            return (try runs(of: ranges, in: version, from: answers), uploadID)
        } catch {
            if let uploadID { _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID) }
            throw error
        }
    }

    /// The runs of `ranges` from their reads, each checked against the index.
    private func runs(of ranges: [Range<Int>], in version: CatalogVersion,
                      from answers: [Result<RangeRead, KeyReadError>]) throws(CatalogFileError) -> [EntryRun] {
        var runs: [EntryRun] = []
        for (range, answer) in zip(ranges, answers) {
            guard case .success(.bytes(let bytes, let answered, let size)) = answer, let etag = version.etag else {
                if case .failure(let error) = answer { throw .storage(error) }
                throw .changed
            }
            runs.append(try run(of: range, in: version, bytes: pinned(bytes, answered, etag: etag, of: version.index.range(of: range), size: size)))
        }
        return runs
    }

    /// The run of blocks `range` of `version` from their bytes, checked against the index.
    func run(of range: Range<Int>, in version: CatalogVersion, bytes: [UInt8]) throws(CatalogFileError) -> EntryRun {
        let index = version.index
        do throws(CatalogError) {
            let run = try EntryRun(bytes, atFileStart: range.lowerBound == 0, atFileEnd: range.upperBound == index.blocks.count,
                                   offset: index.blocks[range.lowerBound].offset)
            let counted = index.count(of: range)
            guard run.count == counted else {
                throw CatalogError.layout(offset: Int(index.blocks[range.lowerBound].offset),
                                          problem: "the index counts \(counted) entries in blocks \(range), the bytes hold \(run.count)")
            }
            // Each block's first name, as the index has it: the names decide which block an
            // observation goes to (a wrong one sends a delete to a block without the entry).
            var first = 0
            for block in range {
                guard index.blocks[block].count == 0 || run.nameBytes(first).elementsEqual(index.blocks[block].firstName.bytes) else {
                    throw CatalogError.layout(offset: Int(index.blocks[block].offset), problem: "the index names block \(block) otherwise")
                }
                first += index.blocks[block].count
            }
            return run
        } catch {
            // An indexed version's bytes were checked whole before its index was written (or
            // written by the writer that checked them), and the read is pinned to its ETag and
            // whole (`ShortRead`): bytes that do not parse where the index says are the index's
            // fault. Read afresh, it is indexed again, and a corrupt catalog found so.
            throw notDescribed(version)
        }
    }

    /// Block `block` of `version` from its `bytes`, as a rewrite carries it without parsing it
    /// again (`RunWriter.appendBlock`): its entries without the file's framing or the `,\n`
    /// after the last. Its version's index, written only for bytes read whole and checked (or
    /// by the writer that wrote them), pins them by ETag, as it does the bytes a write copies.
    /// A few cheap checks catch an index that does not describe them: the framing, one line per
    /// entry (a compact entry has no line break), the first entry and its name.
    func carried(block: Int, of version: CatalogVersion, bytes: ArraySlice<UInt8>) throws(CatalogFileError) -> ArraySlice<UInt8> {
        let index = version.index, expected = index.blocks[block]
        let lead = block == 0 ? 2 : 0, trail = block == index.blocks.count - 1 ? 3 : 2
        let start = bytes.startIndex + lead, end = bytes.endIndex - trail
        guard start < end, bytes.starts(with: block == 0 ? "[\n".utf8 : "".utf8),
              bytes[end...].elementsEqual(trail == 3 ? "\n]\n".utf8 : ",\n".utf8),
              bytes[start] == UInt8(ascii: "{"), bytes[end - 1] == UInt8(ascii: "}") else { throw notDescribed(version) }
        let entries = bytes[start..<end]
        let breaks = ASCII.count(of: 0x0A, in: entries)
        let firstEnd = entries.firstIndex(of: 0x0A).map { $0 + 1 } ?? end
        let first = firstEnd == end ? Array(entries) + Array(",\n".utf8) : Array(entries[start..<firstEnd])
        guard breaks + 1 == expected.count,
              let run = try? EntryRun(first, atFileStart: false, atFileEnd: false, offset: expected.offset + Int64(lead)),
              run.count == 1, run.nameBytes(0).elementsEqual(expected.firstName.bytes) else { throw notDescribed(version) }
        return entries
    }

    /// An index that does not describe its version's bytes: dropped, so that the next read
    /// indexes the version again (and finds it corrupt, if it is); the caller reads afresh.
    func notDescribed(_ version: CatalogVersion) -> CatalogFileError {
        dropIndex(version.etag ?? "")
        return .changed
    }

    /// Deletes the index of version `etag`, best effort; one that stays (a role that may not
    /// delete it) is distrusted instead, or every read would find it again.
    private func dropIndex(_ etag: String) {
        if (try? store.delete(bucket: bucket, key: indexKey(etag))) == nil { distrust.insert(distrustKey(etag)) }
    }

    /// Whether the stored index of version `etag` was found lying and stayed.
    private func isDistrusted(_ etag: String?) -> Bool { etag.map { distrust.contains(distrustKey($0)) } ?? false }

    /// The same bytes in two buckets have the same ETag: distrust names the bucket.
    private func distrustKey(_ etag: String) -> String { bucket + "/" + indexKey(etag) }

    func corrupt<T>(_ body: () throws(CatalogError) -> T) throws(CatalogFileError) -> T {
        do throws(CatalogError) { return try body() } catch { throw .corrupt(error) }
    }
}
