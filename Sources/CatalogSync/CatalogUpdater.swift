import Basics
import Catalog
import CatalogFile
import Storage

/// Brings one bucket's catalog in line with S3 for a set of keys, safely under concurrency.
///
/// Each key in a batch is treated only as "K changed": the entry is rebuilt from S3's current
/// truth for K (S3 is strongly read-after-write consistent), so duplicated, reordered or late
/// events converge on the same catalog. The steps, and why their order is safe (the README's
/// "Delivery guarantees" has the whole argument):
/// 1. observe every key (concurrent ranged GETs), *before* reading the catalog, so the time
///    between the catalog read and the write holds no observation;
/// 2. read the catalog and its ETag (a 304 when the warm cache still has it), apply; a warm
///    writer into a big catalog's tail reads only the tail, whose answer names the current
///    version (`CatalogFile.write`'s `unconfirmed`);
/// 3. write with `If-Match` (or `If-None-Match: *`), or skip the write when nothing changed;
///    a lost write re-reads the catalog and re-applies the *same* observations (after backoff);
/// 4. after a write, re-check the version (ETag and Last-Modified) of every key whose entry the
///    write changed: that fences the observation. A key that changed since it was observed
///    may have been written stale: when the entry the write replaced may be its current
///    version's, only that key is observed again and the round repeats (any other stale
///    entry is mended by the writer of that version).
///    (The catalog's own ETag cannot catch this: identical catalog bytes keep the same ETag, so
///    the "nothing changed" writer of a newer event does not fence a slower, staler writer.)
public struct CatalogUpdater {
    public var store: any ObjectStore
    public var catalogKey: String
    /// How the catalog is read and written (sizes of parts, windows, chunks); its bucket is set
    /// per call.
    public var layout: CatalogFile
    /// Reads the heads of the objects a batch names.
    var observer: ObjectObserver
    /// Rounds allowed when there is no deadline (tests, the reconcile run by hand). With a
    /// deadline, the budget is time: a round is started only if one as long as the last can
    /// still end before the deadline's margin.
    public var maxAttempts = 50
    /// Backoff between conflicting writes: full jitter, doubling from 10 ms to 1 s.
    public var backoff = Backoff(baseMs: 10, maxMs: 1_000)
    /// Keys a reconcile lists at a time (S3's largest page): with the catalog entries in the same
    /// stretch of names, what the reconcile holds at once.
    public var reconcilePageSize = 1000
    /// Non-images a reconcile remembers (`ReconcileState.refused`), also while it runs: a run
    /// over a bucket of millions of other files holds no more than this many.
    public var maxRememberedRefusals = ReconcileState.maxRemembered
    /// Re-checks of at least this many keys try one listing page first (see `recheck`).
    public var listRecheckMinimum = 4
    /// A re-check's listing page asks for at most this many keys per key it confirms (and never
    /// more than S3's 1,000): a page costs time for every key it returns (~0.2 ms a key on the
    /// local server, 0.2 s for a full page), and a batch whose keys are sparser than this is
    /// cheaper to HEAD, all at once.
    public var listKeysPerRecheck = 4
    /// The most keys a writer carries for other writers (`Handover`): about four big SQS
    /// batches, which its re-check may have to HEAD one by one.
    public var handoverMaxKeys = 4_000
    /// The most bytes of handovers a writer reads at once (~250 bytes a key), newest first.
    public var handoverMaxBytes = 4 << 20
    /// Handovers left this long ago are deleted unread: their writers died (a catalog function
    /// lives at most 120 s).
    public var staleHandoverMs: Int64 = 300_000
    /// The reconcile deletes an index or a saved prefix nothing needs once it is this old
    /// (`dropLeftovers`): far longer than any writer that could still need it lives (120 s).
    public var leftoverAgeMs: Int64 = 3_600_000
    /// Leftovers the reconcile deletes per run, one request each (normally there are none, or
    /// a few: writers delete their own).
    public var leftoverDeletesPerRun = 100
    public var nowMs: () -> Int64 = SystemClock.epochMilliseconds
    public var sleepMs: (Int) -> Void = { SystemClock.sleep(milliseconds: $0) }
    public var random: (Int) -> Int = { Int.random(in: 0...max(0, $0)) }
    /// The last catalog version this process read or wrote per bucket, kept across warm
    /// invocations: while S3 still has it, a conditional GET answers 304 and nothing is
    /// downloaded or parsed again.
    public let cache = CatalogCache()

