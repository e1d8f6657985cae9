import Basics

/// Page cursors: base64url (no padding) of `1:` + the last name served. Keyset paging on the
/// name order: a page is "the next `limit` names after this one", so a cursor stays meaningful
/// when the catalog changes between pages (nothing is skipped or repeated that existed
/// throughout). Opaque to clients; the `1:` leaves room for another format.
public enum ListCursor {
    static let maxEncodedLength = 1400  // S3 keys are at most 1024 bytes

    public static func encode(_ name: String) -> String {
        Base64.encode(Array(("1:" + name).utf8), alphabet: .url)
    }

    /// The name inside a cursor, or `nil` for anything `encode` cannot have produced.
    public static func decode(_ text: String) -> String? {
        guard (4...maxEncodedLength).contains(text.utf8.count), let bytes = Base64.decode(text, alphabet: .url),
              bytes.starts(with: Array("1:".utf8)), bytes.count > 2,
              let name = String(validating: bytes.dropFirst(2), as: UTF8.self),
              encode(name) == text  // canonical only
        else { return nil }
        return name
    }
}
