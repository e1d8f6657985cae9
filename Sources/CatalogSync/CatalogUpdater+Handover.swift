import Basics
import Storage

/// Handing changes to the writer ahead (`Handover`): a writer that yields its turn at a big
/// catalog leaves its observations beside the catalog; the next writer of a big catalog reads
/// what is left there and writes it with its own. Every step is best effort: a request that fails
/// here only means each writer writes its own changes, as without handovers.
extension CatalogUpdater {
    /// Where the writers waiting at this catalog leave their observations.
    public var handoverPrefix: String { Handover.prefix(catalog: catalogKey) }

    /// Leaves `observed` for the writer ahead; the key it was left under (to withdraw it), or
    /// `nil` if it could not be written.
    func handOver(_ observed: [ObservedKey], bucket: String) -> String? {
        let handover = Handover(observed)
        guard !handover.observed.isEmpty else { return nil }
        let key = Handover.key(catalog: catalogKey, atMs: nowMs(), nonce: UInt64(random(Int.max)))
        let written = try? store.write(bucket: bucket, key: key, bytes: handover.serialized(), contentType: "application/json",
                                       ifMatch: nil)
        guard case .written? = written else { return nil }
        return key
    }

    /// What other writers left (but `mine`), oldest first, at most `handoverMaxKeys` keys; the
    /// handovers of writers that left them `staleHandoverMs` ago or more (they died, or gave up)
    /// are deleted unread.
    func handedOver(bucket: String, mine: String?) -> [ObservedKey] {
        guard let page = try? store.listPage(bucket: bucket, prefix: handoverPrefix, startAfter: nil, maxKeys: 1000) else { return [] }
        let now = nowMs()
        var fresh: [String] = []
        for object in page.objects where object.key != mine {
            guard let left = Handover.leftAtMs(object.key, catalog: catalogKey) else { continue }
            if now - left >= staleHandoverMs {
                _ = try? store.delete(bucket: bucket, key: object.key)
            } else if object.size <= Int64(handoverMaxBytes) {
                fresh.append(object.key)
            }
        }
        guard !fresh.isEmpty else { return [] }
        let reads = fresh.map { RangeRequest(key: $0, range: 0..<Int64(handoverMaxBytes)) }
        var carried: [ObservedKey] = []
        for answer in store.readRanges(bucket: bucket, reads: reads) {
            guard case .success(.bytes(let bytes, _, let total)) = answer, total <= Int64(handoverMaxBytes),
                  let handover = Handover(parsing: bytes), carried.count + handover.observed.count <= handoverMaxKeys else { continue }
            carried += handover.observed
        }
        return carried
    }

    /// Drops this writer's handover once it has answered for its changes itself.
    func withdraw(_ key: String?, bucket: String) {
        if let key { _ = try? store.delete(bucket: bucket, key: key) }
    }
}
