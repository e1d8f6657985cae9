import Storage

/// Users' records under their hashed keys, and the move of records an older imagecat stored
/// under `users/<sub>.json`: a key that named the subject (often an email address) to anyone
/// who may list the bucket.
extension ImageAPI {
    /// The caller's record (`.user`), as `read` answers it. When there is none, a record under
    /// the legacy key is moved first: written to the hashed key only if that is still absent
    /// (`If-None-Match: *`), then the legacy object is deleted. A lost race means another
    /// request moved it (or signed in, which moves it first) meanwhile: its version is the
    /// record, and the legacy object is deleted all the same, since every writer of the hashed
    /// key read the legacy record first. A lost race with no record there after all (S3's 409
    /// for a racing delete) keeps the legacy object. Nothing is lost whichever request wins.
    func readRecord(of subject: Subject, ifNoneMatch: String?) throws -> StoredRead {
        let current = try read(.user(subject), ifNoneMatch: ifNoneMatch)
        guard case .missing = current else { return current }
        guard subject.hasLegacyKey,
              case .found(let bytes, let legacyETag) = try read(.legacyUser(subject), ifNoneMatch: nil) else { return .missing }
        let moved: StoredRead
        switch try writeRecord(of: subject, bytes: bytes, ifMatch: nil) {
        case .written(let etag):
            moved = etag == ifNoneMatch ? .notModified(etag: etag) : .found(bytes: bytes, etag: etag)
        case .conflict:
            moved = try read(.user(subject), ifNoneMatch: ifNoneMatch)
            // A conflict with nothing there after all (a 409 of a racing delete, not a winner's
            // write): the legacy record is all there is, so it stays, and is served as it is (a
            // write over it, `PUT /me`, is then lost, and goes round to move it again).
            if case .missing = moved { return .found(bytes: bytes, etag: legacyETag) }
        }
        do {
            try store.delete(bucket: bucket, key: key(for: .legacyUser(subject)))
            log.info("moved a user's record from its legacy key to \(key(for: .user(subject)))",
                     ["key": .string(key(for: .user(subject)))])
        } catch {
            // The record is served from its new key either way; the old key stays until removed
            // by hand (README, "Users' records"), and the log says which.
            log.warn("moved a user's record to \(key(for: .user(subject))) but could not delete the legacy key: \(error)",
                     ["key": .string(key(for: .user(subject)))])
        }
        return moved
    }
}
