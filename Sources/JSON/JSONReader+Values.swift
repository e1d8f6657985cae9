extension JSONReader {
    /// Reads one whole value (after whitespace) into a `JSONValue`.
    public mutating func readValue() throws(JSONError) -> JSONValue {
        switch try peekKind() {
        case .object:
            try beginObject()
            var object = JSONObject()
            while let key = try nextObjectKey() {
                object.members.append((key: key, value: try readValue()))
            }
            return .object(object)
        case .array:
            try beginArray()
            var items: [JSONValue] = []
            while try nextArrayElement() {
                items.append(try readValue())
            }
            return .array(items)
        case .string:
            return .string(try readStringLiteral())
        case .number:
            let start = offset
            try scanNumber()
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self))
        case .bool:
            if bytes[offset] == UInt8(ascii: "t") {
                try expectLiteral("true")
                return .bool(true)
            }
            try expectLiteral("false")
            return .bool(false)
        case .null:
            try expectLiteral("null")
            return .null
        }
    }

    /// Validates one whole value (after whitespace) and moves past it, allocating nothing.
    public mutating func skipValue() throws(JSONError) {
        switch try peekKind() {
        case .object:
            try beginObject()
            while try skipObjectKey() { try skipValue() }
        case .array:
            try beginArray()
            while try nextArrayElement() { try skipValue() }
        case .string: try skipStringLiteral()
        case .number: try scanNumber()
        case .bool: try expectLiteral(bytes[offset] == UInt8(ascii: "t") ? "true" : "false")
        case .null: try expectLiteral("null")
        }
    }

    /// Reads a string value (after whitespace); any other kind of value is an error.
    public mutating func readString() throws(JSONError) -> String {
        let kind = try peekKind()
        guard kind == .string else { throw error("expected a string, found \(kind.description)") }
        return try readStringLiteral()
    }

    /// Moves past a number, checking RFC 8259's grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func scanNumber() throws(JSONError) {
        let count = bytes.count
        var i = offset
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, isDigit(bytes[i]) else {
            throw error("expected a digit after '-', found \(describeByte(at: i))", at: i)
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < count, isDigit(bytes[i]) {
                throw error("leading zeros are not allowed in numbers", at: i - 1)
            }
        } else {
            while i < count, isDigit(bytes[i]) { i += 1 }
        }
        if i < count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, isDigit(bytes[i]) else {
                throw error("expected a digit after '.', found \(describeByte(at: i))", at: i)
            }
            while i < count, isDigit(bytes[i]) { i += 1 }
        }
        if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, isDigit(bytes[i]) else {
                throw error("expected a digit in the exponent, found \(describeByte(at: i))", at: i)
            }
            while i < count, isDigit(bytes[i]) { i += 1 }
        }
        offset = i
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let length = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for k in 0..<length where offset + k >= bytes.count || bytes[offset + k] != text[k] {
            throw error("invalid literal: expected '\(literal)'")
        }
        offset += length
    }
}
