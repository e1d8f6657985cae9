/// Whole-document entry points: bytes in, `JSONValue` out, or a `JSONError` that says where.
///
/// Strict RFC 8259: exactly one value surrounded by optional whitespace; no byte order mark, no
/// comments, no trailing commas, no leading zeros, no unescaped control characters, no lone
/// surrogates, only valid UTF-8. Numbers keep their literal text.
public enum JSONParser {
    /// Deep enough for any real document, shallow enough that hostile input cannot exhaust the
    /// stack of a Lambda thread.
    public static let defaultMaxDepth = 512

    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONError) -> JSONValue {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        let value = try reader.readValue()
        try reader.finish()
        return value
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) in try parse(buffer, maxDepth: maxDepth) }
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Checks that `bytes` is one valid JSON document without building it.
    public static func validate(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONError) {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        try reader.skipValue()
        try reader.finish()
    }
}

extension JSONValue {
    /// Parses one JSON document (see `JSONParser`).
    public init(parsing bytes: [UInt8]) throws(JSONError) {
        self = try JSONParser.parse(bytes)
    }

    /// Parses one JSON document given as text (see `JSONParser`).
    public init(parsing text: String) throws(JSONError) {
        self = try JSONParser.parse(text)
    }
}
