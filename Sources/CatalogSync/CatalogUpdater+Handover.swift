import Basics
import Storage

/// Handing changes to the next writer (`Handover`): a writer that yields its turn at a big
/// catalog leaves its observations beside the catalog; the next writer of a big catalog (a
/// fellow waiter going round, or one that comes later) reads what is left there and writes it with
/// its own. Every step is best effort: a request that fails here only means each writer writes its
/// own changes, as without handovers.
extension CatalogUpdater {
    /// Where the writers waiting at this catalog leave their observations.
    var handoverPrefix: String { Handover.prefix(catalog: catalogKey) }

    /// Whether `key` is a waiting writer's handover: never an entry, nor an event to catalog.
    public func isHandover(_ key: String) -> Bool { ExactKey(key).hasPrefix(ExactKey(handoverPrefix)) }

    /// Leaves `observed` for the next writer; the key it was left under (to withdraw it), or `nil`
    /// if it was not written. A write whose answer was lost (an error, or a retry's 412 over a
    /// key no one else names) may have landed: it counts as left, so that the writer re-checks
    /// what a carrier may have written for it, and withdraws it.
    func handOver(_ observed: [ObservedKey], bucket: String, deadline: Deadline?) -> String? {
        let handover = Handover(observed)
        guard !handover.observed.isEmpty else { return nil }
        let key = Handover.key(catalog: catalogKey, atMs: nowMs(), nonce: UInt64(random(Int.max)), untilMs: deadline?.epochMilliseconds)
        let written = try? store.write(bucket: bucket, key: key, bytes: handover.serialized(), contentType: "application/json",
                                       ifMatch: nil)
        if case .conflict(retried: false)? = written { return nil }
        return key
    }

    /// What other writers left (but `mine`), for keys not in `skipping`, each key once: the
    /// newest handover's observation of it wins. At most `handoverMaxBytes` of handovers are read,
    /// newest first, and `handoverMaxKeys` keys taken. Handovers whose writers' deadlines have
    /// passed, left `staleHandoverMs` ago or more (their writers died), too big, or unreadable
    /// as one are deleted.
    func handedOver(bucket: String, mine: String?, skipping: Set<ExactKey>) -> [ObservedKey] {
        guard let page = try? store.listPage(bucket: bucket, prefix: handoverPrefix, startAfter: nil, maxKeys: 1000) else { return [] }
        let now = nowMs()
        var fresh: [String] = []
        var budget = Int64(handoverMaxBytes)
        for object in page.objects.reversed() where object.key != mine {
            guard let (left, until) = Handover.times(object.key, catalog: catalogKey) else { continue }
            if now - left >= staleHandoverMs || until.map({ now >= $0 }) == true || object.size > Int64(handoverMaxBytes) {
                _ = try? store.delete(bucket: bucket, key: object.key)
            } else if object.size <= budget {
                budget -= object.size
                fresh.append(object.key)
            }
        }
        guard !fresh.isEmpty else { return [] }
        let reads = fresh.map { RangeRequest(key: $0, range: 0..<Int64(handoverMaxBytes)) }
        var known = skipping
        var carried: [ObservedKey] = []
        for (key, answer) in zip(fresh, store.readRanges(bucket: bucket, reads: reads)) {
            guard case .success(.bytes(let bytes, _, _)) = answer else { continue }
            guard let handover = Handover(parsing: bytes) else {
                _ = try? store.delete(bucket: bucket, key: key)
                continue
            }
            for observed in handover.observed where carried.count < handoverMaxKeys && !isOwn(observed.key)
                && known.insert(ExactKey(observed.key)).inserted {
                carried.append(observed)
            }
        }
        return carried
    }

    /// Drops this writer's handover once it has answered for its changes itself.
    func withdraw(_ key: String?, bucket: String) {
        if let key { _ = try? store.delete(bucket: bucket, key: key) }
    }
}
