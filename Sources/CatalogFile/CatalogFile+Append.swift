import Basics
import Catalog
import Storage

extension CatalogFile {
    /// Writes `observations` into the tail of a big catalog, when they all fall there: past the
    /// prefix its index names (`CatalogIndex.Prefix`), which the upload copies server-side once
    /// (`prefixCopy`, or made here), before the tail is even read. Then, as often as it loses:
    /// read the tail as it is now, merge, upload it (while reading the new version's index, to
    /// learn whether it names the same prefix: the copied bytes are then still its first bytes),
    /// complete over it.
    ///
    /// Why: another writer can win only between a writer's read and its completion. A rewrite
    /// holds that window open while the server copies the unchanged bytes (0.1 s for 17 MB here,
    /// far more for 176 MB) and pays the copy again each time it loses; here the window is three
    /// round trips (the tail read, its part with the index reads, the completion), and a lost
    /// completion costs them again, with no copy.
    ///
    /// `version` need not be current: the first read of the tail learns which version is, and
    /// that one is written over if its index names the same prefix. `.changed` when the tail read
    /// is not one after this prefix (another layout, or no catalog): read afresh, no conflict,
    /// unless a completion before was lost, its answer maybe with it (see `afresh`). A
    /// current version with no index yet, or a prefix that could not be copied, is a `.conflict`,
    /// as before.
    ///
    /// `nil`: not a write for this path (no prefix, a tail too long, a name before the tail, or a
    /// tail whose every entry goes, unless a completion before may have landed); the caller
    /// rewrites. The upload is completed or aborted on
    /// every way out, `prefixCopy` included (later, when there is nothing to write:
    /// `discardLater`).
    func appended(_ observations: [Observation], over version: CatalogVersion, policy: UpsertPolicy, prefixCopy: PrefixCopy?,
                  isWorthWriting: ([CatalogMerge.Outcome]) -> Bool) throws(CatalogFileError)
        -> (outcomes: [CatalogMerge.Outcome], result: WriteResult)? {
        var outcomes = [CatalogMerge.Outcome](repeating: .unchanged, count: observations.count)
        let prefixCopy = prefixCopy?.landed()
        guard let lowest = observations.first, let (prefix, tailBlock) = appendable(version, lowest: lowest.name) else {
            if let prefixCopy { discard(prefixCopy) }
            return nil
        }
        let index = version.index, etag = version.etag!
        var copy: PrefixCopy
        if let prefixCopy, prefixCopy.prefix.isSame(as: prefix) {
            copy = prefixCopy
        } else {
            if let prefixCopy { discard(prefixCopy) }
            copy = PrefixCopy(uploadID: try storage { try store.startUpload(bucket: bucket, key: key, contentType: "application/json") },
                              prefix: prefix, source: prefix.base == nil ? etag : nil, known: [etag])
        }
        copy.known.insert(etag)                              // its index names the prefix
        var open = true
        defer { if open { discard(copy) } }
        // A copy sent before the write is collected only before the completion: the server
        // copies while the tail is read, merged and sent.
        var partETag: String?
        if copy.started == nil {
            guard let copied = try copyPrefix(&copy, orFrom: etag) else { return (outcomes, .conflict()) }
            partETag = copied
        }
        /// The version the prefix was copied from, when it was copied before its index was read
        /// (`prefixCopy`): read with the first tail that goes up, and it must name the prefix.
        var source = copy.source.flatMap { copy.known.contains($0) ? nil : $0 }
        /// What the new version's index names: where the prefix is saved, if either knows.
        let named = prefix.base == nil ? copy.prefix : prefix
        /// The ancestors of a version written over each version whose index was read.
        var ancestry = [etag: index.ancestryOfNext]
        /// The ETag the last lost completion would have given: its index went up with it, and is
        /// dropped once a read tells which version won (unless that one has the same bytes, and
        /// so the same ETag and index).
        var lostIndex: String?
        /// What that completion wrote, and the version it completed over.
        var lostWrite: (outcomes: [CatalogMerge.Outcome], index: CatalogIndex, over: String)?
        /// Whether the last lost completion's 412 came on a retry (it may have landed, its answer
        /// lost), and no read has shown since that it did not.
        var lostOnRetry = false
        /// That completion as written, once a read shows its version current, or an ancestor of
        /// the current one: its own completion landed with its answer lost (the retry's 412), or
        /// another writer's of the same bytes. Its caller then re-checks its keys, which nobody
        /// else would. (Its upload, if still there, is aborted on the way out.)
        func landed() -> (outcomes: [CatalogMerge.Outcome], result: WriteResult)? {
            guard let lost = lostIndex, let (written, index, over) = lostWrite else { return nil }
            lostIndex = nil
            var named = index
            named.etag = lost
            if over != lost { store.deleteInBackground(bucket: bucket, key: indexKey(over)) }
            return (written, .written(CatalogVersion(etag: lost, index: named, whole: nil)))
        }
        /// A conflict, with what the lost completion, if any, changed (it may have landed all the
        /// same: its caller re-checks those keys) in place of this attempt's outcomes.
        func conflict() -> (outcomes: [CatalogMerge.Outcome], result: WriteResult) {
            guard lostOnRetry, let lost = lostWrite else { return (outcomes, .conflict()) }
            return (zip(outcomes, lost.outcomes).map { $1.changed ? $1 : $0 }, .conflict(mayHaveLanded: true))
        }
        /// Read afresh: `.changed`, or, after a completion that may have landed, a conflict that
        /// reports what that completion changed, so that its caller re-checks those keys.
        func afresh() throws(CatalogFileError) -> (outcomes: [CatalogMerge.Outcome], result: WriteResult) {
            if lostOnRetry { return conflict() }
            throw .changed
        }
        /// Drops that completion's index: a read showed another version current.
        func dropLostIndex() {
            if let lost = lostIndex { store.deleteInBackground(bucket: bucket, key: indexKey(lost)) }
            lostIndex = nil
        }
        defer { if lostIndex != nil, let now = currentETag(), now != lostIndex { dropLostIndex() } }
        for attempt in 0..<appendAttempts {
            let read = RangeRequest(key: key, range: prefix.length..<(prefix.length + tailMax + 1))
            guard case .bytes(let bytes, let now, let size) = try storage({ try store.readRanges(bucket: bucket, reads: [read])[0].get() }),
                  size - prefix.length == Int64(bytes.count) else {
                return try afresh()                          // gone, or another layout
            }
            if lostIndex == now.etag, let landed = landed() { return landed }
            let run: EntryRun
            do throws(CatalogError) {
                run = try EntryRun(bytes, atFileStart: false, atFileEnd: true, offset: prefix.length)
                if now.etag == etag && run.count != tailCount(index, after: prefix) {
                    throw .layout(offset: Int(prefix.length), problem: "the index counts another number of entries in the tail")
                }
            } catch {
                guard now.etag == etag else { return try afresh() }   // not a version with this prefix
                // The version's own index does not describe its bytes: dropped, read again.
                _ = try? store.delete(bucket: bucket, key: indexKey(etag))
                return try afresh()
            }
            var writer = RunWriter(atFileStart: false, blockTarget: blockTarget(index.size), types: TypeTable(index.types))
            outcomes = CatalogMerge.merge(run, items: 0..<run.count, observations: observations[...], policy: policy, into: &writer)
            let changes = outcomes.contains(where: \.changed) && isWorthWriting(outcomes)
            // A tail whose every entry goes is the caller's rewrite, unless a completion before
            // may have landed: its changes are reported, and the caller goes round.
            if changes && !writer.finish(atFileEnd: true) { return lostOnRetry ? conflict() : nil }
            let tail = writer.drain()
            // The tail goes up while the index of the version it was read from is read, if new:
            // whether that version's first bytes are still those copied.
            let unknown = (ancestry[now.etag] == nil ? [now.etag] : []) + (source.map { $0 == now.etag ? [] : [$0] } ?? [])
            let lookup = unknown.map(indexRead)
            let parts = changes ? [UploadPart(number: 2, source: .bytes(tail))] : []
            var sent: (etags: [String]?, reads: [Result<RangeRead, KeyReadError>]) = ([], [])
            if !parts.isEmpty || !lookup.isEmpty {
                do throws(CatalogFileError) {
                    sent = try storage { try store.uploadParts(bucket: bucket, key: key, uploadID: copy.uploadID, parts: parts, readingRanges: lookup) }
                } catch {
                    if attempt > 0 { return conflict() }   // the upload is gone (a 409 ends it): afresh
                    throw error
                }
            }
            var again = false
            for (other, answer) in zip(unknown, sent.reads) {
                if case .success(.missing) = answer, other == now.etag {
                    // No index for the tail's version: it was replaced (its index dropped), or
                    // its writer is still writing it: the tail again.
                    again = true
                    continue
                }
                guard let read = indexNaming(prefix, in: answer, of: other),
                      other != now.etag || (read.size == size && tailCount(read, after: prefix) == run.count) else {
                    guard other == source, other != now.etag else { return try afresh() }   // another layout
                    // The version the prefix was copied from is not known to have it (replaced
                    // since, its index dropped): copied again, from the version read.
                    copy = copy.from(etag)
                    guard let copied = try copyPrefix(&copy, orFrom: etag) else { return conflict() }
                    partETag = copied
                    source = nil
                    again = true
                    continue
                }
                ancestry[other] = read.ancestryOfNext
                if other == source { source = nil }
            }
            if again { continue }
            if let lost = lostIndex, ancestry[now.etag]?.contains(lost) == true, let landed = landed() { return landed }   // written over since
            if lostIndex != nil { lostOnRetry = false }      // neither current nor among its ancestors: not landed
            dropLostIndex()
            if source == now.etag { source = nil }
            guard changes else {
                open = false
                discardLater(copy)
                return (outcomes, .unchanged)
            }
            if partETag == nil {
                guard let copied = try copyPrefix(&copy, orFrom: etag) else { return conflict() }
                partETag = copied
            }
            guard let etags = sent.etags, source == nil, let ancestors = ancestry[now.etag] else { return conflict() }
            var next = CatalogIndex(etag: "", size: prefix.length + Int64(tail.count),
                                    blocks: Array(index.blocks[..<tailBlock]) + writer.blocks.map {
                                        var moved = $0
                                        moved.offset += prefix.length
                                        return moved
                                    }, types: writer.types.names)
            next.ancestors = ancestors
            next.prefix = named
            // An error here may be a completion that landed: thrown, as on the first attempt (the
            // invocation's redelivery observes again). A 412 that was its own completion, landed
            // and retried, is told by the next read (`landed`).
            let result = try complete(uploadID: copy.uploadID, partETags: [partETag!] + etags, index: next,
                                      over: CatalogVersion(etag: now.etag, index: next, whole: nil), keepingOnConflict: true)
            guard case .conflict(let retried) = result else {
                open = false
                return (outcomes, result)
            }
            lostIndex = store.predictedETag(ofParts: [partETag!] + etags)
            lostWrite = (outcomes, next, now.etag)
            lostOnRetry = retried
            // A store whose ETags cannot be predicted never tells whether a retried one landed;
            // a tail with its changes in would look like nothing to write: the caller goes round.
            if lostIndex == nil && retried { return conflict() }
        }
        if lostIndex != nil, let now = currentETag() {               // one read, for the defer too
            if now == lostIndex, let landed = landed() { return landed }
            dropLostIndex()
        }
        return conflict()
    }