    public init(store: any ObjectStore, catalogKey: String) {
        self.store = store
        self.catalogKey = catalogKey
        layout = CatalogFile(store: store, bucket: "", key: catalogKey)
        observer = ObjectObserver(store: store)
    }

    /// Syncs `keys` (already decoded; duplicates, compared byte for byte, count once) into
    /// `bucket`'s catalog; stops retrying conflicts once a round could no longer end before
    /// `deadline`, so the error reaches Lambda before the timeout (without one, after
    /// `maxAttempts` rounds).
    public func sync(bucket: String, keys: [String], deadline: Deadline? = nil) throws(CatalogUpdateError) -> BucketSyncResult {
        var result = BucketSyncResult(bucket: bucket)
        try sync(bucket: bucket, keys: keys, deadline: deadline, into: &result)
        return result
    }

    /// `sync`, keeping what it did in `result` even when it fails (rounds and lost writes of a
    /// contended catalog are what its metrics are for).
    public func sync(bucket: String, keys: [String], deadline: Deadline? = nil,
                     into result: inout BucketSyncResult) throws(CatalogUpdateError) {
        // What an earlier sync of this invocation left to clean up (another bucket's upload,
        // `CatalogFile.discardLater`) goes first: other writers would wait for it meanwhile.
        store.settle()
        var seen: Set<ExactKey> = []
        var observed: [ObservedKey] = []
        var toObserve: [String] = []
        for key in keys where seen.insert(ExactKey(key)).inserted {
            if let reason = EntryBuilder.refusal(forKey: key) {
                result.skip(key, reason, .notImage)
                observed.append(ObservedKey(key: key, version: nil, entry: nil, fromKeyAlone: true))
            } else {
                toObserve.append(key)
            }
        }
        // A big catalog's prefix is copied into the upload that will write its tail while the
        // keys are observed, from the version this process saw last (see `PrefixCopy`).
        var prefixCopy = cache.versions[bucket].flatMap { file(bucket).prefixCopy(over: $0, forNames: toObserve) }
        do {
            observed += try observe(toObserve, bucket: bucket, copying: &prefixCopy, into: &result)
        } catch {
            if let prefixCopy { file(bucket).discard(prefixCopy) }
            throw error
        }
        // Reasons in the order the keys came, whatever was decided first.
        var order: [ExactKey: Int] = [:]
        for (i, key) in keys.enumerated() where order[ExactKey(key)] == nil { order[ExactKey(key)] = i }
        result.skipped = result.skipped.enumerated().sorted {
            (order[ExactKey($0.element.key)] ?? 0, $0.offset) < (order[ExactKey($1.element.key)] ?? 0, $1.offset)
        }.map(\.element)
        // A key carried for another writer whose read failed here is in no record of this
        // invocation to hand back: the next reconcile observes it first.
        defer {
            let carried = result.failedKeys.map(\.key).filter { !seen.contains(ExactKey($0)) }
            if !carried.isEmpty { leaveForReconcile(carried, bucket: bucket) }
        }
        try commit(observed, bucket: bucket, deadline: deadline, prefixCopy: prefixCopy, into: &result)
    }

    /// The reconcile's `observe`: no copy, and keys that all fail do not fail the bucket (it
    /// observes a few keys at a time, and one key that always fails would stop every run at it;
    /// it bounds the failures of a whole run instead).
    func observe(_ keys: [String], bucket: String, into result: inout BucketSyncResult) throws(CatalogUpdateError) -> [ObservedKey] {
        var none: PrefixCopy?
        return try observe(keys, bucket: bucket, copying: &none, allFailingFailsBucket: false, into: &result)
    }

