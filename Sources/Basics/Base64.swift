/// Base64 (RFC 4648) without Foundation: API Gateway's `isBase64Encoded` bodies, the API's page
/// cursors (URL alphabet, no padding) and the recorded fixtures' binary bodies.
public enum Base64 {
    public enum Alphabet: Sendable {
        /// `+` and `/` (§4), padded with `=`.
        case standard
        /// `-` and `_` (§5), never padded.
        case url

        var table: [UInt8] {
            switch self {
            case .standard: Base64.standardTable
            case .url: Base64.urlTable
            }
        }
    }

    private static let standardTable = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlTable = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: some Collection<UInt8>, alphabet: Alphabet = .standard) -> String {
        let table = alphabet.table
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i < input.count {
            let n = min(3, input.count - i)
            var chunk = UInt32(input[i]) << 16
            if n > 1 { chunk |= UInt32(input[i + 1]) << 8 }
            if n > 2 { chunk |= UInt32(input[i + 2]) }
            for k in 0...n { out.append(table[Int((chunk >> UInt32(18 - 6 * k)) & 0x3F)]) }
            if alphabet == .standard { for _ in n..<3 { out.append(UInt8(ascii: "=")) } }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes, or `nil` for anything that is not base64 in `alphabet`. Padding is optional
    /// for `.standard` and refused for `.url`.
    public static func decode(_ text: String, alphabet: Alphabet = .standard) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "="), alphabet == .standard {
                padding += 1
                continue
            }
            guard padding == 0, let value = sextet(byte, alphabet) else { return nil }
            values.append(value)
        }
        guard values.count % 4 != 1, padding <= 2, padding == 0 || (values.count + padding) % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i < values.count {
            let n = min(4, values.count - i)
            var chunk: UInt32 = 0
            for k in 0..<4 { chunk = chunk << 6 | UInt32(k < n ? values[i + k] : 0) }
            for k in 0..<(n - 1) { out.append(UInt8((chunk >> UInt32(16 - 8 * k)) & 0xFF)) }
            i += 4
        }
        return out
    }

    private static func sextet(_ byte: UInt8, _ alphabet: Alphabet) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .standard: 62
        case UInt8(ascii: "/") where alphabet == .standard: 63
        case UInt8(ascii: "-") where alphabet == .url: 62
        case UInt8(ascii: "_") where alphabet == .url: 63
        default: nil
        }
    }
}
