import Basics
import Storage

extension CatalogUpdater {
    /// The keys of `items` whose object is no longer the version observed (or whose re-check S3
    /// refuses: observing again decides those).
    ///
    /// What each request buys:
    /// - one `ListObjectsV2` page (prefix = the keys' common prefix, starting just below the
    ///   smallest key, at most `listKeysPerRecheck` keys per key) confirms every key up to the
    ///   page's last key in one round trip: a key
    ///   listed with the observed ETag and Last-Modified is current, a key observed gone and not
    ///   listed is still gone. Tried for `listRecheckMinimum` keys or more, and paused for a
    ///   while in a bucket where a page did not reach the batch's largest key (keys spread over
    ///   a big prefix: a page would buy little there);
    /// - one HEAD per key the page did not confirm, all at once: the page never decides a
    ///   mismatch by itself (a server may list a key differently from how it was named, e.g.
    ///   `a//b` as `a/b`), so a key looks changed only when its own HEAD says so.
    func recheck(_ items: [ObservedKey], bucket: String) throws(CatalogUpdateError) -> [StaleKey] {
        var unconfirmed = Array(items.indices)
        if items.count >= listRecheckMinimum {
            if let paused = cache.listingPause[bucket], paused > 0 {
                cache.listingPause[bucket] = paused - 1
            } else {
                unconfirmed = try unconfirmedAfterListing(items, bucket: bucket)
            }
        }
        guard !unconfirmed.isEmpty else { return [] }
        var stale: [StaleKey] = []
        for (i, answer) in zip(unconfirmed, store.versions(bucket: bucket, keys: unconfirmed.map { items[$0].key })) {
            switch answer {
            case .success(let version):
                if !items[i].isCurrent(version) { stale.append(StaleKey(position: i, now: .found(version))) }
            case .failure(.refused):
                stale.append(StaleKey(position: i, now: .refused))
            case .failure(.failed(let error)):
                throw .storage(bucket: bucket, underlying: error)
            }
        }
        return stale
    }

    /// Re-checks after this many listings paused once a listing page did not cover its batch.
    static var listingPauseLength: Int { 32 }

    /// The positions one listing page cannot confirm.
    private func unconfirmedAfterListing(_ items: [ObservedKey], bucket: String) throws(CatalogUpdateError) -> [Int] {
        let keys = items.map { ExactKey($0.key) }
        guard let smallest = items.indices.min(by: { keys[$0] < keys[$1] }), let largest = keys.max() else { return [] }
        // Start just below the smallest key: without its last character it sorts before it.
        let startAfter = String(Substring(items[smallest].key.unicodeScalars.dropLast()))
        let page: ListedPage
        do {
            page = try store.listPage(bucket: bucket, prefix: ExactKey.commonPrefix(items.map(\.key)),
                                      startAfter: startAfter.isEmpty ? nil : startAfter,
                                      maxKeys: min(1000, items.count * listKeysPerRecheck))
        } catch {
            // The listing only saves requests. One that fails (a server that refuses this prefix
            // or start-after, as moto does for some keys) confirms nothing: HEAD every key, and
            // leave listing alone in this bucket for a while. S3 down fails the HEADs too.
            cache.listingPause[bucket] = Self.listingPauseLength
            return Array(items.indices)
        }
        let reach = page.isTruncated ? page.objects.last.map { ExactKey($0.key) } : nil
        if page.isTruncated && (reach.map { $0 < largest } ?? true) {
            cache.listingPause[bucket] = Self.listingPauseLength
        }
        var listed: [ExactKey: ObjectVersion] = [:]
        for object in page.objects { listed[ExactKey(object.key)] = object.version }
        return items.indices.filter { i in
            if page.isTruncated, !(reach.map { !($0 < keys[i]) } ?? false) { return true }   // past the page
            let version = listed[keys[i]]
            switch (items[i].version, version) {
            case (nil, nil): return !store.listingsAreExact      // absent from a listing: gone only on S3
            case (let seen?, let now?):
                return !seen.isSame(as: now)
            default: return true
            }
        }
    }
}
