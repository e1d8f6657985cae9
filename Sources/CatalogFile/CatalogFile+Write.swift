import Basics
import Catalog
import Storage

extension CatalogFile {
    /// What a write did.
    public enum WriteResult: Sendable {
        /// No observation changed an entry, or none the caller judged worth a write
        /// (`isWorthWriting`), and the file needs no conversion: nothing written.
        case unchanged
        /// The new version, which is now current.
        case written(CatalogVersion)
        /// Another writer changed the catalog first (412 or 409 on the compare-and-swap, or a
        /// copied range no longer its version): read the current version and apply again.
        /// `mayHaveLanded`: the 412 came on a retry, and nothing tells that the write before it
        /// did not land, its answer lost; its caller then re-checks the keys it changed.
        case conflict(mayHaveLanded: Bool = false)
        /// Nothing written, its upload aborted: this writer waited `waitedMs` for other writers'
        /// uploads that started before its own, or found the version replaced (`takeTurn`). Read
        /// the current version and apply again, at once, not waiting again for the uploads it
        /// `outlasted` (their writers probably died).
        case yielded(waitedMs: Int, outlasted: [String])
    }

    /// Applies `observations` (sorted by name, one per name: `Observation.sortedLatest`) to
    /// `version` and writes the result as the next version, only if `version` is still current
    /// (with `unconfirmed`, the version the tail's read names: see below).
    ///
    /// A small catalog is rewritten whole with one PutObject. A big one is written as a multipart
    /// upload: first only the blocks the observations fall in are read, to learn what changes;
    /// then only the windows around the changed blocks are read, merged and uploaded, and the
    /// rest is copied server-side from `version` (pinned to its ETag). The index of the new
    /// version is sent with the completion, under the ETag S3 will give it: a reader that finds
    /// the version a moment before its index waits for it (`indexWaits`), and an index that could
    /// not be written is rebuilt by the next reader. Before a big write, the writer waits up to
    /// `mayWaitMs` for the writers that started theirs before it, but those in `ignoring`
    /// (`takeTurn`), calling `beforeWaiting` first. Nothing is written when `isWorthWriting`
    /// says the outcomes are not worth a write (by default: when nothing changes). Observations
    /// that all fall in the tail after the prefix the version's index names are written into the
    /// tail alone (`appended`), completing `prefixCopy` when it copied that prefix.
    ///
    /// `version` may be one the caller knew rather than read (`unconfirmed`, when `appends` says
    /// the observations go into its tail): the first read of the tail learns which version is
    /// current, which saves the round trips of reading it first. `.changed` when the write turns
    /// out not to be one into the tail: read the current version, and write again.
    public func write(_ observations: [Observation], over version: CatalogVersion, unconfirmed: Bool = false, policy: UpsertPolicy,
                      prefixCopy: PrefixCopy? = nil, mayWaitMs: Int = 0, ignoring: Set<String> = [], beforeWaiting: () -> Void = {},
                      isWorthWriting: ([CatalogMerge.Outcome]) -> Bool = { $0.contains(where: \.changed) })
        throws(CatalogFileError) -> (outcomes: [CatalogMerge.Outcome], result: WriteResult) {
        if let appended = try appended(observations, over: version, policy: policy, prefixCopy: prefixCopy,
                                       isWorthWriting: isWorthWriting) {
            return appended
        }
        if unconfirmed { throw .changed }
        if let whole = version.whole {
            var (outcomes, writer) = CatalogMerge.apply(observations, to: whole, policy: policy, blockTarget: blockTarget(version.size))
            guard (outcomes.contains(where: \.changed) && isWorthWriting(outcomes)) || isWorthConverting(version) else {
                return (outcomes, .unchanged)
            }
            var index = CatalogIndex(etag: "", size: writer.written, blocks: writer.blocks, types: writer.types.names)
            if version.etag != nil { index.ancestors = version.index.ancestryOfNext }
            let bytes = writer.drain()
            if bytes.count <= singlePutMax { return (outcomes, kept(try putWhole(bytes, index: index, over: version), over: version)) }
            return (outcomes, kept(try upload(parts: stride(from: 0, to: bytes.count, by: partTarget).map {
                Array(bytes[$0..<min(bytes.count, $0 + partTarget)])
            }, index: index, over: version), over: version))
        }
        let index = version.index
        let blockOf = observations.map { index.block(containing: ExactKey($0.name)) }
        var ranges: [Int: Range<Int>] = [:]                  // block → its observations
        for (i, block) in blockOf.enumerated() { ranges[block] = (ranges[block]?.lowerBound ?? i)..<(i + 1) }
        let touched = ranges.keys.sorted()
        // A catalog past one PutObject is spliced if anything changes: its upload is created with
        // the first read, and aborted if nothing does.
        let held = try HeldWindows(prefetched(touched, of: version), of: version, in: self,
                                   startingUpload: index.size > Int64(singlePutMax))
        var speculative = held.uploadID
        defer { if let id = speculative { _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: id) } }

