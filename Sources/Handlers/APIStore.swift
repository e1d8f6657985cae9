/// What the HTTP API reads from its bucket, and nothing more.
///
/// There is deliberately no way to name a key: a request can only make the handler read the
/// catalog or the caller's own record, whatever its path, query or token says. Path traversal
/// (`..`, `%2e%2e`, NUL bytes) cannot reach another key because no code path turns request text
/// into a key; the only request-derived part of a key is a subject that `APISubject` validated.
public protocol APIStore {
    /// Reads `object`. With `ifNoneMatch` (a bare ETag, no quotes), an object that still has that
    /// ETag gives `.notModified` without its bytes, so an unchanged catalog is not downloaded.
    func read(_ object: APIObject, ifNoneMatch: String?) throws -> APIStoreRead
    /// Requests (and their retries) must end by then: the invocation's deadline.
    func setDeadline(epochMs: Int64?)
}

extension APIStore {
    public func setDeadline(epochMs: Int64?) {}
}

/// The only objects the API ever reads.
public enum APIObject: Equatable, Sendable {
    /// The catalog (`CATALOG_KEY`, default `images.json`).
    case catalog
    /// A caller's record: `users/<sub>.json`.
    case user(APISubject)
}

/// The outcome of `APIStore.read`. ETags are bare (S3's quotes removed).
public enum APIStoreRead: Equatable, Sendable {
    case found(bytes: [UInt8], etag: String)
    /// The object still has the ETag given as `ifNoneMatch`.
    case notModified(etag: String)
    case missing
}

/// A token's `sub` claim that is safe to use inside an S3 key.
///
/// Auth0 subjects look like `auth0|64b1f0c2e4`, `google-oauth2|1234567890` or
/// `samlp|corp|jane@example.com`: letters, digits and `| . _ @ -` cover them. No `/` (so the key
/// stays directly under `users/`), no `%`, `+` or spaces (so encoding cannot change what is read),
/// no control characters, and not only dots.
public struct APISubject: Equatable, Sendable, CustomStringConvertible {
    public static let maxLength = 128

    public let value: String

    /// `nil` unless `value` matches `[A-Za-z0-9|._@-]{1,128}` and has a character other than `.`.
    public init?(_ value: String) {
        let bytes = Array(value.utf8)
        guard (1...Self.maxLength).contains(bytes.count), bytes.allSatisfy(Self.isAllowed),
              bytes.contains(where: { $0 != UInt8(ascii: ".") }) else { return nil }
        self.value = value
    }

    public var description: String { value }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "|"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
