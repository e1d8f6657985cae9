import Basics
import CatalogFile
import Storage

extension CatalogUpdater {
    /// Deletes what the catalog's `.index/` folder holds that nothing needs: indexes of versions
    /// replaced long ago, and saved prefixes (`CatalogIndex.Prefix`, up to ~176 MB each at
    /// 1,000,000 entries) that the current version does not name. Writers delete their own when
    /// they replace a version; these are what writers that died left, a mixed deploy with an
    /// older imagecat, or a completion a non-atomic server let through. Only objects at least
    /// `leftoverAgeMs` old are judged: a younger one may belong to a version a writer is about
    /// to publish. Deleting an index is always safe (the next reader indexes the version again);
    /// a writer whose saved prefix is gone copies it from the catalog instead. Best effort: the
    /// number deleted, at most `leftoverPages` listing pages looked at.
    func dropLeftovers(bucket: String, current version: CatalogVersion) -> Int {
        let file = file(bucket)
        var needed: Set<ExactKey> = []
        if let etag = version.etag { needed.insert(ExactKey(file.indexKey(etag))) }
        if let prefix = version.index.prefix { needed.insert(ExactKey(CatalogFile.prefixKey(prefix, of: catalogKey))) }
        let oldest = nowMs() - leftoverAgeMs
        var dropped = 0
        var after: String?
        for _ in 0..<leftoverPages {
            guard let page = try? store.listPage(bucket: bucket, prefix: file.indexPrefix, startAfter: after, maxKeys: 1000) else { break }
            for object in page.objects where !needed.contains(ExactKey(object.key)) {
                guard let written = object.version.lastModified.flatMap(UTCTime.epochMilliseconds(iso8601:)), written <= oldest else {
                    continue
                }
                if (try? store.delete(bucket: bucket, key: object.key)) != nil { dropped += 1 }
            }
            guard page.isTruncated, let last = page.objects.last?.key else { break }
            after = last
        }
        return dropped
    }
}
