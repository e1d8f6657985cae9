import S3
import SigV4
import Storage

/// The only objects the API ever reads.
public enum StoredObject: Equatable, Sendable {
    /// The catalog (`CATALOG_KEY`, default `images.json`).
    case catalog
    /// A caller's record: `users/sha256/<hex SHA-256 of sub>.json`. Hashed because a `sub` may
    /// be an email address (`samlp|corp|jane@example.com`) and the catalog role may list the
    /// bucket: a listing shows only digests.
    case user(Subject)
    /// Where an older imagecat kept that record: `users/<sub>.json`. Read once, moved to
    /// `.user`, and deleted (`readRecord`).
    case legacyUser(Subject)
}

/// A stored object the API cannot serve (a corrupt catalog, a record that is not JSON). Logged
/// with the details, answered with a plain 500.
struct StoredDataError: Error, CustomStringConvertible {
    var what: String
    var problem: String
    var description: String { "\(what) cannot be served: \(problem)" }
}

/// The one place where objects become keys. There is deliberately no way to name a key: a
/// request can only make the API read the catalog or the caller's own record, and write only
/// that record, whatever its path, query or token says. Path traversal (`..`, `%2e%2e`, NUL
/// bytes) cannot reach another key because no code path turns request text into a key; the
/// only request-derived part of a key is a subject: hashed, or, for a legacy record, one of
/// `Subject.hasLegacyKey`'s characters.
extension ImageAPI {
    /// Where callers' records live. The catalog function is never triggered by them (its
    /// notification filter only matches the images prefix, which may not be `users/`).
    public static let usersPrefix = "users/"
    /// Records keyed by digest; a legacy key (`users/<sub>.json`) never has a second `/`, so the
    /// two kinds can never share a key, and IAM can tell them apart (the API may delete legacy
    /// records only).
    public static let hashedUsersPrefix = usersPrefix + "sha256/"

    func key(for object: StoredObject) -> String {
        switch object {
        case .catalog: catalogKey
        case .user(let subject): Self.hashedUsersPrefix + Digest.sha256Hex(Array(subject.value.utf8)) + ".json"
        case .legacyUser(let subject): Self.usersPrefix + subject.value + ".json"   // `hasLegacyKey` only
        }
    }

    /// Reads `object`; with `ifNoneMatch` (a bare ETag), an object that still has it gives
    /// `.notModified` without its bytes. (Without s3:ListBucket, which the API's role has not,
    /// S3 answers a missing key 403: its store takes that for missing, `forbiddenIsMissing`.)
    func read(_ object: StoredObject, ifNoneMatch: String?) throws -> StoredRead {
        try store.read(bucket: bucket, key: key(for: object), ifNoneMatch: ifNoneMatch)
    }

    /// Writes the record of `subject` only if it is still the version read (`ifMatch`), or still
    /// absent (`nil`): a lost race is `.conflict`, never an overwrite.
    func writeRecord(of subject: Subject, bytes: [UInt8], ifMatch: String?) throws -> StoredWrite {
        try store.write(bucket: bucket, key: key(for: .user(subject)), bytes: bytes, contentType: "application/json",
                        ifMatch: ifMatch)
    }
}
