/// A configuration variable is missing or wrong. `description` reads `NAME is not set: ...` or
/// `NAME=value must be ...`.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var variable: String
    public var problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String {
        problem.hasPrefix("=") || problem.hasPrefix(" ") ? variable + problem : "\(variable) \(problem)"
    }
}
