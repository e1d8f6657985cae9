import Glibc

/// ASCII-only text helpers. Header names, methods, ETags and configuration values are ASCII;
/// `String.lowercased()` and Unicode-aware trimming would cost more and change non-ASCII bytes.
public enum ASCII {
    /// How many times `byte` occurs in `bytes`: glibc's vectorized `memchr` from one to the next,
    /// ten times faster than a byte loop over the ~184 MB of lines a spread write carries.
    public static func count(of byte: UInt8, in bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBytes { raw in
            guard var at = raw.baseAddress else { return 0 }
            let end = at + raw.count
            var count = 0
            while at < end, let found = memchr(at, Int32(byte), end - at) {
                count += 1
                at = UnsafeRawPointer(found) + 1
            }
            return count
        }
    }

    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public static func lowercased(_ text: some StringProtocol) -> String {
        String(decoding: text.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    public static func uppercased(_ text: some StringProtocol) -> String {
        String(decoding: text.utf8.map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// Without leading and trailing spaces, tabs, CR and LF.
    public static func trimmed(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
