/// A token's `sub` claim, as the API keys a caller's record by it.
///
/// Records live under the SHA-256 of the subject (`users/sha256/<hex>.json`), so any subject an
/// identity provider issues can have one: OpenID Connect allows up to 255 ASCII characters, and
/// Auth0's `samlp|corp|jane+photos@example.com` or a SAML `CN=Jane Doe,O=Corp` are real ones.
/// Only what no issuer means is refused: empty, longer than 255 bytes, or a control character or
/// a hidden one (a bidirectional override, a line separator: the gallery shows the record).
///
/// Older imagecats stored records under `users/<sub>.json`, for subjects of `[A-Za-z0-9|._@-]`
/// (not only dots) up to 128 bytes: only such a subject can have a record there to move
/// (`hasLegacyKey`), and no other subject ever names a key.
public struct Subject: Equatable, Sendable, CustomStringConvertible {
    public static let maxLength = 255
    static let legacyMaxLength = 128

    public let value: String

    /// `nil` for an empty subject, one over 255 bytes, or one with a control or hidden character.
    public init?(_ value: String) {
        guard (1...Self.maxLength).contains(value.utf8.count), !value.unicodeScalars.contains(where: \.isHiddenOrControl) else { return nil }
        self.value = value
    }

    /// Whether an older imagecat could have stored this subject's record at `users/<sub>.json`:
    /// letters, digits and `| . _ @ -` (no `/`, `%`, `+` or space, so the key is the subject as it
    /// is), not only dots, at most 128 bytes.
    public var hasLegacyKey: Bool {
        let bytes = value.utf8
        return bytes.count <= Self.legacyMaxLength && bytes.allSatisfy(Self.isLegacyByte)
            && bytes.contains(where: { $0 != UInt8(ascii: ".") })
    }

    public var description: String { value }

    private static func isLegacyByte(_ byte: UInt8) -> Bool {
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
