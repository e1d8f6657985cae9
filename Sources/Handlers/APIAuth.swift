/// Who is calling, as API Gateway's JWT authorizer verified it.
///
/// The handler never sees a token: on AWS the HTTP API's JWT authorizer checks issuer,
/// audience, expiry and signature and passes the claims in the event (locally,
/// scripts/local_api.py does the same). The handler still refuses an event without claims, so
/// a route deployed without the authorizer fails closed instead of serving anonymous callers.
public struct APICaller: Equatable, Sendable {
    /// The `sub` claim, the only thing that selects a caller's record.
    public var subject: APISubject
    /// `requestContext.authorizer.jwt.scopes` plus the space-separated `scope` claim.
    public var scopes: [String]

    public init(subject: APISubject, scopes: [String] = []) {
        self.subject = subject
        self.scopes = scopes
    }

    /// The caller, or 401 when the event carries no verified claims or no usable `sub`.
    public static func from(_ request: APIRequest) -> APIStep<APICaller> {
        guard let claims = request.claims else {
            return .answer(unauthorized("this API needs a valid bearer token"))
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else {
            return .answer(unauthorized("the token has no subject (sub)"))
        }
        guard let subject = APISubject(sub) else {
            return .answer(unauthorized("the token's subject (sub) is not one this API accepts"))
        }
        var scopes = request.scopes ?? []
        if let scope = claims["scope"]?.stringValue {
            for token in scope.utf8.split(separator: UInt8(ascii: " ")) {
                let text = String(decoding: token, as: UTF8.self)
                if !scopes.contains(text) { scopes.append(text) }
            }
        }
        return .proceed(APICaller(subject: subject, scopes: scopes))
    }

    /// `nil` when the caller may use `route`, else the 403 (RFC 6750 `insufficient_scope`).
    public func forbidden(route: APIRoute, requiredScope: String?) -> APIResponse? {
        guard let requiredScope, route.needsScope, !scopes.contains(requiredScope) else { return nil }
        return .error(403, "forbidden", "the token lacks the scope \(requiredScope)",
                      headers: ["www-authenticate": "Bearer error=\"insufficient_scope\", scope=\"\(requiredScope)\""])
    }

    static func unauthorized(_ message: String) -> APIResponse {
        .error(401, "unauthorized", message, headers: ["www-authenticate": "Bearer"])
    }
}
