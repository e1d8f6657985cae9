// Guarded so scripts/fuzz can compile the decoder and its dependencies as one module.
#if canImport(LambdaRuntime)
import LambdaRuntime
#endif

/// The payload is not an event this function understands. Reported to Lambda as
/// `Function.InvalidEvent` with the JSON path of the problem, so a bad event is diagnosable from
/// the error alone and never half-applied.
public struct EventError: Error, Equatable, Sendable, LambdaError, CustomStringConvertible {
    /// Where in the payload, e.g. `Records[2].s3.object.key`.
    public var path: String
    public var problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var errorType: String { "Function.InvalidEvent" }
    public var errorMessage: String { description }
    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}
