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
    /// a writer whose saved prefix is gone copies it from the catalog instead. Best effort and
    /// bounded: one listing page, at most `leftoverDeletesPerRun` deletes, none started within a
    /// second of `deadline`; what is left waits for the next run. The number deleted.
    func dropLeftovers(bucket: String, current version: CatalogVersion, deadline: Deadline? = nil) -> Int {
        let file = file(bucket)
        var needed: Set<ExactKey> = []
        if let etag = version.etag { needed.insert(ExactKey(file.indexKey(etag))) }
        if let prefix = version.index.prefix { needed.insert(ExactKey(CatalogFile.prefixKey(prefix, of: catalogKey))) }
        let oldest = nowMs() - leftoverAgeMs
        guard let page = try? store.listPage(bucket: bucket, prefix: file.indexPrefix, startAfter: nil, maxKeys: 1000) else { return 0 }
        var dropped = 0, tried = 0
        for object in page.objects where !needed.contains(ExactKey(object.key)) && tried < leftoverDeletesPerRun {
            if let deadline, !deadline.allows(waitMilliseconds: 0, thenWorkMilliseconds: 1_000, now: nowMs()) { break }
            guard let written = object.version.lastModified.flatMap(UTCTime.epochMilliseconds(iso8601:)), written <= oldest else {
                continue
            }
            tried += 1                                       // failures count too: a role that may not delete
            if (try? store.delete(bucket: bucket, key: object.key)) != nil { dropped += 1 }
        }
        return dropped
    }
}
