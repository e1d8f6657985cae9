import JSON

/// Reads and validates one catalog entry object with a `JSONReader`.
enum EntryReader {
    /// An entry's members other than its name.
    struct Fields {
        var type: String
        var size: Int64
        var extra: JSONObject
    }

    private static let nameKey = Array("name".utf8), typeKey = Array("type".utf8), sizeKey = Array("size".utf8)

    /// Reads the entry object at the reader's position (entry `number`, 1-based, for messages),
    /// appending the entry's name to `name`. With `collectExtras` false, the members other than
    /// name, type and size are validated but not built: scanning needs only those three.
    static func read(
        _ reader: inout JSONReader, number: Int, collectExtras: Bool, name: inout [UInt8]
    ) throws(CatalogError) -> Fields {
        do {
            return try readMembers(&reader, number: number, collectExtras: collectExtras, name: &name)
        } catch let error as CatalogError {
            throw error
        } catch let error as JSONError {
            throw .syntax(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Reads a whole entry (for lookups and updates of entries already validated).
    static func entry(_ reader: inout JSONReader, number: Int) throws(CatalogError) -> CatalogEntry {
        var nameBytes: [UInt8] = []
        let fields = try read(&reader, number: number, collectExtras: true, name: &nameBytes)
        return CatalogEntry(
            name: String(decoding: nameBytes, as: UTF8.self), type: fields.type, size: fields.size,
            extra: fields.extra)
    }

    /// Throws `CatalogError` for a bad entry, `JSONError` for bad JSON (untyped, to mix both).
    private static func readMembers(
        _ reader: inout JSONReader, number: Int, collectExtras: Bool, name: inout [UInt8]
    ) throws -> Fields {
        let start = reader.offset
        let document = reader.bytes
        func invalid(_ problem: String) -> CatalogError {
            let (line, column) = JSONError.lineAndColumn(of: start, in: document)
            return .invalidEntry(index: number, offset: start, line: line, column: column, problem: problem)
        }
        var hasName = false
        var hasType = false
        var type: String?
        var size: Int64?
        var extra = JSONObject()
        var key: [UInt8] = []

        let kind = try reader.peekKind()
        guard kind == .object else { throw invalid("expected an object, found \(kind.description)") }
        try reader.beginObject()
        while try reader.nextObjectKey(into: &key) {
            if key == nameKey {
                guard !hasName else { throw invalid(#"duplicate "name" member"#) }
                hasName = true
                let valueKind = try reader.peekKind()
                guard valueKind == .string else {
                    throw invalid(#""name" must be a string, found "# + valueKind.description)
                }
                let before = name.count
                try reader.readString(appendingTo: &name)
                guard name.count > before else { throw invalid(#""name" must not be empty"#) }
            } else if key == typeKey {
                guard !hasType else { throw invalid(#"duplicate "type" member"#) }
                hasType = true
                let valueKind = try reader.peekKind()
                guard valueKind == .string else {
                    throw invalid(#""type" must be a string, found "# + valueKind.description)
                }
                type = try reader.readString()
            } else if key == sizeKey {
                guard size == nil else { throw invalid(#"duplicate "size" member"#) }
                size = try readSize(&reader, invalid)
            } else if collectExtras {
                extra.members.append((key: String(decoding: key, as: UTF8.self), value: try reader.readValue()))
            } else {
                try reader.skipValue()
            }
        }
        guard hasName else { throw invalid(#"missing "name""#) }
        guard hasType, let type else { throw invalid(#"missing "type""#) }
        guard let size else { throw invalid(#"missing "size""#) }
        return Fields(type: type, size: size, extra: extra)
    }

    /// A size must be written as a plain non-negative integer that fits in 64 bits: `1.0`,
    /// `1e3`, `-0` and strings are refused, not converted.
    private static func readSize(
        _ reader: inout JSONReader, _ invalid: (String) -> CatalogError
    ) throws -> Int64 {
        let value = try reader.readValue()
        guard case .number(let literal) = value else {
            throw invalid(#""size" must be a non-negative integer, found "# + value.kindDescription)
        }
        guard literal.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw invalid(#""size" must be a non-negative integer, found "# + literal)
        }
        guard let size = Int64(literal) else {
            throw invalid(#""size" is too large: "# + literal)
        }
        return size
    }
}
