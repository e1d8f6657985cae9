/// Why an input line is not a request `sigv4-sign` can sign: the field and what is wrong with it.
struct SignJobError: Error, CustomStringConvertible {
    var field: String
    var problem: String

    var description: String { "\(field): \(problem)" }
}
