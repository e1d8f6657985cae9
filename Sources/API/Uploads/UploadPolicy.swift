import Basics

/// What browsers may upload through `POST /uploads`, and which images `GET /images?urls=1` hands
/// out viewing URLs for.
///
/// The bucket is never publicly writable or readable: a browser gets a short-lived presigned URL
/// for one key, one content type and one exact size, signed with the function's own credentials,
/// so S3 itself refuses anything else. These limits are the whole of what a token holder can do.
public struct UploadPolicy: Equatable, Sendable {
    /// Under the template's default `ImagesPrefix` (`images/`), so the catalog function sees
    /// uploads without a notification filter of their own.
    public static let defaultPrefix = "images/uploads/"
    public static let defaultExpiresInSeconds = 300
    /// Long enough for a slow upload of the largest file, short enough that a leaked URL is
    /// useless soon.
    public static let maxExpiresInSeconds = 3600
    public static let defaultMaxBytes: Int64 = 20 * 1024 * 1024
    /// S3's limit for one PutObject (a presigned URL cannot drive a multipart upload).
    public static let maxSinglePutBytes: Int64 = 5 * 1024 * 1024 * 1024
    public static let defaultViewPrefix = "images/"
    public static let defaultViewExpiresInSeconds = 600
    /// 12 hours: about what temporary role credentials (which sign the URLs on Lambda) last.
    public static let maxViewExpiresInSeconds = 43_200
    /// A file name, not a path: generous for real names, and keeps the key far below S3's
    /// 1024-byte limit.
    public static let maxNameBytes = 255
    static let maxPrefixBytes = 512

    /// The content types a browser may upload: exactly the formats the catalog recognises
    /// (ImageSniffer), so every accepted upload can become a catalog entry. Lower case; the PUT
    /// must send the same value, because it is signed.
    public static let contentTypes = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff",
        "image/heic", "image/heif", "image/avif", "image/x-icon", "image/vnd.microsoft.icon",
        "image/svg+xml",
    ]

    /// Every upload key starts with this (ends with `/`).
    public var prefix: String
    public var expiresInSeconds: Int
    /// The largest upload, in bytes. Enforced twice: `POST /uploads` refuses a larger declared
    /// size, and the URL signs `content-length`, so S3 refuses a body of any other size.
    public var maxBytes: Int64
    /// `POST /uploads` needs this scope when set (e.g. `write:images`).
    public var scope: String?
    /// Catalog entries under this prefix get a viewing URL (`""`: every entry). Never the catalog
    /// itself or `users/`, whatever the prefix says.
    public var viewPrefix: String
    public var viewExpiresInSeconds: Int
    /// The catalog's key (`CATALOG_KEY`): never viewable through a URL, never under `prefix`.
    public var catalogKey: String

    public init(prefix: String = defaultPrefix, expiresInSeconds: Int = defaultExpiresInSeconds,
                maxBytes: Int64 = defaultMaxBytes, scope: String? = nil,
                viewPrefix: String = defaultViewPrefix, viewExpiresInSeconds: Int = defaultViewExpiresInSeconds,
                catalogKey: String = "images.json") {
        self.catalogKey = catalogKey
        self.prefix = prefix
        self.expiresInSeconds = expiresInSeconds
        self.maxBytes = maxBytes
        self.scope = scope
        self.viewPrefix = viewPrefix
        self.viewExpiresInSeconds = viewExpiresInSeconds
    }

    /// The content type as it will be signed (lower case), or `nil` when it is not an image type
    /// this API accepts. Parameters (`image/png; x=1`) are refused rather than dropped: the
    /// browser would send them, and the signature would then not match.
    public static func normalizedContentType(_ text: String) -> String? {
        let lowered = ASCII.lowercased(text)
        return contentTypes.contains(lowered) ? lowered : nil
    }

    /// Whether `name` (a catalog entry's key) may get a viewing URL: under `viewPrefix`, and
    /// neither the catalog nor a user's record, so a hand-edited catalog entry cannot turn into
    /// a URL for someone's `users/<sub>.json`.
    public func mayView(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.starts(with: viewPrefix.utf8)
            && !name.utf8.starts(with: ImageAPI.usersPrefix.utf8) && !name.utf8.elementsEqual(catalogKey.utf8)
            && !name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
    }

    /// Why `prefix` cannot be a key prefix for uploads or views, or `nil` when it is fine. With a
    /// `catalogKey` (uploads), the catalog must lie outside the prefix, so no upload can replace it.
    public static func prefixProblem(_ prefix: String, catalogKey: String?, mayBeEmpty: Bool) -> String? {
        let bytes = Array(prefix.utf8)
        if bytes.isEmpty { return mayBeEmpty ? nil : "must not be empty" }
        guard bytes.count <= maxPrefixBytes else { return "is longer than \(maxPrefixBytes) bytes" }
        guard bytes.last == UInt8(ascii: "/") else { return "must end with /" }
        guard bytes.first != UInt8(ascii: "/") else { return "must not start with /" }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else {
            return "must not contain control characters or backslashes"
        }
        for segment in bytes.dropLast().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty || PathSegment.isDot(segment, percentEncoded: true) {
                return "must not contain empty, . or .. segments (nor %2e for a dot)"
            }
        }
        if prefix.utf8.starts(with: ImageAPI.usersPrefix.utf8) { return "must not be under \(ImageAPI.usersPrefix) (users' records)" }
        if let catalogKey, catalogKey.utf8.starts(with: prefix.utf8) { return "must not contain the catalog (\(catalogKey))" }
        return nil
    }
}
