/// A stored object the API cannot serve (a corrupt catalog, a record that is not JSON). Logged
/// with the details, answered with a plain 500.
struct StoredDataError: Error, CustomStringConvertible {
    var what: String
    var problem: String
    var description: String { "\(what) cannot be served: \(problem)" }
}
