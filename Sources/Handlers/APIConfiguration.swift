import API
import Basics
import HTTPClient
import S3

/// The `api` handler's environment, read once at start-up: `CATALOG_BUCKET` (required),
/// `CATALOG_KEY`, `REQUIRED_SCOPE`, the upload and viewing limits (`UPLOAD_PREFIX`,
/// `UPLOAD_EXPIRES_SECONDS`, `MAX_UPLOAD_BYTES`, `UPLOAD_SCOPE`, `VIEW_PREFIX`,
/// `VIEW_URL_EXPIRES_SECONDS`), where `PUT /me` finds the caller's profile (`OIDC_ISSUER`,
/// `OIDC_USERINFO_URL`, `USER_CLAIMS_NAMESPACE`) and S3 from the standard AWS variables. A bad
/// value fails the start-up naming the variable, rather than handing out URLs for the wrong keys
/// or sending callers' tokens somewhere unintended.
public struct APIConfiguration: Sendable {
    public var s3: S3Configuration
    public var bucket: String
    public var catalogKey: String
    /// When set, `/images*` needs this scope in the token.
    public var requiredScope: String?
    public var uploads: UploadPolicy
    /// The issuer whose userinfo endpoint `PUT /me` may call, exactly as in the tokens' `iss`
    /// (the JWT authorizer's issuer). Unset: no userinfo calls.
    public var oidcIssuer: String?
    /// A userinfo endpoint to call instead of the one the issuer's discovery document names.
    public var userinfoURL: String?
    /// Prefix of the profile claims an Auth0 Action adds to access tokens, e.g.
    /// `https://imagecat.example.com/` for `https://imagecat.example.com/email`.
    public var claimNamespace: String?
    /// libcurl's CA bundle (`SSL_CERT_FILE`).
    public var transport: TransportConfiguration

    public init(_ environment: Environment) throws(ConfigurationError) {
        bucket = try environment.require("CATALOG_BUCKET", "it names the bucket whose catalog the API serves")
        requiredScope = try environment.scope("REQUIRED_SCOPE")
        do { s3 = try S3Configuration.fromEnvironment(environment) } catch {
            throw ConfigurationError("AWS", "configuration: \(error)")
        }
        catalogKey = environment.get("CATALOG_KEY") ?? "images.json"
        uploads = try Self.uploadPolicy(environment, catalogKey: catalogKey, requiredScope: requiredScope)
        oidcIssuer = try Self.url(environment, "OIDC_ISSUER")
        userinfoURL = try Self.url(environment, "OIDC_USERINFO_URL")
        if userinfoURL != nil && oidcIssuer == nil {
            throw ConfigurationError("OIDC_ISSUER", "is not set: OIDC_USERINFO_URL is only called for tokens from that issuer")
        }
        claimNamespace = environment.get("USER_CLAIMS_NAMESPACE")
        if let claimNamespace, claimNamespace.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw ConfigurationError("USER_CLAIMS_NAMESPACE", "=\(claimNamespace) must not contain spaces or control characters")
        }
        transport = try TransportConfiguration(environment)
    }

    /// `PUT /me`'s profile source, or `nil` when neither claims nor userinfo are configured.
    public func profileSource(transport: any HTTPTransport) -> ProfileSource? {
        guard oidcIssuer != nil || claimNamespace != nil else { return nil }
        return ProfileSource(claimNamespace: claimNamespace, issuer: oidcIssuer, userinfoURL: userinfoURL, transport: transport)
    }

    /// An `https://` URL without spaces or control characters (`http://` only to this machine,
    /// for a local identity provider: callers' tokens are sent there), `nil` when unset.
    static func url(_ env: Environment, _ name: String) throws(ConfigurationError) -> String? {
        guard let value = env.get(name) else { return nil }
        guard value.hasPrefix("https://") || value.hasPrefix("http://"), value.utf8.count > "https://".utf8.count,
              !value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw ConfigurationError(name, "=\(value) must be an https:// URL")
        }
        guard value.hasPrefix("https://") || isLoopback(value) else {
            throw ConfigurationError(name, "=\(value) must be an https:// URL (http:// only to 127.0.0.1, ::1 or localhost): "
                                     + "callers' tokens are sent there")
        }
        return value
    }

    /// Whether an `http://` URL's host is this machine.
    static func isLoopback(_ url: String) -> Bool {
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }
        let host = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }) + "]"
            : String(authority.prefix { $0 != ":" })
        return host == "localhost" || host == "[::1]" || host.hasPrefix("127.") && host.split(separator: ".").count == 4
            && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    /// Uploads need `UPLOAD_SCOPE` when set, else the read scope: a token that may not even read
    /// the catalog must not be able to mint upload URLs.
    static func uploadPolicy(_ env: Environment, catalogKey: String, requiredScope: String?) throws(ConfigurationError) -> UploadPolicy {
        var policy = UploadPolicy(catalogKey: catalogKey)
        policy.prefix = env.get("UPLOAD_PREFIX") ?? UploadPolicy.defaultPrefix
        if let problem = UploadPolicy.prefixProblem(policy.prefix, catalogKey: catalogKey, mayBeEmpty: false) {
            throw ConfigurationError("UPLOAD_PREFIX", "=\(policy.prefix) \(problem)")
        }
        policy.viewPrefix = env["VIEW_PREFIX"] ?? UploadPolicy.defaultViewPrefix
        if let problem = UploadPolicy.prefixProblem(policy.viewPrefix, catalogKey: nil, mayBeEmpty: true) {
            throw ConfigurationError("VIEW_PREFIX", "=\(policy.viewPrefix) \(problem)")
        }
        policy.expiresInSeconds = Int(try env.number("UPLOAD_EXPIRES_SECONDS", default: Int64(UploadPolicy.defaultExpiresInSeconds),
                                                     in: 1...Int64(UploadPolicy.maxExpiresInSeconds)))
        policy.maxBytes = try env.number("MAX_UPLOAD_BYTES", default: UploadPolicy.defaultMaxBytes, in: 1...UploadPolicy.maxSinglePutBytes)
        policy.viewExpiresInSeconds = Int(try env.number("VIEW_URL_EXPIRES_SECONDS", default: Int64(UploadPolicy.defaultViewExpiresInSeconds),
                                                         in: 2...Int64(UploadPolicy.maxViewExpiresInSeconds)))
        policy.scope = try env.scope("UPLOAD_SCOPE") ?? requiredScope
        return policy
    }
}
