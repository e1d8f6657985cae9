/// The kind of value that starts at the reader's position.
public enum JSONKind: Equatable, Sendable {
    case null, bool, number, string, array, object

    /// "an object", "a string"...: the words error messages use (also `JSONValue.kindDescription`).
    public var description: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
