/// A JSON document could not be read: what was wrong and exactly where, so that a person can open
/// the file at `line`:`column` and fix it (the catalog refuses to overwrite a file it cannot read).
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong, e.g. "expected ',' or ']' after array element".
    public var message: String
    /// Byte offset from the start of the document (0-based).
    public var offset: Int
    /// 1-based line number (lines end at `\n`).
    public var line: Int
    /// 1-based column, counted in Unicode scalars, as editors show it.
    public var column: Int

    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// An error at `offset` in `bytes`, with its line and column worked out.
    public init(_ message: String, at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        let (line, column) = JSONError.lineAndColumn(of: offset, in: bytes)
        self.init(message: message, offset: offset, line: line, column: column)
    }

    public var description: String {
        "line \(line), column \(column) (offset \(offset)): \(message)"
    }

    /// The 1-based line and column of `offset`. Only computed when an error is reported, so the
    /// parser itself never pays for line tracking.
    public static func lineAndColumn(
        of offset: Int, in bytes: UnsafeBufferPointer<UInt8>
    ) -> (line: Int, column: Int) {
        let end = min(max(offset, 0), bytes.count)
        var line = 1
        var column = 1
        var i = 0
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation byte
                column += 1
            }
            i += 1
        }
        return (line, column)
    }
}
