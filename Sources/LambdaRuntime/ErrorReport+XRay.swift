extension ErrorReport {
    /// Most bytes of the `Lambda-Runtime-Function-XRay-Error-Cause` header: a header, not a
    /// body, so a long S3 message must not make the report itself fail.
    public static let maxXRayCauseBytes = 2048

    /// The X-Ray `cause` object Lambda records on the invocation's segment:
    /// `{"working_directory":"","exceptions":[{"type":…,"message":…,"stack":[]}],"paths":[]}`.
    /// Pure ASCII (every other character `\u`-escaped, so no header can be broken by a line
    /// break or a byte libcurl would refuse) and at most `maxBytes` long: the message is cut,
    /// with `…` (escaped), to fit. There is no stack: Swift has none to give, and this runtime
    /// has no X-Ray daemon client (the segment is Lambda's own).
    public func xrayErrorCause(maxBytes: Int = ErrorReport.maxXRayCauseBytes) -> String {
        let type = Self.asciiJSONString(errorType)
        func cause(_ message: String) -> String {
            #"{"working_directory":"","exceptions":[{"type":"# + type + #","message":"# + message + #","stack":[]}],"paths":[]}"#
        }
        // `type` and `message` are JSON string literals, quotes included.
        let whole = cause(Self.asciiJSONString(errorMessage))
        guard whole.utf8.count > maxBytes else { return whole }
        let room = maxBytes - cause("\"\"").utf8.count - "\\u2026".utf8.count
        var kept = ""
        for scalar in errorMessage.unicodeScalars {
            let piece = Self.escaped(scalar)
            guard kept.utf8.count + piece.utf8.count <= room else { break }
            kept += piece
        }
        return cause("\"" + kept + "\\u2026\"")
    }

    /// `text` as a JSON string literal (quotes included) using ASCII only.
    static func asciiJSONString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars { out += escaped(scalar) }
        return out + "\""
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            if scalar.value >= 0x20 && scalar.value < 0x7F { return String(scalar) }
            if scalar.value <= 0xFFFF { return hex4(scalar.value) }
            let v = scalar.value - 0x10000
            return hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
        }
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return "\\u" + String([12, 8, 4, 0].map { digits[Int((value >> UInt32($0)) & 0xF)] })
    }
}