    /// Observes `keys` in one concurrent batch, with `prefixCopy`'s part sent first (the server
    /// copies while the keys are observed, and the write collects the copy). A key S3 refuses
    /// for good is left out (its entry, if any, stays as it is) and recorded in `result.skipped`;
    /// a key that is not an image gives a `nil` entry and is recorded too. A key whose read
    /// fails otherwise is left out too and recorded in `result.failedKeys` (its records come
    /// back); when every key fails, the bucket does, unless `allFailingFailsBucket` is false.
    func observe(_ keys: [String], bucket: String, copying prefixCopy: inout PrefixCopy?, allFailingFailsBucket: Bool = true,
                 into result: inout BucketSyncResult) throws(CatalogUpdateError) -> [ObservedKey] {
        guard !keys.isEmpty else { return [] }
        let started = nowMs()
        prefixCopy = prefixCopy?.start(in: store, bucket: bucket, key: catalogKey)
        let answers = observer.observe(bucket: bucket, keys: keys)
        prefixCopy = prefixCopy?.landed()                   // created meanwhile, its copy sent
        result.observeMs += nowMs() - started
        var observed: [ObservedKey] = []
        var failed: [(key: String, error: CatalogUpdateError)] = []
        for (key, answer) in zip(keys, answers) {
            switch answer {
            case .success(nil):
                observed.append(ObservedKey(key: key, version: nil, entry: nil))
            case .success(let observation?):
                result.bytesRead += observation.bytesRead
                switch EntryBuilder.entry(key: key, observation: observation) {
                case .success(let entry):
                    observed.append(ObservedKey(key: key, version: observation.version, entry: entry))
                case .failure(let refusal):
                    result.skip(key, refusal.reason, refusal.kind)
                    observed.append(ObservedKey(key: key, version: observation.version, entry: nil))
                }
            case .failure(.refused(let reason)):
                result.skip(key, reason, .refused)
            case .failure(.failed(let error)):
                failed.append((key, .storage(bucket: bucket, underlying: error)))
            }
        }
        if allFailingFailsBucket, failed.count == keys.count, let first = failed.first { throw first.error }   // S3 down, not one key
        // A suspect the walk reaches again: failed once is counted once, and read since, not at all.
        let readNow = Set(observed.map { ExactKey($0.key) })
        result.failedKeys.removeAll { readNow.contains(ExactKey($0.key)) }
        let known = Set(result.failedKeys.map { ExactKey($0.key) })
        result.failedKeys += failed.filter { !known.contains(ExactKey($0.key)) }
        return observed
    }

