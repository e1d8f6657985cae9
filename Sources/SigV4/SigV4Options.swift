/// The ways services differ in SigV4. The defaults are S3's.
public struct SigV4Options: Sendable, Equatable {
    /// Remove `.`/`..` segments and repeated slashes from the path before signing. S3: off.
    public var normalizePath: Bool
    /// Add and sign `x-amz-content-sha256` (header signing). S3 requires it on every request.
    public var addContentSHA256Header: Bool
    /// Sign the session token. Off only for the few services that add it after signing.
    public var signSessionToken: Bool

    public init(normalizePath: Bool = false, addContentSHA256Header: Bool = true, signSessionToken: Bool = true) {
        self.normalizePath = normalizePath
        self.addContentSHA256Header = addContentSHA256Header
        self.signSessionToken = signSessionToken
    }

    public static let s3 = SigV4Options()
}
