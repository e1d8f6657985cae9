/// An S3 key compared as S3 compares it: byte for byte. Swift's `String` equality, hashing,
/// ordering and `hasPrefix` follow Unicode canonical equivalence, so `café.png` composed (é,
/// U+00E9) and decomposed (e + U+0301) would be one key to them, though S3 holds two objects.
public struct ExactKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    public init(_ key: String) { bytes = Array(key.utf8) }

    /// A key from its UTF-8 bytes (a name decoded from JSON or read from a listing).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Byte order, which is S3's listing order.
    public static func < (a: ExactKey, b: ExactKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public func hasPrefix(_ prefix: ExactKey) -> Bool {
        bytes.count >= prefix.bytes.count && bytes[..<prefix.bytes.count].elementsEqual(prefix.bytes)
    }

    /// The longest byte prefix all `keys` share, cut back to a whole UTF-8 character.
    public static func commonPrefix(_ keys: [String]) -> String {
        guard var prefix = keys.first.map({ Array($0.utf8) }) else { return "" }
        for key in keys.dropFirst() {
            let bytes = Array(key.utf8)
            var n = 0
            while n < min(prefix.count, bytes.count) && prefix[n] == bytes[n] { n += 1 }
            prefix.removeSubrange(n...)
        }
        // A cut in the middle of a character drops the character's first bytes too.
        var lead = prefix.count - 1
        while lead > 0 && prefix[lead] & 0xC0 == 0x80 { lead -= 1 }
        if lead >= 0 {
            let first = prefix[lead]
            let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2
            if prefix.count - lead < length { prefix.removeSubrange(lead...) }
        }
        return String(decoding: prefix, as: UTF8.self)
    }
}