    /// The optimistic-concurrency loop shared by `sync` and `reconcile`: read the current
    /// version (or, writing into a big catalog's tail, let the tail's read tell it), apply
    /// `observed`, write conditionally unless nothing changed, then re-check the keys whose
    /// entries the write changed. A lost write goes round again with the same observations
    /// after a jittered backoff; a key found changed, whose write may have replaced its current
    /// version's entry, is observed again, alone, and the round repeats. The time each phase
    /// takes, the lost writes and the size of the version it ends on go into `result` for the
    /// metrics. `prefixCopy` goes to the first write, which completes or aborts it.
    func commit(_ observed: [ObservedKey], bucket: String, deadline: Deadline?, prefixCopy: PrefixCopy? = nil,
                into result: inout BucketSyncResult) throws(CatalogUpdateError) {
        var observed = observed
        var conflicts = 0
        var attempt = 0
        let file = file(bucket)
        var summaryOfRound: ApplySummary?
        /// What this writer's kept writes settled of its own keys before its last round: a
        /// round after a kept write applies only the keys it must write again.
        var settled = ApplySummary()
        /// The last round's outcome for each of this writer's own keys, and the duplicates its
        /// read collapsed.
        var ownOutcomes: [ExactKey: CatalogMerge.Outcome] = [:]
        var duplicatesOfRound = 0
        /// What the last write did to each entry it changed: the entry it replaced decides whether
        /// a key its re-check finds changed sends it round (`CatalogMerge.Outcome.mayHaveReplaced`).
        var changes: [ExactKey: CatalogMerge.Outcome] = [:]
        /// What lost writes that may have landed all the same (a 412 on a retry: the answer of
        /// the write before it lost, and nothing told) would have done to the entries they
        /// changed: a later round that finds those keys as they are re-checks them before it
        /// answers, and the entries such a write would have replaced count as much as the one
        /// the round's own write replaced.
        var mayHaveLanded: [ExactKey: [CatalogMerge.Outcome]] = [:]
        /// Whether a stale `key`, now `now`, sends the writer round: whether a write of its,
        /// landed or maybe landed, replaced the entry `now` gives; `nil`: observe it to tell.
        func goesRound(_ key: ExactKey, _ now: ObjectVersion?, givesEntry: Bool?) -> Bool? {
            ((changes[key].map { [$0] } ?? []) + mayHaveLanded[key, default: []]).mayHaveReplaced(now, givesEntry: givesEntry)
        }
        /// Keys the last re-check found changed, observed again but not yet written and re-checked.
        var unconfirmed: [String] = []
        var parent: String?
        /// The longest round's work so far, at least the last round of this process that wrote:
        /// a round that yielded its turn wrote nothing and was short, the next one copies and
        /// completes.
        var longestRoundMs = cache.writeRoundMs[bucket] ?? 0
        /// Uploads this writer waited for until its wait ran out: not waited for again by it.
        var waitedOut = Set<String>()
        /// Set when a round that wrote over the version it knew, unread, lost (a conflict): the
        /// next round reads the current version first.
        var mustRead = false
        /// The keys this invocation answers for: its own, and any it carried for another writer
        /// and found changed at its re-check, or carried into a version that was then lost (its
        /// writer may have found it there and answered). Other keys it writes only with its own
        /// (`Handover`), and leaves out of its summary.
        var own = Set(observed.map { ExactKey($0.key) })
        /// Where this writer left its changes while it waited its turn, and what it left there;
        /// dropped when it ends.
        var handover: String?
        var handedOverKeys: [ObservedKey] = []
        defer { withdraw(handover, bucket: bucket) }
        /// Whether this writer ever left a handover: its changes may then be in because another
        /// writer carried them, even after it withdrew it.
        var leftHandover = false
        /// Withdraws this writer's handover, which names keys it no longer writes (settled or
        /// left): left again, with what it still writes, if it waits again.
        func withdrawHandover() {
            guard handover != nil else { return }
            withdraw(handover, bucket: bucket)
            handover = nil
            handedOverKeys = []
        }
        var prefixCopy = prefixCopy
        defer { if let prefixCopy { file.discard(prefixCopy) } }
        /// Keys left to the writers of their current versions (`goesRound`): their observations
        /// here are stale, and no later round of this writer takes them up again, not even from
        /// a handover.
        var dropped = Set<ExactKey>()
        /// Observes `stale` again, and answers for them from now on; their fresh observations
        /// (a key S3 refuses now is left out). `copying`: the next write's prefix is copied while
        /// they are observed, as for the first (only when a next round is sure: a copy left
        /// unused is waited for before its abort).
        @discardableResult
        func observeAgain(_ stale: [String], copying: Bool) throws(CatalogUpdateError) -> [ExactKey: ObservedKey] {
            unconfirmed = stale
            let again = Set(unconfirmed.map(ExactKey.init))
            own.formUnion(again)
            result.unskip(again)
            if copying { startPrefixCopy() }
            var fresh: [ExactKey: ObservedKey] = [:]
            // A key whose read fails now is left out like a refused one, and handed back (or,
            // carried for another writer, left for the reconcile: `sync`).
            for key in try observe(unconfirmed, bucket: bucket, copying: &prefixCopy, allFailingFailsBucket: false, into: &result) {
                fresh[ExactKey(key.key)] = key
            }
            observed = observed.compactMap { old in
                let key = ExactKey(old.key)
                return again.contains(key) ? fresh[key] : old     // refused now: left out
            }
            return fresh
        }
        /// Sends the next write's prefix copy, if its version is known and none is on its way.
        /// Sized for every key observed: the next round applies some of them (and what it
        /// carries), and a copy that cannot serve its write is waited for inside the write.
        func startPrefixCopy() {
            if prefixCopy == nil, let version = cache.versions[bucket] {
                prefixCopy = file.prefixCopy(over: version, forNames: observed.map(\.key))?
                    .start(in: store, bucket: bucket, key: catalogKey)
            }
        }
        /// Leaves a copy sent for a round this writer does not take to be aborted after the
        /// answer (`CatalogFile.discardLater`), instead of waiting for it now.
        func discardCopyLater() {
            if let prefixCopy { file.discardLater(prefixCopy) }
            prefixCopy = nil
        }
        while true {
            attempt += 1
            result.attempts = attempt
            let started = nowMs()
            var delay = 0
            /// Milliseconds of the round spent waiting for other writers, not working.
            var waited = 0
            let written: CatalogFile.WriteResult?
            /// The version this round read (or knew, when it wrote `unread`).
            var readVersion: CatalogVersion?
            var unread = false
            /// Whether the writer must know the version it finds its changes in, if it finds them
            /// in (`isLost` below): a version that carried them, or, where completions are not
            /// atomic, one its own lost write may have landed in, can still be replaced by a
            /// racing completion.
            var mustKnowVersion = false
            var phase = started
            /// Milliseconds since the last call (or the round's start).
            func lap() -> Int64 {
                let now = nowMs()
                defer { phase = now }
                return now - phase
            }
            do throws(CatalogFileError) {
                // A big version this process knows is written over unread when the keys go into
                // its tail: the write reads the tail first, which tells which version is current
                // (saving the round trips of reading it). Not by a writer that must know which
                // version it found its changes in.
                let cached = cache.versions[bucket]
                mustKnowVersion = leftHandover || (!store.completionsAreAtomic && !mayHaveLanded.isEmpty)
                unread = !mustRead && !mustKnowVersion && cached.map { file.appends(observed.map(\.key), over: $0) } ?? false
                mustRead = false
                let version = unread ? cached! : try file.current(cached: cached)
                readVersion = version
                result.readMs += lap()
                cache.versions[bucket] = version
                parent = version.etag
                result.catalogEntries = version.index.count
                result.catalogBytes = version.size
                // A writer waits for earlier writers at most half the time it has left, and never
                // into the time its own write needs.
                let mayWait = deadline.map { deadline in
                    let left = deadline.remainingMilliseconds(now: nowMs())
                    return Int(clamping: max(0, min(left / 2, left - 2 * longestRoundMs)))
                } ?? Int.max
                // Writers take turns here: write what other writers left, read afresh each round,
                // with this writer's own changes (its own observation of a key wins).
                let carried = layout.turnLimit(mayWaitMs: mayWait, size: version.size) > 0
                    ? handedOver(bucket: bucket, mine: handover, skipping: own.union(dropped)) : []
                // A carried key a lost write may have landed stays until it is re-checked, as
                // carried again or as this writer last had it.
                let carriedKeys = Set(carried.map { ExactKey($0.key) })
                let ownObserved = observed.filter {
                    let key = ExactKey($0.key)
                    return own.contains(key) || (mayHaveLanded[key] != nil && !carriedKeys.contains(key))
                }
                observed = carried + ownObserved
                if !carried.isEmpty { result.readMs += lap() }
                let observations = Observation.sortedLatest(observed.map(\.observation))
                /// Which of `observations` are this writer's own.
                let isOwnObservation = observations.map { own.contains(ExactKey($0.name)) }
                let copy = prefixCopy
                prefixCopy = nil
                let (outcomes, writeResult) = try file.write(observations, over: version, unconfirmed: unread, policy: EntryBuilder.policy,
                                                             prefixCopy: copy, mayWaitMs: mayWait,
                                                             ignoring: waitedOut.union(cache.dead(in: bucket, limitMs: layout.turnWaitLimitMs)),
                                                             beforeWaiting: {
                    // Left again only if what it would leave changed (keys observed again).
                    let mine = Handover(ownObserved).observed
                    guard mine != handedOverKeys else { return }
                    withdraw(handover, bucket: bucket)
                    handover = handOver(mine, bucket: bucket, deadline: deadline)
                    handedOverKeys = handover == nil ? [] : mine
                    leftHandover = leftHandover || handover != nil
                }, isWorthWriting: { outcomes in
                    // Only for its own changes: when they are in already (carried by another
                    // writer), it answers now, and what it would carry is written by those who
                    // left it, who still have changes of their own to write.
                    zip(isOwnObservation, outcomes).contains { $0 && $1.changed }
                })
                result.writeMs += lap()
                var summary = settled + ApplySummary(zip(isOwnObservation, outcomes).filter(\.0).map(\.1))
                summary.duplicatesRemoved = settled.duplicatesRemoved + version.duplicatesRemoved
                duplicatesOfRound = version.duplicatesRemoved
                summaryOfRound = summary
                changes = [:]
                ownOutcomes = [:]
                for (i, (observation, outcome)) in zip(observations, outcomes).enumerated() {
                    if outcome.changed { changes[ExactKey(observation.name)] = outcome }
                    if isOwnObservation[i] { ownOutcomes[ExactKey(observation.name)] = outcome }
                }
                written = writeResult
            } catch .changed {
                result.readMs += lap()
                cache.versions[bucket] = nil                     // it moved while its blocks were read
                written = nil
            } catch {
                // Not retried here, unread or not: the error may be a completion's whose answer
                // was lost, and only the redelivery's re-check fences what it wrote. The next
                // invocation reads the version (the cache is dropped).
                cache.versions[bucket] = nil
                throw CatalogUpdateError(error, bucket: bucket, key: catalogKey)
            }
            result.summary = summaryOfRound
            switch written {
            case .unchanged?:
                // Its changes may be in because another writer carried them, and that writer
                // may have failed before its re-check, or because its own lost write landed: it
                // answers for them itself.
                let mine = observed.indices.filter {
                    let key = ExactKey(observed[$0].key)
                    return !observed[$0].fromKeyAlone && (leftHandover && own.contains(key) || mayHaveLanded[key] != nil)
                }
                // (Any of these found changed goes round: which entry the carrier, or the lost
                // write, replaced is not weighed here.)
                let maybeLandedKeys = mayHaveLanded.keys
                mayHaveLanded = [:]
                let stale = try recheck(mine.map { observed[$0] }, bucket: bucket).map { observed[mine[$0.position]].key }
                if !mine.isEmpty { result.recheckMs += lap() }
                // Where completions are not atomic, the version that holds its changes (another
                // writer's, or its own lost write's) can still be replaced by a racing completion,
                // and with it the keys its lost write carried for others, whose writers may have
                // found them in that version and answered: a writer that goes on answers for them.
                if mustKnowVersion { own.formUnion(maybeLandedKeys) }
                if !stale.isEmpty {
                    try observeAgain(stale, copying: true)
                } else if mustKnowVersion, let read = readVersion, try isLost(read, over: read.index.parent, bucket: bucket) {
                    cache.versions[bucket] = nil
                } else {
                    unconfirmed = []
                    result.settledAtMs = nowMs()
                    return
                }
            case .written(let next)?:
                cache.writeRoundMs[bucket] = nowMs() - started
                result.writes += 1
                result.catalogEntries = next.index.count
                result.catalogBytes = next.size
                cache.versions[bucket] = next
                result.carried += changes.keys.filter { !own.contains($0) }.count
                // Only entries this write changed need fencing (and any a lost write may have
                // changed): an entry left as it was is the one its own writer published, and that
                // writer re-checks it. Its own keys, once it left a handover, may be in already
                // because a carrier published them and failed before its re-check: as when
                // nothing is written, it answers for them itself.
                let changed = observed.indices.filter {
                    let key = ExactKey(observed[$0].key)
                    return !observed[$0].fromKeyAlone
                        && (changes[key] != nil || mayHaveLanded[key] != nil || leftHandover && own.contains(key))
                }
                // Only a key whose write may have replaced its current version's entry sends the
                // writer round; observed again when its HEAD cannot tell, or when it goes round.
                var mustGoRound = false, mayGoRound: [Int] = [], left = Set<ExactKey>()
                for stale in try recheck(changed.map { observed[$0] }, bucket: bucket) {
                    let i = changed[stale.position], key = ExactKey(observed[i].key)
                    let goes: Bool? = if case .found(let now) = stale.now { goesRound(key, now, givesEntry: nil) } else { nil }
                    if goes == false {
                        left.insert(key)
                        continue
                    }
                    mustGoRound = mustGoRound || goes == true
                    mayGoRound.append(i)
                }
                result.recheckMs += lap()
                result.staleLeft += left.count
                dropped.formUnion(left)
                let keys = mayGoRound.map { observed[$0].key }
                observed.removeAll { left.contains(ExactKey($0.key)) }
                unconfirmed = []
                if !keys.isEmpty {
                    let fresh = try observeAgain(keys, copying: mustGoRound)
                    _ = lap()                                    // counted as observing
                    unconfirmed = keys.filter { key in
                        fresh[ExactKey(key)].map { goesRound(ExactKey(key), $0.version, givesEntry: $0.entry != nil) != false } ?? false
                    }
                    result.staleLeft += fresh.count - unconfirmed.count     // (refused now: left out, not counted)
                    if !unconfirmed.isEmpty { startPrefixCopy() }
                }
                let maybeLandedKeys = mayHaveLanded.keys
                mayHaveLanded = [:]
                let lost = try isLost(next, over: next.index.parent ?? parent, bucket: bucket)
                result.recheckMs += lap()
                if lost {
                    cache.versions[bucket] = nil                 // another completion replaced ours: again
                    // The writers it carried for may have found their changes in the lost version
                    // (written by it, or by its lost write before) and answered: it answers for
                    // them now.
                    own.formUnion(changes.keys)
                    own.formUnion(maybeLandedKeys)
                    result.lostWrites += 1
                    conflicts += 1
                    delay = random(conflictWait(afterAttempt: conflicts, roundMs: nowMs() - started))
                } else if unconfirmed.isEmpty {
                    discardCopyLater()                           // sent for a round not needed after all
                    result.settledAtMs = nowMs()
                    return
                } else {
                    // The write is kept: every key of its own it applied is settled (re-checked,
                    // left to its new version's writer, or as another writer published it) but
                    // those it goes round for. Applied again, the others' older observations could
                    // only write over newer entries (a key deleted and removed meanwhile, added
                    // back). Its handover names them too: withdrawn. (Carried keys come back from
                    // their owners' handovers, if still there.)
                    let again = Set(unconfirmed.map(ExactKey.init))
                    var kept = ApplySummary(ownOutcomes.filter { !again.contains($0.key) }.map(\.value))
                    kept.duplicatesRemoved = duplicatesOfRound
                    settled = settled + kept
                    observed.removeAll { !again.contains(ExactKey($0.key)) }
                    withdrawHandover()
                }
            case .conflict(let landed)?:
                // A write that may have landed: what it changed is kept (carried keys too: their
                // owners may answer meanwhile) until a later round re-checks it.
                if landed { for (key, outcome) in changes { mayHaveLanded[key, default: []].append(outcome) } }
                result.lostWrites += 1
                conflicts += 1
                mustRead = unread                                // (a version with no index, a prefix that could not be copied)
                delay = random(conflictWait(afterAttempt: conflicts, roundMs: nowMs() - started))
            case .yielded(let waitedMs, let outlasted)?:
                // The writers it waited for are done: again, now, but for a jitter that keeps two
                // writers that yielded to each other from starting again in step.
                waited = waitedMs
                delay = random(layout.turnPollMs)
                waitedOut.formUnion(outlasted)
                cache.outlast(outlasted, waitedMs: waitedMs, in: bucket)
                result.writeMs -= Int64(waitedMs)
                result.turnWaitMs += Int64(waitedMs)
            case nil:
                break
            }
            let now = nowMs()
            longestRoundMs = max(longestRoundMs, now - started - Int64(waited))
            if let deadline {
                // A new round starts only if one as long as the longest so far can still end in time.
                if !deadline.allows(waitMilliseconds: delay, thenWorkMilliseconds: longestRoundMs, now: now) { break }
            } else if attempt >= maxAttempts {
                break
            }
            // An upload a round left to abort later (`discardLater`) is gone before the next
            // round: other writers taking their turn would wait for it.
            store.settle()
            if delay > 0 { sleepMs(delay) }
        }
        if !unconfirmed.isEmpty { leaveForReconcile(unconfirmed, bucket: bucket) }
        discardCopyLater()                                   // sent for the round it cannot take
        throw .contended(bucket: bucket, key: catalogKey, attempts: result.attempts)
    }

