/// A JSON document as a value. Numbers keep their literal text so that whatever a catalog holds
/// (sizes beyond 2^53, `1.50`, `1e3`) is written back exactly as it was read.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal as it appears in JSON (already validated by the parser).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(String(value)) }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    /// The number as an integer, if it is one exactly (`3`, not `3.5`, not `1e400`).
    public var int64Value: Int64? { if case .number(let n) = self { Int64(n) } else { nil } }
    public var doubleValue: Double? { if case .number(let n) = self { Double(n) } else { nil } }

    /// Member lookup; `nil` when this is not an object or has no such member.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    public var kind: JSONKind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// A short name for error messages: "a string", "an object"...
    public var kindDescription: String { kind.description }
}
