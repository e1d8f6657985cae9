/// A token's `sub` claim that is safe to use inside an S3 key.
///
/// Auth0 subjects look like `auth0|64b1f0c2e4`, `google-oauth2|1234567890` or
/// `samlp|corp|jane@example.com`: letters, digits and `| . _ @ -` cover them. No `/` (so the key
/// stays directly under `users/`), no `%`, `+` or spaces (so encoding cannot change what is read),
/// no control characters, and not only dots.
public struct Subject: Equatable, Sendable, CustomStringConvertible {
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
