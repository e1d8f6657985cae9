import Catalog
import Storage

/// A multipart upload of the catalog whose first part is, or is to be, the prefix of the
/// catalog's versions (`CatalogIndex.Prefix`), copied server-side: what a write into the tail
/// completes (`CatalogFile.appended`). Created before the writer observes its keys
/// (`CatalogFile.prefixCopy`), its copy sent the moment the upload exists and collected by the
/// write (`started`): the server copies while the writer observes, and neither the upload's
/// creation nor the copy is a step of its own before the observation or between reading the
/// catalog and publishing.
public struct PrefixCopy {
    /// The upload's id; empty while its creation is in flight (`creation`, until `landed`).
    public internal(set) var uploadID: String
    let prefix: CatalogIndex.Prefix
    /// The version the prefix is copied from; `nil`: from the prefix saved beside the catalog
    /// (`CatalogFile.prefixKey`), pinned to its ETag.
    let source: String?
    /// The copied part's ETag, once copied.
    public internal(set) var partETag: String?
    /// The copy, sent and not yet collected (`start`).
    var started: StartedPart?
    /// The versions whose indexes were read and name `prefix`.
    var known: Set<String>
    /// The upload's creation, the copy sent into it when it answers (`ObjectStore.startUpload(
    /// bucket:key:contentType:thenPart:)`), until `landed` collects it.
    var creation: StartedUpload?

    /// This upload, created: its id collected and its copy in flight (`started`); as it is when
    /// created already. `nil` when it could not be created.
    public func landed() -> PrefixCopy? {
        guard let creation else { return self }
        guard let (id, part) = try? creation.landed() else { return nil }
        var copy = self
        copy.uploadID = id
        copy.started = part
        copy.creation = nil
        return copy
    }

    /// The request that copies the prefix (into the upload of the catalog `key`).
    public func part(of key: String) -> UploadPart {
        guard let source else {
            return UploadPart(number: 1, source: .copy(key: CatalogFile.prefixKey(prefix, of: key), range: 0..<prefix.length,
                                                       ifMatch: prefix.base!))
        }
        return UploadPart(number: 1, source: .copy(key: key, range: 0..<prefix.length, ifMatch: source))
    }

    /// This upload with its copy sent to `store` (the upload of the catalog `key`), to be
    /// collected by the write; as it is when sent already or copied.
    public func start(in store: any ObjectStore, bucket: String, key: String) -> PrefixCopy {
        guard partETag == nil, started == nil, creation == nil else { return self }
        var copy = self
        copy.started = store.startPart(bucket: bucket, key: key, uploadID: uploadID, part: part(of: key))
        return copy
    }

    /// This upload, its prefix to be copied from the catalog's version `etag`; a copy still in
    /// flight is collected first, so that no earlier copy lands in part 1 after the new one.
    func from(_ etag: String) -> PrefixCopy {
        precondition(creation == nil, "a prefix copy used before its upload was created (`landed`)")
        _ = try? started?.etag()
        return PrefixCopy(uploadID: uploadID, prefix: prefix, source: etag, known: known)
    }

    /// This upload with its prefix copied as a part with ETag `etag`.
    public func copied(as etag: String) -> PrefixCopy {
        precondition(creation == nil, "a prefix copy used before its upload was created (`landed`)")
        var copy = self
        copy.partETag = etag
        copy.started = nil
        return copy
    }
}
