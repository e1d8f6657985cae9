/// A JSON object that keeps its members in document order, so rewritten files diff cleanly.
/// Lookups are linear: objects here are small (an event record, a catalog entry).
public struct JSONObject: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        /// Sets every member of the name: a later duplicate is dropped (readers that take the
        /// last of duplicates, as most do, would read it instead of the value set).
        set {
            guard let i = members.firstIndex(where: { $0.key == key }) else {
                if let newValue { members.append((key: key, value: newValue)) }
                return
            }
            members[(i + 1)...].removeAll { $0.key == key }
            if let newValue { members[i].value = newValue } else { members.remove(at: i) }
        }
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