    /// The most a writer waits after losing `attempt` writes in a row: the backoff's ceiling, but
    /// never less than the round it just lost took (at most 5 s). A big catalog's round is long
    /// (the server copies the unchanged bytes), and a loser that came back after 10 ms would only
    /// collide again with the writer still finishing its own.
    func conflictWait(afterAttempt attempt: Int, roundMs: Int64) -> Int {
        max(backoff.ceiling(afterAttempt: attempt), Int(min(max(roundMs, 0), 5_000)))
    }

    /// Hands keys this writer could not confirm to the next reconcile, which observes them first
    /// (`ReconcileState.suspects`): without that, a removal it wrote for an object uploaded again
    /// meanwhile would wait for the event's retries, or a whole reconcile pass. Best effort: one
    /// read and one conditional write of the small state object.
    func leaveForReconcile(_ keys: [String], bucket: String) {
        for _ in 0..<2 {
            var state = ReconcileState()
            var etag: String?
            if case .found(let bytes, let current)? = try? store.read(bucket: bucket, key: stateKey, ifNoneMatch: nil) {
                state = ReconcileState(parsing: bytes)
                etag = current
            }
            state.addSuspects(keys)
            let written = try? store.write(bucket: bucket, key: stateKey, bytes: state.serialized(), contentType: "application/json",
                                           ifMatch: etag)
            if case .written? = written { return }
        }
    }

