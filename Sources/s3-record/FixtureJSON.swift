import Basics
import JSON

/// The layout of fixture files, pretty enough to review in a diff (one header per line); strings
/// are escaped by the JSON module's writer, which has no pretty-printing of its own.
enum FixtureJSON {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([FixtureJSON])
    case object([(String, FixtureJSON)])

    func render(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch self {
        case .string(let s): return Self.quote(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { return "[]" }
            // Arrays of scalars (a header pair) stay on one line.
            if items.allSatisfy({ if case .string = $0 { true } else { false } }) {
                return "[" + items.map { $0.render() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + $0.render(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n" + members.map { inner + Self.quote($0.0) + ": " + $0.1.render(indent: indent + 1) }
                .joined(separator: ",\n") + "\n" + pad + "}"
        }
    }

    /// A JSON string literal, escaped by the JSON module's writer.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        JSONValue.writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A body as `bodyText` when it is printable UTF-8, else as `bodyBase64`.
    static func body(_ bytes: [UInt8]) -> (String, FixtureJSON) {
        let printable = bytes.allSatisfy { $0 >= 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if printable, let text = String(validating: bytes, as: UTF8.self) {
            return ("bodyText", .string(text))
        }
        return ("bodyBase64", .string(Base64.encode(bytes)))
    }
}
