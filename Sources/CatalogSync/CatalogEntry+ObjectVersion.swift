import Catalog
import Storage

extension CatalogEntry {
    /// The version of the object this entry was built from, as the entry records it (`etag`,
    /// `lastModified`); `nil` when it records no ETag (an entry written by hand or by an older
    /// tool), so nothing can be told from it.
    var objectVersion: ObjectVersion? {
        guard let etag = extra["etag"]?.stringValue else { return nil }
        return ObjectVersion(etag: etag, lastModified: extra["lastModified"]?.stringValue)
    }
}
