import API
import Basics
import S3

/// The `api` handler's environment, read once at start-up: `CATALOG_BUCKET` (required),
/// `CATALOG_KEY`, `REQUIRED_SCOPE`, the upload and viewing limits (`UPLOAD_PREFIX`,
/// `UPLOAD_EXPIRES_SECONDS`, `MAX_UPLOAD_BYTES`, `UPLOAD_SCOPE`, `VIEW_PREFIX`,
/// `VIEW_URL_EXPIRES_SECONDS`) and S3 from the standard AWS variables. A bad value fails the
/// start-up naming the variable, rather than handing out URLs for the wrong keys.
public struct APIConfiguration: Sendable {
    public var s3: S3Configuration
    public var bucket: String
    public var catalogKey: String
    /// When set, `/images*` needs this scope in the token.
    public var requiredScope: String?
    public var uploads: UploadPolicy
    public var environment: Environment

    public init(_ environment: Environment) throws(ConfigurationError) {
        bucket = try environment.require("CATALOG_BUCKET", "it names the bucket whose catalog the API serves")
        requiredScope = try environment.scope("REQUIRED_SCOPE")
        do { s3 = try S3Configuration.fromEnvironment(environment) } catch {
            throw ConfigurationError("AWS", "configuration: \(error)")
        }
        catalogKey = environment.get("CATALOG_KEY") ?? "images.json"
        uploads = try Self.uploadPolicy(environment, catalogKey: catalogKey, requiredScope: requiredScope)
        self.environment = environment
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
