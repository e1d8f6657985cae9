/// A request the API turns down (a 4xx), carrying the answer to send, as hummingbird's
/// `HTTPResponseError` does: each check throws it where it fails, so `ImageAPI.respond` reads as
/// the documented order of checks and every rejection is an ordinary typed error.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var response: GatewayResponse

    public init(_ response: GatewayResponse) { self.response = response }

    /// `{"error": code, "message": message}` with `status`.
    public init(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) {
        self.init(.error(status, code, message, headers: headers))
    }

    public var description: String { "\(response.statusCode) \(response.bodyText)" }
}
