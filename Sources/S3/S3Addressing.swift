import SigV4
import Basics
/// Turns (bucket, key) into a URL, a Host header and the encoded path that gets signed. Custom
/// endpoints (local servers) get path-style URLs; AWS gets virtual-hosted ones, except for bucket
/// names that cannot be a DNS label under a TLS wildcard certificate (dots, upper case, `_`).
public struct S3Addressing: Sendable, Equatable {
    public var region: String
    /// Custom endpoint, e.g. `http://127.0.0.1:8333`; `nil` means AWS.
    public var endpoint: String?

    public init(region: String, endpoint: String?) {
        self.region = region
        self.endpoint = endpoint
    }

    /// Where one request goes.
    public struct Location: Sendable, Equatable {
        /// `scheme://authority`, no trailing slash.
        public var origin: String
        /// The `Host` header value (authority, with the port when the endpoint names one).
        public var host: String
        /// Percent-encoded path, exactly as sent and as signed.
        public var encodedPath: String
        /// Full URL without a query string.
        public var url: String { origin + encodedPath }
    }

    /// The location of a bucket (`key == nil`) or of an object.
    public func location(bucket: String, key: String?) -> Location {
        let keyPath = key.map { "/" + URIEncoding.encodePath($0) } ?? ""
        if let endpoint {
            let (scheme, authority, basePath) = Self.split(endpoint)
            return Location(origin: scheme + "://" + authority, host: authority,
                            encodedPath: basePath + "/" + URIEncoding.encodePath(bucket) + keyPath)
        }
        if Self.isVirtualHostable(bucket) {
            let host = "\(bucket).s3.\(region).\(dnsSuffix)"
            return Location(origin: "https://" + host, host: host, encodedPath: keyPath.isEmpty ? "/" : keyPath)
        }
        let host = "s3.\(region).\(dnsSuffix)"
        return Location(origin: "https://" + host, host: host,
                        encodedPath: "/" + URIEncoding.encodePath(bucket) + keyPath)
    }

    /// The partition's domain: the China regions (`cn-north-1`, `cn-northwest-1`) are in their
    /// own, `amazonaws.com.cn`; every other region, GovCloud included, is under `amazonaws.com`.
    var dnsSuffix: String { region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com" }

    /// Whether the bucket can be the first DNS label of an HTTPS host: 3–63 of `a-z0-9-`,
    /// starting and ending with a letter or digit, no dots (they break the wildcard certificate).
    public static func isVirtualHostable(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isValidEndpoint(_ url: String) -> Bool {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return false }
        return !split(url).authority.isEmpty
    }

    /// `http://host:port/base/` → ("http", "host:port", "/base").
    static func split(_ endpoint: String) -> (scheme: String, authority: String, basePath: String) {
        let scheme = endpoint.hasPrefix("https://") ? "https" : "http"
        let rest = endpoint.dropFirst(scheme.count + 3)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var basePath = String(rest[slash...])
        while basePath.hasSuffix("/") { basePath.removeLast() }
        return (scheme, String(rest[..<slash]), basePath)
    }
}
