import JSON

/// The request body of a payload 2.0 event: `body`, base64-decoded when API Gateway says
/// `isBase64Encoded` (it does so for content types it does not consider text). Kept apart from
/// `APIRequest` because only `POST /uploads` reads a body, and only after the caller and the
/// route are known.
public enum APIRequestBody {
    /// The body bytes; empty when the event has none.
    public static func from(event: JSONValue) throws(EventError) -> [UInt8] {
        guard let body = event["body"], body != .null else { return [] }
        guard let text = body.stringValue else {
            throw EventError("body", "expected a string, found \(body.kindDescription)")
        }
        guard event["isBase64Encoded"]?.boolValue == true else { return Array(text.utf8) }
        guard let bytes = base64Decoded(text) else {
            throw EventError("body", "isBase64Encoded is true but the body is not base64")
        }
        return bytes
    }

    /// Standard base64 (RFC 4648 §4) with optional padding; `nil` for anything else.
    static func base64Decoded(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = sextet(byte) else { return nil }
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

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