        // What changes: the touched blocks alone, merged into nothing.
        var outcomes = [CatalogMerge.Outcome](repeating: .unchanged, count: observations.count)
        var merged: [Int: (size: Int64, count: Int)] = [:]
        for group in stride(from: 0, to: touched.count, by: 128).map({ Array(touched[$0..<min(touched.count, $0 + 128)]) }) {
            let runs = try held.runs(of: group.map { $0..<($0 + 1) })
            for (block, (run, items)) in zip(group, runs) {
                var scratch = RunWriter(atFileStart: block == 0, blockTarget: .max, types: TypeTable())
                let result = CatalogMerge.merge(run, items: items, observations: observations[ranges[block]!],
                                                policy: policy, into: &scratch)
                for (i, outcome) in zip(ranges[block]!, result) { outcomes[i] = outcome }
                if result.contains(where: \.changed) {
                    let framed = scratch.finish(atFileEnd: block == index.blocks.count - 1)
                    merged[block] = (framed ? scratch.written : 0, scratch.count)
                }
            }
        }
        guard !merged.isEmpty && isWorthWriting(outcomes) else { return (outcomes, .unchanged) }
        let plan = validPlan(index: index, changed: merged)
        if plan.rewritesEverything && index.size <= Int64(singlePutMax) {
            let (run, items) = try held.runs(of: [0..<index.blocks.count])[0]
            var writer = RunWriter(atFileStart: true, blockTarget: blockTarget(index.size), types: TypeTable())
            _ = CatalogMerge.merge(run, items: items, observations: observations[...], policy: policy, into: &writer)
            _ = writer.finish(atFileEnd: true)
            var newIndex = CatalogIndex(etag: "", size: writer.written, blocks: writer.blocks, types: writer.types.names)
            newIndex.ancestors = version.index.ancestryOfNext
            return (outcomes, kept(try putWhole(writer.drain(), index: newIndex, over: version), over: version))
        }
        let turnMs = turnLimit(mayWaitMs: mayWaitMs, size: index.size)
        if speculative == nil && index.size > Int64(singlePutMax) && turnMs > 0 {
            // Windows too big to read with the first round (changes all over the catalog: the
            // longest writes of all): the upload is created now, to take a turn with it.
            speculative = try storage { try store.startUpload(bucket: bucket, key: key, contentType: "application/json") }
        }
        if let id = speculative, turnMs > 0,
           case .wait(let waited, let outlasted) = takeTurn(with: id, over: version.etag ?? "", upToMs: turnMs, ignoring: ignoring,
                                                       beforeWaiting: beforeWaiting) {
            speculative = nil                                // aborted before it waited
            return (outcomes, .yielded(waitedMs: waited, outlasted: outlasted))
        }
        let uploadID = speculative
        speculative = nil                                    // the splice completes or aborts it
        let result = try splice(plan, observations: observations, ranges: ranges, policy: policy, held: held,
                                uploadID: uploadID, over: version)
        return (outcomes, kept(result, over: version))
    }

    /// `result`, the saved prefix `version` named dropped when the new version does not name it.
    private func kept(_ result: WriteResult, over version: CatalogVersion) -> WriteResult {
        if case .written(let next) = result { droppingPrefix(version.index.prefix, for: next) }
        return result
    }

    /// Whether `version` is written even when nothing changes: a big catalog converted in memory
    /// (until then every reader without this process's copy reads it whole again), or one with
    /// duplicate names.
    public func isWorthConverting(_ version: CatalogVersion) -> Bool {
        version.duplicatesRemoved > 0 || (version.needsConversion && version.size > Int64(smallBytes))
    }

    /// The windows a write around `touched` will rewrite, when they are small enough to read at
    /// once (changes near the end of the name order, the usual case): read while learning what
    /// changes, they need no second read, which would widen the window in which another writer
    /// can win. Bigger windows are read a chunk at a time when they are written (bounded memory).
    func prefetched(_ touched: [Int], of version: CatalogVersion) -> [Range<Int>] {
        let windows = SplicePlan(index: version.index, touched: touched, minPart: minPart, target: windowTarget).regions.compactMap {
            if case .rewrite(let blocks) = $0 { blocks } else { nil }
        }
        let bytes = windows.reduce(Int64(0)) { $0 + SplicePlan.length(version.index.range(of: $1)) }
        return bytes <= Int64(chunkBytes) ? windows : []
    }

    /// The plan for the changed blocks, grown until every window it rewrites can be a part:
    /// at least `minPart` unless it ends the file, and never empty before or after copied bytes.
    func validPlan(index: CatalogIndex, changed: [Int: (size: Int64, count: Int)]) -> SplicePlan {
        var plan = SplicePlan(index: index, touched: changed.keys, minPart: minPart, target: windowTarget, copyTarget: copyTarget)
        let n = index.blocks.count
        while true {
            var grow: Int?
            for (r, region) in plan.regions.enumerated() {
                guard case .rewrite(let blocks) = region else { continue }
                var size: Int64 = 0, count = 0
                for block in blocks {
                    let after = changed[block] ?? (SplicePlan.length(index.range(of: block)), index.blocks[block].count)
                    size += after.size
                    count += after.count
                }
                let final = blocks.upperBound == n
                if !final && (count == 0 || size < minPart) {
                    grow = blocks.upperBound                 // the block after it
                } else if final && count == 0 && r > 0 {
                    grow = blocks.lowerBound - 1             // the block before it
                }
                if grow != nil { break }
            }
            guard let grow else { return plan }
            plan = plan.grown(by: grow, index: index, minPart: minPart, target: windowTarget)
        }
    }

    /// Writes `plan` as a multipart upload: copies of the old bytes, and the rewritten windows,
    /// read, merged and uploaded a chunk at a time so that memory stays bounded however big the
    /// catalog.
    private func splice(_ plan: SplicePlan, observations: [Observation], ranges: [Int: Range<Int>],
                        policy: UpsertPolicy, held: HeldWindows, uploadID started: String?,
                        over version: CatalogVersion) throws(CatalogFileError) -> WriteResult {
        let index = version.index, n = index.blocks.count, etag = version.etag!
        let uploadID: String
        if let started { uploadID = started } else {
            uploadID = try storage { try store.startUpload(bucket: bucket, key: key, contentType: "application/json") }
        }
        var undescribed = false
        do throws(CatalogFileError) {
            let types = TypeTable(index.types)
            var blocks: [CatalogIndex.Block] = []
            var parts: [UploadPart] = []
            var position: Int64 = 0
            var partETags: [String] = []
            var pendingBytes = 0
            func flush() throws(CatalogFileError) {
                guard !parts.isEmpty else { return }
                guard let etags = try storage({ try store.uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: parts) }) else {
                    throw .changed
                }
                partETags += etags
                parts = []
                pendingBytes = 0
            }
            func add(_ source: UploadPart.Source, bytes: Int) throws(CatalogFileError) {
                parts.append(UploadPart(number: partETags.count + parts.count + 1, source: source))
                pendingBytes += bytes
                if pendingBytes >= 2 * partTarget { try flush() }
            }
            for region in plan.regions {
                switch region {
                case .copy(let range):
                    for block in index.blocks where range.contains(block.offset) {
                        var moved = block
                        moved.offset = block.offset - range.lowerBound + position
                        blocks.append(moved)
                    }
                    try add(.copy(key: key, range: range, ifMatch: etag), bytes: 0)
                    position += SplicePlan.length(range)
                case .rewrite(let window):
                    var writer = RunWriter(atFileStart: window.lowerBound == 0, blockTarget: blockTarget(index.size),
                                           types: types)
                    for chunk in chunks(of: window, in: index) {
                        guard let pieces = try held.pieces(of: chunk, touched: { ranges[$0] != nil }) else {
                            undescribed = true
                            throw .changed
                        }
                        for piece in pieces {
                            switch piece {
                            case .run(let run, let items, let blocks):
                                let inRun = blocks.compactMap { ranges[$0] }
                                let slice = inRun.isEmpty ? observations[0..<0] : observations[inRun.first!.lowerBound..<inRun.last!.upperBound]
                                _ = CatalogMerge.merge(run, items: items, observations: slice, policy: policy, into: &writer)
                            case .block(let block, let entries):
                                writer.appendBlock(entries, as: index.blocks[block])
                            }
                            while writer.bytes.count >= partTarget + Int(minPart) {
                                try add(.bytes(writer.drain(partTarget)), bytes: partTarget)
                            }
                        }
                    }
                    guard writer.finish(atFileEnd: window.upperBound == n) else { throw .changed }
                    for block in writer.blocks {
                        var moved = block
                        moved.offset += position
                        blocks.append(moved)
                    }
                    position += writer.written
                    let rest = writer.drain()
                    try add(.bytes(rest), bytes: rest.count)
                }
            }
            try flush()
            var newIndex = CatalogIndex(etag: "", size: position, blocks: blocks, types: types.names)
            newIndex.ancestors = index.ancestryOfNext
            // Bytes before the first rewritten window are copies, at the same offsets.
            let firstRewritten = plan.regions.lazy.compactMap { if case .rewrite(let window) = $0 { index.range(of: window).lowerBound } else { nil } }.first
            newIndex.prefix = prefix(of: newIndex, over: index.prefix, keptBelow: firstRewritten ?? position)
            // A new prefix is saved before the version that names it is published (`savedPrefix`),
            // and deleted if that version is not.
            let saved = newIndex.prefix.flatMap { $0.base == nil ? savedPrefix($0, from: version) : nil }
            if let saved { newIndex.prefix?.base = saved }
            let result: WriteResult
            do throws(CatalogFileError) {
                result = try complete(uploadID: uploadID, partETags: partETags, index: newIndex, over: version)
            } catch {
                if saved != nil, let prefix = newIndex.prefix { dropSaved(prefix) }
                throw error
            }
            if saved != nil, let prefix = newIndex.prefix, case .conflict = result { dropSaved(prefix) }
            return result
        } catch .changed {
            _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)
            // An index that does not describe its version's bytes is no conflict: its caller
            // must read the version afresh (and index it again), not write over it once more.
            if undescribed { throw .changed }
            return .conflict()
        } catch {
            _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Consecutive blocks of `window`, each run of them at most `chunkBytes` (or one block).
    private func chunks(of window: Range<Int>, in index: CatalogIndex) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = window.lowerBound
        while start < window.upperBound {
            var end = start + 1
            while end < window.upperBound && SplicePlan.length(index.range(of: start..<(end + 1))) <= Int64(chunkBytes) { end += 1 }
            chunks.append(start..<end)
            start = end
        }
        return chunks
    }

    /// Several parts of a whole new catalog, uploaded (nothing to copy: a conversion, or a
    /// catalog too big for one PutObject).
    private func upload(parts: [[UInt8]], index: CatalogIndex, over version: CatalogVersion) throws(CatalogFileError) -> WriteResult {
        let uploadID = try storage { try store.startUpload(bucket: bucket, key: key, contentType: "application/json") }
        let requests = parts.enumerated().map { UploadPart(number: $0.offset + 1, source: .bytes($0.element)) }
        do throws(CatalogFileError) {
            guard let etags = try storage({ try store.uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: requests) }) else {
                _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)
                return .conflict()
            }
            return try complete(uploadID: uploadID, partETags: etags, index: index, over: version)
        } catch {
            _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)   // its parts are not left behind
            throw error
        }
    }

    /// Completes an upload as the next version, its index written at the same time under the
    /// ETag the version will have (one round trip for both; a reader that finds the version a
    /// moment before its index waits for it, `indexWaits`). An index write that failed is
    /// written again once the version is kept, or at once when a retry's 412 leaves that unknown
    /// (best effort: a reader rebuilds an index it cannot find). A lost upload is aborted, and
    /// the index written for it dropped, unless the caller means to complete it again
    /// (`keepingOnConflict`: `appended`, which drops that index once its next read tells it
    /// which version won; the conflict says whether its 412 came on a retry, when the
    /// completion may have landed); a "lost" one whose ETag is the current version's is written
    /// (`published`).
    func complete(uploadID: String, partETags: [String], index: CatalogIndex, over version: CatalogVersion,
                  keepingOnConflict: Bool = false) throws(CatalogFileError) -> WriteResult {
        let outcome: StoredWrite
        let predicted = store.predictedETag(ofParts: partETags)
        var indexed = false
        if let etag = predicted {
            var named = index
            named.etag = etag
            (outcome, indexed) = try storage {
                try store.completeUpload(bucket: bucket, key: key, uploadID: uploadID, partETags: partETags, ifMatch: version.etag,
                                         writing: indexKey(etag), bytes: named.serialized(), contentType: "application/json")
            }
        } else {
            outcome = try storage {
                try store.completeUpload(bucket: bucket, key: key, uploadID: uploadID, partETags: partETags, ifMatch: version.etag)
            }
        }
        if case .conflict(let retried) = outcome {
            // A completion that may have landed gets its index again if the one sent with it
            // failed: a reader of the version it may have become would otherwise index it
            // (176 MB at 1,000,000 entries). Dropped like the other once another version is
            // known current.
            if retried, !indexed, let etag = predicted { indexed = (try? writeIndex(index, etag: etag)) != nil }
            if keepingOnConflict { return .conflict(mayHaveLanded: retried) }
            _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: uploadID)
        }
        return try published(outcome, index: index, predicted: indexed ? predicted : "", whole: nil, over: version)
    }

    /// One PutObject of a whole new catalog; a big one gets its index first, best effort (one
    /// that could not be written is written after the PutObject, or rebuilt by the next reader:
    /// a catalog of 1–16 MiB was not written at all while its index could not be).
    private func putWhole(_ bytes: [UInt8], index: CatalogIndex, over version: CatalogVersion) throws(CatalogFileError) -> WriteResult {
        let indexed = bytes.count > smallBytes
        var predicted = indexed ? store.predictedETag(ofBytes: bytes[...]) : nil
        if let etag = predicted, (try? writeIndex(index, etag: etag)) == nil { predicted = nil }
        var outcome = try storage {
            try store.write(bucket: bucket, key: key, bytes: bytes, contentType: "application/json", ifMatch: version.etag)
        }
        // A retry's 412 may be this PutObject's own, landed with its answer lost: then the
        // current version has its ETag, and it is written (its caller re-checks its keys, which
        // nobody else would). A big one is told by its index's ETag (`published`).
        if !indexed, case .conflict(retried: true) = outcome, let mine = store.predictedETag(ofBytes: bytes[...]), currentETag() == mine {
            outcome = .written(etag: mine)
        }
        let whole = indexed ? nil : try corrupt { () throws(CatalogError) in try EntryRun(bytes, atFileStart: true, atFileEnd: true) }
        return try published(outcome, index: index, predicted: indexed ? predicted ?? "" : nil, whole: whole, over: version)
    }

    /// After the compare-and-swap: the new version (its index written under its real ETag if the
    /// prediction missed, the old version's index dropped), or a conflict (the predicted index
    /// dropped, unless the current version has that ETag: then the bytes are this write's, and
    /// it is written).
    ///
    /// `predicted`: `nil` for a small catalog (no index), `""` when the ETag could not be
    /// predicted, else the predicted ETag whose index was written.
    private func published(_ outcome: StoredWrite, index: CatalogIndex, predicted: String?, whole: EntryRun?,
                           over version: CatalogVersion) throws(CatalogFileError) -> WriteResult {
        switch outcome {
        case .written(let etag):
            var index = index
            index.etag = etag
            if let predicted, predicted != etag {
                // The version is published: whatever happens to its index now, the write is done.
                // An index that could not be written is rebuilt by the next reader.
                _ = try? writeIndex(index, etag: etag)
                if !predicted.isEmpty { store.deleteInBackground(bucket: bucket, key: indexKey(predicted)) }
            }
            if let old = version.etag, old != etag, version.whole == nil || version.size > Int64(smallBytes) {
                store.deleteInBackground(bucket: bucket, key: indexKey(old))
            }
            return .written(CatalogVersion(etag: etag, index: index, whole: whole))
        case .conflict(let retried):
            guard let predicted, !predicted.isEmpty, let now = currentETag() else { return .conflict(mayHaveLanded: retried) }
            // The current version has the bytes this write sent: its own write, landed with its
            // answer lost (the retry's 412), or another writer's of the same bytes. Written: the
            // caller re-checks its keys, which nobody else would. A retry's 412 may also be its
            // own write, written over since: then it is among the current version's ancestors
            // (looked for only then, as it costs a read of an index).
            if now == predicted || (retried && (try? isKept(CatalogVersion(etag: predicted, index: index, whole: nil), over: version.etag)) == true) {
                return try published(.written(etag: predicted), index: index, predicted: predicted, whole: whole, over: version)
            }
            // Not found: lost, or, after a retry, landed and lost to a racing completion (not
            // atomic) or not told by `isKept` (an index it could not read). Its caller re-checks.
            store.deleteInBackground(bucket: bucket, key: indexKey(predicted))
            return .conflict(mayHaveLanded: retried)
        }
    }

    private func writeIndex(_ index: CatalogIndex, etag: String) throws(CatalogFileError) {
        var index = index
        index.etag = etag
        _ = try storage { try store.write(bucket: bucket, key: indexKey(etag), bytes: index.serialized(), contentType: "application/json", ifMatch: nil) }
    }

    /// Whether `version`, written over `parent` by this writer, is the current version or an
    /// ancestor of it: its write was kept. Needed only where completions are not atomic (see
    /// `ObjectStore.completionsAreAtomic`): two writers over the same version may both be told
    /// they won, and the one whose completion landed first is lost. Looks for it among the
    /// current version's ancestors (one read of its index; an older index names its parent only,
    /// and is followed); anything it cannot find counts as lost, and writing again is always safe
    /// (the update is idempotent).
    public func isKept(_ version: CatalogVersion, over parent: String?) throws(CatalogFileError) -> Bool {
        guard let mine = version.etag else { return false }
        guard var etag = currentETag() else { return false }
        for _ in 0..<CatalogIndex.maxAncestors {
            if etag == mine { return true }
            if etag == parent { return false }
            guard case .found(let bytes, _) = try storage({ try store.read(bucket: bucket, key: indexKey(etag), ifNoneMatch: nil) }),
                  let index = CatalogIndex(parsing: bytes) else { return false }
            for ancestor in index.ancestors {
                if ancestor == mine { return true }
                if ancestor == parent { return false }
            }
            guard index.ancestors.count == 1, let next = index.parent else { return false }
            etag = next
        }
        return false
    }
}
