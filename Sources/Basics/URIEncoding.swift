/// Percent-encoding exactly as SigV4 and S3 define it (RFC 3986). Getting one byte wrong here makes
/// S3 answer 403 SignatureDoesNotMatch for keys with spaces, `+` or non-ASCII names, so it lives in
/// one place; the Runtime API client encodes an invocation's id in its URLs with it too.
public enum URIEncoding {
    /// RFC 3986 unreserved characters: the only bytes SigV4 leaves as they are.
    @inline(__always)
    package static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes an object key (or any path) for the URL and the canonical request alike: each
    /// segment's UTF-8 bytes are percent-encoded (upper-case hex) except unreserved ones, and `/`
    /// is kept. `+`, `=`, `&`, `%`, `(`, `)` and space are all encoded; nothing is encoded twice.
    public static func encodePath(_ path: String) -> String {
        encode(path, keepSlash: true)
    }

    /// Encodes a query parameter name or value: like `encodePath` but `/` is encoded too.
    public static func encodeQueryComponent(_ value: String) -> String {
        encode(value, keepSlash: false)
    }

    package static func encode(_ value: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                Hex.append(byte, to: &out, uppercase: true)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
