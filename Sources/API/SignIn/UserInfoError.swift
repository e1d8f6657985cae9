/// The issuer's discovery document or userinfo endpoint gave no usable answer. Logged with the
/// URL and what went wrong (never the caller's token: it travels only in a request header, and
/// no header is part of this description); the client gets a plain 502.
public struct UserInfoError: Error, Equatable, Sendable, CustomStringConvertible {
    public var url: String
    public var problem: String

    public init(url: String, problem: String) {
        self.url = url
        self.problem = problem
    }

    public var description: String { "userinfo: GET \(url): \(problem)" }
}