    /// The upload a write of `names` into the tail of the catalog will complete. From where the
    /// prefix is saved: its creation sent, and the copy the moment it answers, neither waited
    /// for (`PrefixCopy.landed`). Else created, its prefix still to be copied (`PrefixCopy.part`)
    /// from the version current now: `cached`, the version it saw last, asked again (a 304 when
    /// it is still current) while the upload is created. `nil` when such a write would rewrite
    /// instead (see `appended`), or nothing could be learned in one round trip (the write does
    /// it all). Made before the writer observes its keys.
    public func prefixCopy(over cached: CatalogVersion, forNames names: [String]) -> PrefixCopy? {
        guard let (prefix, _) = appendable(cached, names: names) else { return nil }
        if prefix.base != nil {                              // saved: copied from there, whatever is current
            var copy = PrefixCopy(uploadID: "", prefix: prefix, source: nil, known: [cached.etag!])
            copy.creation = store.startUpload(bucket: bucket, key: key, contentType: "application/json", thenPart: copy.part(of: key))
            return copy
        }
        let probe = RangeRequest(key: key, range: 0..<1, ifNoneMatch: cached.etag)
        let (answers, upload) = store.readRanges(bucket: bucket, reads: [probe], startingUploadOf: key, contentType: "application/json")
        guard let uploadID = try? upload.get() else { return nil }
        switch answers[0] {
        case .success(.notModified):
            return PrefixCopy(uploadID: uploadID, prefix: prefix, source: cached.etag!, known: [cached.etag!])
        case .success(.bytes(_, let now, _)):
            return PrefixCopy(uploadID: uploadID, prefix: prefix, source: now.etag, known: [cached.etag!])
        default:
            _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)
            return nil
        }
    }

    /// Aborts an upload a write did not complete, once its copy, if sent, has been answered.
    public func discard(_ copy: PrefixCopy) {
        guard let copy = copy.landed() else { return }
        _ = try? copy.started?.etag()
        _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: copy.uploadID)
    }

    /// `discard`, both steps later (`ObjectStore.abortInBackground`): for the upload of a round
    /// that found nothing to write, the writer's last, so that it answers without waiting for
    /// a copy it started in case it would write (about a second at 1,000,000 entries). A
    /// creation still in flight is collected now (a round trip at most: the abort needs its id).
    public func discardLater(_ copy: PrefixCopy) {
        guard let copy = copy.landed() else { return }
        store.abortInBackground(bucket: bucket, key: key, uploadID: copy.uploadID, after: copy.started)
    }

    /// Whether a write of `names` over `version` goes into its tail alone (`appended`).
    public func appends(_ names: [String], over version: CatalogVersion) -> Bool {
        appendable(version, names: names) != nil
    }

    /// `appendable` for the lowest of `names`.
    private func appendable(_ version: CatalogVersion, names: [String]) -> (CatalogIndex.Prefix, Int)? {
        names.min(by: { ExactKey($0) < ExactKey($1) }).flatMap { appendable(version, lowest: $0) }
    }

    /// The prefix of `version` and the block its tail starts with, when names from `lowest` on
    /// can be written by `appended`.
    private func appendable(_ version: CatalogVersion, lowest: String) -> (CatalogIndex.Prefix, Int)? {
        let index = version.index
        guard appendAttempts > 0, version.whole == nil, version.etag != nil, let prefix = index.prefix,
              index.size - prefix.length <= tailMax, let tailBlock = index.block(startingAt: prefix.length),
              !(ExactKey(lowest) < index.blocks[tailBlock].firstName) else { return nil }
        return (prefix, tailBlock)
    }

    /// The ETag of `copy`'s first part, copying the prefix now if it is not yet: from where it is
    /// saved, else from the catalog: `etag`, or, if that was replaced before the copy began, the
    /// version that replaced it, if its index names the same prefix (read while copying). `nil`
    /// when none could be.
    private func copyPrefix(_ copy: inout PrefixCopy, orFrom etag: String) throws(CatalogFileError) -> String? {
        for _ in 0..<appendAttempts {
            if let etag = copy.partETag { return etag }
            let lookup = copy.source.flatMap { copy.known.contains($0) ? nil : [indexRead($0)] } ?? []
            let sent: (etags: [String]?, reads: [Result<RangeRead, KeyReadError>])
            do throws(CatalogFileError) {
                if let started = copy.started {
                    // Sent before the write, its answer is this attempt's (its source's index is
                    // read with the tail: `appended`'s `source`).
                    copy.started = nil
                    sent = (try storage { try started.etag() }.map { [$0] }, [])
                } else {
                    sent = try storage { [copy] in
                        try store.uploadParts(bucket: bucket, key: key, uploadID: copy.uploadID, parts: [copy.part(of: key)],
                                              readingRanges: lookup)
                    }
                }
            } catch {
                // The saved prefix gone, or a version not known to be one with this prefix (one
                // shorter than it is refused): from the version read. From that one, an error.
                guard copy.source != etag else { throw error }
                copy = copy.from(etag)
                continue
            }
            if let etags = sent.etags {
                if let answer = sent.reads.first, let source = copy.source {
                    guard indexNaming(copy.prefix, in: answer, of: source) != nil else {
                        copy = copy.from(etag)               // not known to be one with this prefix
                        continue
                    }
                    copy.known.insert(source)
                }
                return etags[0]
            }
            guard copy.source != nil else {
                copy = copy.from(etag)                       // the saved prefix is not the one named
                continue
            }
            guard let now = currentETag() else { return nil }
            copy = copy.from(now)
        }
        return nil
    }

    /// Saves a new prefix as an object of its own (`prefixKey`) before the version that names it
    /// is published: one part copied from `version` (the bytes a rewrite keeps below its first
    /// rewritten window are those of the version it replaces), completed. Its ETag is what the
    /// index names as `base`, so every writer learns where the prefix is saved from the first
    /// index that names it, and finds it there: it copies the prefix from there, never from a
    /// version another writer may replace meanwhile. `nil` (the prefix copied from the catalog
    /// instead) when any step fails. The caller deletes it if its version is not published.
    func savedPrefix(_ prefix: CatalogIndex.Prefix, from version: CatalogVersion) -> String? {
        guard let etag = version.etag, prefix.length <= version.size else { return nil }
        let saved = Self.prefixKey(prefix, of: key)
        guard let uploadID = try? store.startUpload(bucket: bucket, key: saved, contentType: "application/json") else { return nil }
        let part = UploadPart(number: 1, source: .copy(key: key, range: 0..<prefix.length, ifMatch: etag))
        guard let copied = try? store.uploadParts(bucket: bucket, key: saved, uploadID: uploadID, parts: [part]),
              case .written(let base)? = try? store.completeUpload(bucket: bucket, key: saved, uploadID: uploadID, partETags: copied,
                                                                 ifMatch: nil) else {
            _ = try? store.abortUpload(bucket: bucket, key: saved, uploadID: uploadID)
            return nil
        }
        return base
    }

    /// Deletes the saved copy of `prefix`, if any. Best effort.
    func dropSaved(_ prefix: CatalogIndex.Prefix) {
        _ = try? store.delete(bucket: bucket, key: Self.prefixKey(prefix, of: key))
    }

    /// After a rewrite won: drops the saved prefix the version it replaced named (`old`), when
    /// the new version does not name the same one. Best effort: one not dropped is left behind.
    func droppingPrefix(_ old: CatalogIndex.Prefix?, for version: CatalogVersion) {
        if let old, old.base != nil, !(version.index.prefix.map { $0.isSame(as: old) } ?? false) { dropSaved(old) }
    }

    /// Entries in the tail after `prefix` of the version `index` describes.
    private func tailCount(_ index: CatalogIndex, after prefix: CatalogIndex.Prefix) -> Int? {
        index.block(startingAt: prefix.length).map { index.count(of: $0..<index.blocks.count) }
    }

    /// A read of the index of version `etag`, sent with other requests (`uploadParts`).
    private func indexRead(_ etag: String) -> RangeRequest {
        RangeRequest(key: indexKey(etag), range: 0..<(16 << 20))  // 10,000,000 entries need about 1 MB
    }

    /// The index `answer` read for version `etag`, if it names `prefix`.
    private func indexNaming(_ prefix: CatalogIndex.Prefix, in answer: Result<RangeRead, KeyReadError>, of etag: String) -> CatalogIndex? {
        guard case .success(.bytes(let found, _, _)) = answer, let index = CatalogIndex(parsing: found), index.etag == etag,
              index.prefix?.isSame(as: prefix) == true else { return nil }
        return index
    }

    /// The prefix the index of a version written by a rewrite names: the one of the version it
    /// replaces, when the write copied those bytes unchanged (its first rewritten byte,
    /// `keptBelow`, is not before the prefix's end) and the tail is still short; else, when the
    /// write changed only the last `tailMax` bytes (new names at the end of the name order), a
    /// new one that leaves about `tailTarget` bytes after it, within the bytes the write kept (so
    /// that it can be saved from the version it replaces, `savedPrefix`). None for writes all over the
    /// catalog (no tail to append to), or when it would be too small to be copied as a part.
    func prefix(of index: CatalogIndex, over old: CatalogIndex.Prefix? = nil, keptBelow: Int64 = 0) -> CatalogIndex.Prefix? {
        if let old, old.length <= keptBelow, index.size - old.length <= tailMax, (index.block(startingAt: old.length) ?? 0) > 0 {
            return old
        }
        guard keptBelow >= index.size - tailMax,
              let block = index.blocks.lastIndex(where: { $0.offset <= min(keptBelow, index.size - tailTarget) }), block > 0,
              index.blocks[block].offset >= minPart else { return nil }
        return CatalogIndex.Prefix(anchor: newAnchor(), length: index.blocks[block].offset)
    }
}
