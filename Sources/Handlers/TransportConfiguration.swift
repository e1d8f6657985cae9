import Basics
import HTTPClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How the function's libcurl transports verify TLS, read once at start-up with the rest of the
/// configuration: libcurl reads no environment variable itself, and Amazon Linux keeps its CA
/// bundle at a path Debian's libcurl never looks at.
public struct TransportConfiguration: Sendable, Equatable {
    /// The CA bundle libcurl verifies servers with; `nil` leaves libcurl's built-in default.
    public var caBundle: String?

    /// Looked for in this order when `SSL_CERT_FILE` is unset.
    static let knownCABundles = [
        "/etc/pki/tls/certs/ca-bundle.crt",      // Amazon Linux, RHEL
        "/etc/ssl/certs/ca-certificates.crt",    // Debian, Ubuntu
        "/etc/ssl/cert.pem",                     // Alpine, macOS
    ]

    public init(caBundle: String?) { self.caBundle = caBundle }

    /// `SSL_CERT_FILE` when set and not empty (an empty value counts as unset, like every other
    /// variable, rather than pointing libcurl at a file named ""), else the first known bundle
    /// `fileExists` finds. A `SSL_CERT_FILE` that cannot be read stops the start-up: every HTTPS
    /// request would fail. Pure apart from `fileExists`, so tests choose what exists.
    public init(_ environment: Environment, fileExists: (String) -> Bool = TransportConfiguration.isReadable) throws(ConfigurationError) {
        if let configured = environment.get("SSL_CERT_FILE") {
            guard fileExists(configured) else { throw ConfigurationError("SSL_CERT_FILE", "=\(configured) is not a readable file") }
            caBundle = configured
        } else {
            caBundle = Self.knownCABundles.first(where: fileExists)
        }
    }

    /// A libcurl transport verifying with `caBundle`.
    public func makeTransport() -> CurlTransport { CurlTransport(caBundle: caBundle) }

    public static func isReadable(_ path: String) -> Bool { access(path, R_OK) == 0 }
}
