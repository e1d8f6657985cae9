/// The process environment, read once at start-up by the handlers' configuration structs
/// (`hummingbird`'s `Environment` in spirit): an empty value counts as unset, and a bad value is
/// a `ConfigurationError` that names the variable, so a wrong deployment fails at start-up.
public struct Environment: Sendable, ExpressibleByDictionaryLiteral {
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// The process's own value of a variable Lambda sets, e.g. `_HANDLER`, as-is (empty or not).
    public subscript(_ name: String) -> String? { values[name] }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { first, _ in first }))
    }

    /// The value, or `nil` when unset or empty.
    public func get(_ name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The value, or a `ConfigurationError` saying what the variable is for.
    public func require(_ name: String, _ purpose: String) throws(ConfigurationError) -> String {
        guard let value = get(name) else { throw ConfigurationError(name, "is not set: \(purpose)") }
        return value
    }

    /// A whole number in `range`, `fallback` when unset.
    public func number(_ name: String, default fallback: Int64, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64 {
        guard let text = get(name) else { return fallback }
        guard text.utf8.count <= 19, text.utf8.allSatisfy({ (48...57).contains($0) }), let parsed = Int64(text),
              range.contains(parsed) else {
            throw ConfigurationError(name, "=\(text) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }

    /// An OAuth scope name (one token: no spaces, quotes or control characters), `nil` when unset.
    public func scope(_ name: String) throws(ConfigurationError) -> String? {
        guard let scope = get(name) else { return nil }
        if scope.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            throw ConfigurationError(name, " must be one scope (no spaces, quotes or control characters)")
        }
        return scope
    }
}
