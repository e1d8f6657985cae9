/// The payload is not an event this function understands (an S3 notification for the catalog,
/// an HTTP API request for the API). Carries the JSON path of the problem, so a bad event is
/// diagnosable from the error alone and never half-applied; the handlers report it to Lambda as
/// `Function.InvalidEvent`.
public struct EventError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where in the payload, e.g. `Records[2].s3.object.key`.
    public var path: String
    public var problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}
