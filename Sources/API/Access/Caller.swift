/// Who is calling, as API Gateway's JWT authorizer verified it.
///
/// The handler never sees a token: on AWS the HTTP API's JWT authorizer checks issuer,
/// audience, expiry and signature and passes the claims in the event (locally, the
/// `imagecat_tools.local_api` module does the same). The handler still refuses an event without claims, so
/// a route deployed without the authorizer fails closed instead of serving anonymous callers.
public struct Caller: Equatable, Sendable {
    /// The `sub` claim, the only thing that selects a caller's record.
    public var subject: Subject
    /// `requestContext.authorizer.jwt.scopes` plus the space-separated `scope` claim.
    public var scopes: [String]

    public init(subject: Subject, scopes: [String] = []) {
        self.subject = subject
        self.scopes = scopes
    }

    /// The caller, or 401 when the event carries no verified claims or no usable `sub`.
    public init(_ request: GatewayRequest) throws(APIError) {
        guard let claims = request.claims else {
            throw Self.unauthorized("this API needs a valid bearer token")
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else {
            throw Self.unauthorized("the token has no subject (sub)")
        }
        guard let subject = Subject(sub) else {
            // The token is valid: signing in again gives the same subject, so not a 401.
            throw APIError(403, "invalid_subject", "the token's subject (sub) cannot key a record: "
                           + "over \(Subject.maxLength) bytes, or with a control or hidden character")
        }
        var scopes = request.scopes ?? []
        if let scope = claims["scope"]?.stringValue {
            for token in scope.utf8.split(separator: UInt8(ascii: " ")) {
                let text = String(decoding: token, as: UTF8.self)
                if !scopes.contains(text) { scopes.append(text) }
            }
        }
        self.init(subject: subject, scopes: scopes)
    }

    /// Passes when `scope` is `nil` or the token has it; else 403 (RFC 6750 `insufficient_scope`).
    public func require(scope: String?) throws(APIError) {
        guard let scope, !scopes.contains(scope) else { return }
        throw APIError(403, "forbidden", "the token lacks the scope \(scope)",
                       headers: ["www-authenticate": "Bearer error=\"insufficient_scope\", scope=\"\(scope)\""])
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(401, "unauthorized", message, headers: ["www-authenticate": "Bearer"])
    }
}
