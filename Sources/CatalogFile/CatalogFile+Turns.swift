import Storage

/// Taking turns with other writers of a big catalog, without a lock.
///
/// A big write is long (the server copies the unchanged bytes: ~1 s at 1,000,000 entries on the
/// local SeaweedFS) and every writer that starts during it over the same version loses at the
/// completion, after doing all of that work, and then races the others again. So a writer that
/// has created its upload looks at the catalog's other uploads in progress, ordered by start
/// (`UploadInProgress.isBefore`). If one started before its own, it aborts its upload (a writer
/// that waits holds none, so nobody waits for a waiter), waits until those are gone, and goes
/// round over the new version instead of copying one about to be replaced.
///
/// Start times are to the second, so two writers that started in the same second order by id,
/// and the first by id may be the one that started later, unseen by the other. It therefore
/// looks once more, a moment later, at the same-second uploads after its own: one whose writer
/// saw it has been dropped by then (that writer is waiting), one still there is being written
/// (its writer did not see this one), and this writer waits for it.
///
/// The first look also asks whether the version read is still current (one round trip for both):
/// a writer that completed between this writer's read and its look has left no upload to see, and
/// this writer goes round at once instead of copying a replaced version.
///
/// It is only a courtesy: the conditional completion is still what keeps the catalog right. A
/// listing that fails, an upload left by a writer that died (started `staleUploadMs` before this
/// writer's, or outlasting a whole wait: `outlasted`, not waited for again), or writers that
/// miss each other only bring back the race, never a wrong catalog.
extension CatalogFile {
    /// What a writer decided after looking at the other uploads of the catalog.
    enum Turn: Equatable {
        /// Write now with the upload it holds.
        case write
        /// Its upload is aborted: it waited `waitedMs` (by the clock, looks included) for other
        /// writers, then goes round again. `outlasted`: uploads still there when the wait allowed
        /// ran out (their writers may have died: see `CatalogUpdater`).
        case wait(waitedMs: Int, outlasted: [String])
    }

    /// How long a writer of a catalog of `size` bytes allowed to wait `mayWaitMs` may wait for
    /// its turn: 0 (no turn taken) below `turnMinBytes`, or when it could not even look twice.
    public func turnLimit(mayWaitMs: Int, size: Int64) -> Int {
        let limit = min(mayWaitMs, turnWaitLimitMs)
        return size >= turnMinBytes && limit >= 2 * turnPollMs ? limit : 0
    }

    /// Looks at the other uploads in progress of the catalog and waits for those started before
    /// `upload`, and for same-second ones after it by id still there at a second look (at most
    /// `limit` ms: `turnLimit`), ignoring `ignoring`; goes round at once if the catalog is no
    /// longer the version `etag` this writer read. An upload it cannot abort is written: left
    /// behind, it would hold up every writer, this one first. `beforeWaiting` is called once its
    /// upload is aborted, before it waits (to hand its changes to the writer ahead).
    func takeTurn(with upload: String, over etag: String, upToMs limit: Int, ignoring: Set<String>,
                  beforeWaiting: () -> Void = {}) -> Turn {
        let started = nowMs()
        var slept = 0
        var poll = turnPollMs
        /// Sleeps one poll; past `turnPollSteadyMs`, each longer than the last (to `turnPollMaxMs`):
        /// a long wait is a long write, and every waiter's look is a request the server answers
        /// during it.
        func sleep() {
            sleepMs(poll)
            slept += poll
            if waited() >= turnPollSteadyMs { poll = min(turnPollMaxMs, poll * 3 / 2) }
        }
        /// By the clock, or by the sleeps where the clock stands still (tests).
        func waited() -> Int { max(slept, Int(clamping: nowMs() - started)) }
        let probe = RangeRequest(key: key, range: 0..<1, ifNoneMatch: etag)
        let (answers, listed) = store.readRanges(bucket: bucket, reads: [probe], listingUploadsOf: key)
        switch answers.first {
        case .success(.notModified)?, .failure?, nil:
            break
        case .success?:                                      // replaced (or gone): nothing to wait for
            guard (try? store.abortUpload(bucket: bucket, key: key, uploadID: upload)) != nil else { return .write }
            return .wait(waitedMs: 0, outlasted: [])
        }
        var firstLook: Set<String>?
        var blockers: Set<String> = []
        var listing = try? listed.get()
        while blockers.isEmpty {
            guard let uploads = listing, let mine = uploads.first(where: { $0.id == upload }) else { return .write }
            let rivals = uploads.filter {
                $0.id != upload && !ignoring.contains($0.id) && mine.initiatedMs - $0.initiatedMs <= staleUploadMs
                    && $0.initiatedMs / 1000 <= mine.initiatedMs / 1000
            }
            let before = rivals.filter { $0.isBefore(mine) }
            if !before.isEmpty {
                blockers = Set(before.map(\.id))
            } else if let firstLook {
                // Same second, after it by id, seen both times: its writer did not see this one.
                blockers = Set(rivals.map(\.id)).intersection(firstLook)
                if blockers.isEmpty { return .write }
            } else if rivals.isEmpty {
                return .write
            } else {
                firstLook = Set(rivals.map(\.id))
                sleep()
                listing = try? store.uploadsInProgress(bucket: bucket, key: key)
            }
        }
        guard (try? store.abortUpload(bucket: bucket, key: key, uploadID: upload)) != nil else { return .write }
        beforeWaiting()
        while true {
            guard waited() + poll <= limit else { return .wait(waitedMs: waited(), outlasted: blockers.sorted()) }
            sleep()
            guard let uploads = try? store.uploadsInProgress(bucket: bucket, key: key) else { break }
            if !uploads.contains(where: { blockers.contains($0.id) }) { break }
        }
        return .wait(waitedMs: waited(), outlasted: [])
    }
}
