import Basics
import Catalog
import HTTPClient
import JSON

/// `POST /uploads` and the viewing URLs of `GET /images?urls=1`: the two places where the API
/// hands out presigned URLs instead of reading S3 itself.
extension ImageAPI {
    /// Validates the request, picks the key and signs a PUT for exactly that key, content type
    /// and size:
    ///
    ///     {"url": "https://...", "method": "PUT", "headers": {"Content-Type": "image/png"},
    ///      "key": "images/uploads/3f9c0a1b2c3d4e5f/cat.png", "size": 48213,
    ///      "expiresAt": "2026-11-25T17:10:00Z", "expiresIn": 300}
    func upload(body: [UInt8]) throws(APIError) -> GatewayResponse {
        guard let presigner else { throw Self.uploadsUnavailable }
        let request = try UploadRequest.parse(body, policy: uploads)
        // A directory per upload: two users' `cat.png` never collide or overwrite each other, no
        // user id ends up in a key that every catalog reader sees, and the id starts with the
        // time, so newer uploads sort later: `order=name-desc` under the prefix is newest first,
        // and new uploads land together at the end of the catalog (a small write).
        let key = uploads.prefix + uploadID() + "/" + request.name
        let signedAt = nowSeconds
        let headers = [HTTPHeader(name: "Content-Type", value: request.contentType)]
        let url = presigner.presignedURL(method: "PUT", bucket: bucket, key: key, query: [],
                                         headers: headers + [HTTPHeader(name: "Content-Length", value: String(request.size))],
                                         signedAt: signedAt, expiresInSeconds: uploads.expiresInSeconds)
        let body = JSONValue.object([
            "url": .string(url),
            "method": .string("PUT"),
            "headers": .object(JSONObject(headers.map { (key: $0.name, value: JSONValue.string($0.value)) })),
            "key": .string(key),
            "size": .int(request.size),
            "expiresAt": .string(UTCTime.iso8601(epochSeconds: signedAt + Int64(uploads.expiresInSeconds))),
            "expiresIn": .int(uploads.expiresInSeconds),
        ]).serialized()
        // The URL is a credential for a few minutes: no cache may keep it.
        return GatewayResponse(statusCode: 200, headers: ["content-type": "application/json", "cache-control": "no-store",
                                                      "x-content-type-options": "nosniff"], body: body)
    }

    /// `urls` of `GET /images`: absent or `0` (no URLs), `1` or `true` (URLs); anything else 400.
    static func wantsURLs(_ query: [String: String]) throws(APIError) -> Bool {
        switch query["urls"] {
        case nil, "0", "false": return false
        case "1", "true": return true
        default: throw APIError(400, "invalid_urls", "urls must be 1 (add a viewing URL to each entry) or 0")
        }
    }

    /// Writes `entry`, with a `url` member for viewing it when `window` is set and the entry may
    /// be viewed (a stored `url` member is replaced, or dropped when no URL is given).
    func write(_ entry: CatalogEntry, urlsFor window: ViewWindow?, to body: inout [UInt8]) {
        guard let window else { return entry.write(to: &body) }
        var copy = entry
        if let presigner, uploads.mayView(entry.name) {
            copy.extra["url"] = .string(presigner.presignedURL(method: "GET", bucket: bucket, key: entry.name,
                                                               query: ViewingOverrides.query(forType: entry.type), headers: [],
                                                               signedAt: window.signedAt,
                                                               expiresInSeconds: window.expiresInSeconds))
        } else {
            copy.extra["url"] = nil
        }
        copy.write(to: &body)
    }

    static let uploadsUnavailable = APIError(501, "not_implemented", "this deployment does not sign upload URLs")

    /// 22 hex digits: the time in milliseconds (12 digits, so ids sort by time until the year
    /// 10889), then 40 bits from the system's cryptographic random source (`getrandom` on Linux),
    /// so two uploads in the same millisecond still differ.
    public static func timeOrderedUploadID(nowMs: Int64 = SystemClock.epochMilliseconds()) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(Hex.padded(UInt64(max(0, nowMs))).suffix(12)) + String(Hex.padded(generator.next()).suffix(10))
    }
}
