/// Hexadecimal text, in one place so case and padding agree everywhere: lower case for SigV4's
/// hashes and signatures and the API's identifiers, upper case where a standard asks for it
/// (percent-encoding, RFC 3986 §2.1) or a message quotes a byte.
public enum Hex {
    @usableFromInline static let lower = Array("0123456789abcdef".utf8)
    @usableFromInline static let upper = Array("0123456789ABCDEF".utf8)

    /// Appends the two digits of `byte` to `out`.
    @inlinable
    public static func append(_ byte: UInt8, to out: inout [UInt8], uppercase: Bool = false) {
        let digits = uppercase ? upper : lower
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }

    /// Two digits per byte, e.g. a SHA-256 as 64 characters.
    public static func encode(_ bytes: some Collection<UInt8>, uppercase: Bool = false) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { append(byte, to: &out, uppercase: uppercase) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The two digits of one byte.
    public static func encode(_ byte: UInt8, uppercase: Bool = false) -> String {
        encode(CollectionOfOne(byte), uppercase: uppercase)
    }

    /// `value` as exactly 16 lower-case digits, zero-padded: fixed-width identifiers sort and
    /// compare as text.
    public static func padded(_ value: UInt64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift)), to: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
