import Catalog
import Storage

/// A multipart upload of the catalog whose first part is, or is to be, the prefix of the
/// catalog's versions (`CatalogIndex.Prefix`), copied server-side: what a write into the tail
/// completes (`CatalogFile.appended`). Started before the writer observes its keys
/// (`CatalogFile.prefixCopy`) and copied in the same round trip as its first reads (`part`), the
/// copy is not a step of its own between reading the catalog and publishing.
public struct PrefixCopy: Sendable {
    public let uploadID: String
    let prefix: CatalogIndex.Prefix
    /// The version the prefix is copied from; `nil`: from the prefix saved beside the catalog
    /// (`CatalogFile.prefixKey`), pinned to its ETag.
    let source: String?
    /// The copied part's ETag, once copied.
    public internal(set) var partETag: String?
    /// The versions whose indexes were read and name `prefix`.
    var known: Set<String>

    /// The request that copies the prefix (into the upload of the catalog `key`).
    public func part(of key: String) -> UploadPart {
        guard let source else {
            return UploadPart(number: 1, source: .copy(key: CatalogFile.prefixKey(prefix, of: key), range: 0..<prefix.length,
                                                       ifMatch: prefix.base!))
        }
        return UploadPart(number: 1, source: .copy(key: key, range: 0..<prefix.length, ifMatch: source))
    }

    /// This upload, its prefix to be copied from the catalog's version `etag`.
    func from(_ etag: String) -> PrefixCopy {
        PrefixCopy(uploadID: uploadID, prefix: prefix, source: etag, known: known)
    }

    /// This upload with its prefix copied as a part with ETag `etag`.
    public func copied(as etag: String) -> PrefixCopy {
        var copy = self
        copy.partETag = etag
        return copy
    }
}