    /// Whether the big version just written was lost to a completion the server let through too
    /// (only where completions are not atomic: see `ObjectStore.completionsAreAtomic`). Checked
    /// after the re-check, so that a racing completion has had time to land.
    func isLost(_ version: CatalogVersion, over parent: String?, bucket: String) throws(CatalogUpdateError) -> Bool {
        guard !store.completionsAreAtomic, version.whole == nil else { return false }
        do throws(CatalogFileError) { return try !file(bucket).isKept(version, over: parent) } catch {
            throw CatalogUpdateError(error, bucket: bucket, key: catalogKey)
        }
    }

    /// The catalog of `bucket`, as this updater reads and writes it.
    func file(_ bucket: String) -> CatalogFile {
        var file = layout
        file.bucket = bucket
        return file
    }

    /// The current version of `bucket`'s catalog (from the warm cache when S3 says 304).
    func current(_ bucket: String) throws(CatalogUpdateError) -> CatalogVersion {
        do throws(CatalogFileError) {
            let version = try file(bucket).current(cached: cache.versions[bucket])
            cache.versions[bucket] = version
            return version
        } catch {
            cache.versions[bucket] = nil
            throw CatalogUpdateError(error, bucket: bucket, key: catalogKey)
        }
    }

    func storage<T>(_ bucket: String, _ body: () throws -> T) throws(CatalogUpdateError) -> T {
        do { return try body() } catch { throw .storage(bucket: bucket, underlying: error) }
    }
}
