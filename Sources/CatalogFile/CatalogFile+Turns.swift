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
/// It is only a courtesy: the conditional completion is still what keeps the catalog right. A
/// listing that fails, an upload left by a writer that died (started `staleUploadMs` before this
/// writer's, or outlasting a whole wait: `outlasted`, not waited for again), or writers that
/// miss each other only bring back the race, never a wrong catalog.
extension CatalogFile {
    /// What a writer decided after looking at the other uploads of the catalog.
    enum Turn: Equatable {
        /// Write now with the upload it holds.
        case write
        /// Its upload is aborted: it waited `waitedMs` for other writers, then goes round again.
        /// `outlasted`: uploads still there when the wait allowed ran out.
        case wait(waitedMs: Int, outlasted: [String])
    }

    /// Looks at the other uploads in progress of the catalog and waits for those started before
    /// `upload` (at most `limitMs`, and `turnWaitLimitMs`), ignoring `ignoring`.
    func takeTurn(with upload: String, upToMs limitMs: Int, ignoring: Set<String>) -> Turn {
        let limit = min(limitMs, turnWaitLimitMs)
        guard limit >= turnPollMs else { return .write }
        var looked = false
        var blockers: Set<String> = []
        while blockers.isEmpty {
            guard let uploads = try? store.uploadsInProgress(bucket: bucket, key: key),
                  let mine = uploads.first(where: { $0.id == upload }) else { return .write }
            let rivals = uploads.filter {
                $0.id != upload && !ignoring.contains($0.id) && mine.initiatedMs - $0.initiatedMs <= staleUploadMs
                    && $0.initiatedMs / 1000 <= mine.initiatedMs / 1000
            }
            let before = rivals.filter { $0.isBefore(mine) }
            if !before.isEmpty {
                blockers = Set(before.map(\.id))
            } else if rivals.isEmpty {
                return .write
            } else if looked {
                blockers = Set(rivals.map(\.id))             // same second, after it by id, and not waiting
            } else {
                looked = true
                sleepMs(turnPollMs)
            }
        }
        _ = try? store.abortUpload(bucket: bucket, key: key, uploadID: upload)
        var waited = looked ? turnPollMs : 0
        while true {
            guard waited + turnPollMs <= limit else { return .wait(waitedMs: waited, outlasted: blockers.sorted()) }
            sleepMs(turnPollMs)
            waited += turnPollMs
            guard let uploads = try? store.uploadsInProgress(bucket: bucket, key: key) else { break }
            if !uploads.contains(where: { blockers.contains($0.id) }) { break }
        }
        return .wait(waitedMs: waited, outlasted: [])
    }
}
