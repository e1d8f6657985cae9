import Basics
import HTTPClient
import JSON
import Telemetry

/// Where `PUT /me` learns the caller's email, name and picture from, never from the request
/// itself (access tokens usually carry no email, and a body is the client's word):
///
/// 1. a namespaced claim an Auth0 post-login Action put into the access token
///    (`<namespace>email`, `<namespace>email_verified`, `<namespace>name`, `<namespace>picture`),
///    which the JWT authorizer verified with the rest of the token; else
/// 2. the issuer's userinfo endpoint, called with the caller's own `Authorization` header, and
///    only for a token whose `iss` is the configured issuer: the endpoint is the one the issuer's
///    discovery document names (or the configured one), so the token never goes anywhere its
///    own issuer did not say. Its answer counts only if its `sub` is the token's.
///
/// A reference type: the discovered endpoint is kept for the warm process's later sign-ins.
public final class ProfileSource {
    /// Prefix of the Action's claims, e.g. `https://imagecat.example.com/`.
    public let claimNamespace: String?
    /// The issuer whose userinfo may be asked, exactly as in the tokens' `iss`.
    public let issuer: String?
    /// A userinfo URL that overrides discovery.
    public let userinfoURL: String?
    public let transport: any HTTPTransport
    /// Limit for each request, further shortened to end before the invocation's deadline.
    public var timeoutMs = 3_000
    /// Discovery documents and userinfo answers are small; anything longer is refused.
    public var maxBodyBytes = 64 * 1024
    public var nowMs: () -> Int64 = SystemClock.epochMilliseconds
    /// The discovered userinfo endpoint (cached once found; a failed discovery is tried again).
    public private(set) var discoveredURL: String?
    /// How long each userinfo call took (ms, answered or not) since the last
    /// `takeUserinfoLatencies()`: the `UserinfoLatency` metric.
    public private(set) var userinfoLatencies: [Double] = []

    public init(claimNamespace: String? = nil, issuer: String? = nil, userinfoURL: String? = nil,
                transport: any HTTPTransport) {
        self.claimNamespace = claimNamespace
        self.issuer = issuer
        self.userinfoURL = userinfoURL
        self.transport = transport
    }

    /// The caller's profile from the first source that applies; empty when none does (no
    /// namespace claims and no userinfo configured, a token from another issuer, a userinfo
    /// answer about someone else). `log` says why a source was passed over.
    public func profile(claims: JSONObject, subject: Subject, authorization: String?, deadline: Deadline?,
                        log: Logger) throws(UserInfoError) -> Profile {
        if let claimNamespace {
            let fromClaims = Profile(claims, prefix: claimNamespace)
            if !fromClaims.isEmpty { return fromClaims }
        }
        guard let issuer else { return Profile() }
        guard let iss = claims["iss"]?.stringValue, iss == issuer else {
            log.info("PUT /me: the token's issuer is not OIDC_ISSUER; userinfo not asked")
            return Profile()
        }
        guard let authorization = Self.bearer(authorization) else {
            log.warn("PUT /me: no bearer Authorization header to call userinfo with")
            return Profile()
        }
        var url = userinfoURL ?? discoveredURL ?? ""
        if url.isEmpty { url = try discover(issuer, deadline: deadline) }
        let started = nowMs()
        var duration: Double?
        defer { userinfoLatencies.append(duration ?? Double(nowMs() - started)) }
        let answer = try getJSONObject(url, headers: [HTTPHeader(name: "Authorization", value: authorization)], deadline: deadline,
                                       duration: &duration)
        guard answer["sub"]?.stringValue == subject.value else {
            log.warn("PUT /me: userinfo answered about another subject; its profile is ignored")
            return Profile()
        }
        return Profile(answer)
    }

    /// The `Authorization` value to call userinfo with: the caller's header as sent when it is
    /// `Bearer <token>`, and `Bearer <token>` for a bare token (some clients and proxies forward
    /// the access token without the scheme; it is the same credential, and refusing it would
    /// quietly store a record without the email). `nil` for no token or another scheme.
    static func bearer(_ authorization: String?) -> String? {
        guard let authorization, !authorization.isEmpty, ASCII.lowercased(authorization) != "bearer" else { return nil }
        if ASCII.lowercased(String(authorization.prefix(7))) == "bearer " { return authorization }
        // A token is one word of visible ASCII: anything with a space is another scheme ("Basic …").
        guard authorization.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return "Bearer " + authorization
    }

    /// `userinfo_endpoint` of `<issuer>/.well-known/openid-configuration` (OpenID Connect
    /// Discovery 1.0 §4), after checking that the document is the issuer's own.
    func discover(_ issuer: String, deadline: Deadline?) throws(UserInfoError) -> String {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let url = base + "/.well-known/openid-configuration"
        let document = try getJSONObject(url, headers: [], deadline: deadline)
        guard let stated = document["issuer"]?.stringValue, stated == issuer || stated == base || stated == base + "/" else {
            throw UserInfoError(url: url, problem: "the document names another issuer")
        }
        guard let endpoint = document["userinfo_endpoint"]?.stringValue else {
            throw UserInfoError(url: url, problem: "no userinfo_endpoint")
        }
        // https, or http only for an http issuer (a local provider on the loopback interface):
        // the caller's token must not be sent in clear to a place a real issuer never names.
        let secure = endpoint.hasPrefix("https://") || (endpoint.hasPrefix("http://") && base.hasPrefix("http://"))
        guard secure, !endpoint.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw UserInfoError(url: url, problem: "userinfo_endpoint is not an http(s) URL this issuer may use")
        }
        discoveredURL = endpoint
        return endpoint
    }

    /// The userinfo latencies measured since the last call, emptied.
    public func takeUserinfoLatencies() -> [Double] {
        defer { userinfoLatencies = [] }
        return userinfoLatencies
    }

    /// One GET whose answer must be a 200 with a JSON object; `duration` gets the exchange's
    /// time as the transport measured it, when it answered.
    func getJSONObject(_ url: String, headers: [HTTPHeader], deadline: Deadline?) throws(UserInfoError) -> JSONObject {
        var ignored: Double?
        return try getJSONObject(url, headers: headers, deadline: deadline, duration: &ignored)
    }

    func getJSONObject(_ url: String, headers: [HTTPHeader], deadline: Deadline?, duration: inout Double?) throws(UserInfoError) -> JSONObject {
        var timeout = timeoutMs
        if let deadline {
            timeout = Int(clamping: min(Int64(timeout), deadline.remainingMilliseconds(now: nowMs())))
        }
        guard timeout > 0 else { throw UserInfoError(url: url, problem: "no time left before the invocation's deadline") }
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(method: "GET", url: url, headers: headers + [HTTPHeader(name: "Accept", value: "application/json")],
                                                      timeoutMs: timeout, maxBodyBytes: maxBodyBytes))
        } catch {
            throw UserInfoError(url: url, problem: error.isBodyTooLarge ? "answer longer than \(maxBodyBytes) bytes"
                                                                       : "\(error.message) (curl error \(error.code))")
        }
        duration = response.durationMs
        guard response.status == 200 else { throw UserInfoError(url: url, problem: "answered HTTP \(response.status)") }
        guard let object = (try? JSONValue(parsing: response.body))?.objectValue else {
            throw UserInfoError(url: url, problem: "the answer is not a JSON object")
        }
        return object
    }
}
