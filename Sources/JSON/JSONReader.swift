import Basics

/// A strict RFC 8259 pull parser over UTF-8 bytes.
///
/// `JSONParser` builds whole `JSONValue` trees with it; callers that only need part of a large
/// document (the catalog keeps 100,000 entries as validated byte slices) walk it themselves:
/// `beginArray()` / `nextArrayElement()`, `beginObject()` / `nextObjectKey()`, and for each value
/// either `readValue()` or `skipValue()` (which validates without allocating).
///
/// The reader borrows `bytes`: use it only while that buffer is alive (inside
/// `withUnsafeBufferPointer`). Errors carry the byte offset, line and column.
public struct JSONReader {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    public internal(set) var offset: Int = 0
    /// Containers may nest this deep; deeper input is an error rather than a stack overflow.
    public let maxDepth: Int
    /// How many bytes of insignificant whitespace have been skipped so far. A caller compares it
    /// before and after a value to learn whether the value's source text is already compact.
    public internal(set) var whitespaceSkipped: Int = 0

    /// One byte per open container: its kind and whether it has had an element yet.
    var open: [UInt8] = []
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    static let arrayFirst: UInt8 = 0, arrayNext: UInt8 = 1, objectFirst: UInt8 = 2, objectNext: UInt8 = 3

    public init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// How many containers are open.
    public var depth: Int { open.count }

    /// An error at `offset` (default: the current position), with line and column.
    public func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message, at: offset ?? self.offset, in: bytes)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        let start = offset
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default:
                whitespaceSkipped &+= offset - start
                return
            }
        }
        whitespaceSkipped &+= offset - start
    }

    /// Skips whitespace and tells which kind of value starts there, without consuming it.
    public mutating func peekKind() throws(JSONError) -> JSONKind {
        skipWhitespace()
        guard offset < bytes.count else { throw error("expected a JSON value, found end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case 0xEF where offset == 0 && bytes.count >= 3 && bytes[1] == 0xBB && bytes[2] == 0xBF:
            throw error("byte order mark (U+FEFF) is not allowed at the start of JSON text")
        default: throw error("expected a JSON value, found \(describeByte(at: offset))")
        }
    }

    /// After the top-level value: only whitespace may follow.
    public mutating func finish() throws(JSONError) {
        skipWhitespace()
        if offset < bytes.count {
            throw error("unexpected \(describeByte(at: offset)) after the JSON value")
        }
    }

    // MARK: Containers

    /// Consumes `[` (after whitespace).
    public mutating func beginArray() throws(JSONError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "[") else {
            throw error("expected '[', found \(describeByte(at: offset))")
        }
        try enter(JSONReader.arrayFirst)
    }

    /// Moves to the next element of the innermost array: `true` when one follows (the reader is
    /// then at its first byte), `false` once the closing `]` has been consumed.
    public mutating func nextArrayElement() throws(JSONError) -> Bool {
        precondition(open.last.map { $0 <= JSONReader.arrayNext } ?? false, "not inside an array")
        skipWhitespace()
        let first = open[open.count - 1] == JSONReader.arrayFirst
        guard offset < bytes.count else {
            throw error(first ? "unterminated array: expected a value or ']', found end of input"
                : "unterminated array: expected ',' or ']' after array element, found end of input")
        }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "]") {
            offset += 1
            open.removeLast()
            return false
        }
        if first {
            open[open.count - 1] = JSONReader.arrayNext
            return true
        }
        guard byte == UInt8(ascii: ",") else {
            throw error("expected ',' or ']' after array element, found \(describeByte(at: offset))")
        }
        let comma = offset
        offset += 1
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            throw error("trailing comma before ']'", at: comma)
        }
        return true
    }

    /// Consumes `{` (after whitespace).
    public mutating func beginObject() throws(JSONError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "{") else {
            throw error("expected '{', found \(describeByte(at: offset))")
        }
        try enter(JSONReader.objectFirst)
    }

    /// Reads the next member's key and the `:` after it; `nil` once the closing `}` has been
    /// consumed. The member's value must be read or skipped before the next call.
    public mutating func nextObjectKey() throws(JSONError) -> String? {
        guard try advanceToKey() else { return nil }
        let key = try readStringLiteral()
        try consumeColon()
        return key
    }

    /// Like `nextObjectKey()` but only validates the key: `false` at the closing `}`.
    mutating func skipObjectKey() throws(JSONError) -> Bool {
        guard try advanceToKey() else { return false }
        try skipStringLiteral()
        try consumeColon()
        return true
    }

    mutating func advanceToKey() throws(JSONError) -> Bool {
        precondition(open.last.map { $0 >= JSONReader.objectFirst } ?? false, "not inside an object")
        skipWhitespace()
        let first = open[open.count - 1] == JSONReader.objectFirst
        guard offset < bytes.count else {
            throw error(first ? "unterminated object: expected a string key or '}', found end of input"
                : "unterminated object: expected ',' or '}' after object member, found end of input")
        }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "}") {
            offset += 1
            open.removeLast()
            return false
        }
        if first {
            open[open.count - 1] = JSONReader.objectNext
        } else {
            guard byte == UInt8(ascii: ",") else {
                throw error("expected ',' or '}' after object member, found \(describeByte(at: offset))")
            }
            let comma = offset
            offset += 1
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                throw error("trailing comma before '}'", at: comma)
            }
        }
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
            throw error("expected a string key, found \(describeByte(at: offset))")
        }
        return true
    }

    mutating func consumeColon() throws(JSONError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
            throw error("expected ':' after object key, found \(describeByte(at: offset))")
        }
        offset += 1
    }

    private mutating func enter(_ state: UInt8) throws(JSONError) {
        guard open.count < maxDepth else {
            throw error("nesting deeper than \(maxDepth) levels")
        }
        open.append(state)
        offset += 1
    }

    /// "'x'", "end of input", or "byte 0xFF" for error messages.
    func describeByte(at index: Int) -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + JSONReader.hex(byte)
    }

    /// A byte as a message quotes it: two upper-case digits.
    static func hex(_ byte: UInt8) -> String { Hex.encode(byte, uppercase: true) }
}
