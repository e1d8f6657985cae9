import Basics
import JSON

/// The body of `POST /uploads`: `{"name": "cat.png", "contentType": "image/png", "size": 48213}`,
/// validated before anything is signed.
///
/// Names are file names chosen by a browser user, so they are checked, not trusted: the key is
/// always `UPLOAD_PREFIX` + a random id + `/` + the name, and the name cannot climb out of that
/// (no `..` or `.` segments, no leading or trailing `/`), hide in a log or a listing (no control
/// or bidirectional-override characters), or grow the key past S3's limit.
public struct UploadRequest: Equatable, Sendable {
    /// More than enough for the three members; anything larger is not a client of this API.
    public static let maxBodyBytes = 4096

    /// The name as given, with surrounding spaces removed.
    public var name: String
    /// Lower case, one of `UploadPolicy.contentTypes`.
    public var contentType: String
    /// Exact size of the file in bytes; the URL only accepts a body of this size.
    public var size: Int64

    public init(name: String, contentType: String, size: Int64) {
        self.name = name
        self.contentType = contentType
        self.size = size
    }

    /// The validated request, or the 400 that says which member is wrong and why.
    public static func parse(_ body: [UInt8], policy: UploadPolicy) throws(APIError) -> UploadRequest {
        guard body.count <= maxBodyBytes else {
            throw APIError(400, "invalid_body", "the body must be a JSON object of at most \(maxBodyBytes) bytes")
        }
        guard let value = try? JSONValue(parsing: body), let object = value.objectValue else {
            throw APIError(400, "invalid_body", #"the body must be a JSON object: {"name": ..., "contentType": ..., "size": ...}"#)
        }

        guard let rawName = object["name"]?.stringValue else {
            throw APIError(400, "invalid_name", "name must be a string: the file's name")
        }
        let name = ASCII.trimmed(rawName)
        if let problem = nameProblem(name) {
            throw APIError(400, "invalid_name", "name \(problem)")
        }

        guard let rawType = object["contentType"]?.stringValue else {
            throw APIError(400, "invalid_content_type", "contentType must be a string such as image/png")
        }
        guard let contentType = UploadPolicy.normalizedContentType(rawType) else {
            throw APIError(400, "invalid_content_type",
                                  "contentType must be one of " + UploadPolicy.contentTypes.joined(separator: ", "))
        }

        guard let size = object["size"]?.int64Value, size >= 0 else {
            throw APIError(400, "invalid_size", "size must be the file's size in bytes (a whole number)")
        }
        guard size > 0 else {
            throw APIError(400, "invalid_size", "size must be at least 1: an empty file is not an image")
        }
        guard size <= policy.maxBytes else {
            throw APIError(400, "too_large", "the file is \(size) bytes; uploads are limited to \(policy.maxBytes) bytes")
        }
        return UploadRequest(name: name, contentType: contentType, size: size)
    }

    /// Why `name` cannot be part of a key, or `nil` when it can.
    static func nameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "must not be empty" }
        guard bytes.count <= UploadPolicy.maxNameBytes else {
            return "must be at most \(UploadPolicy.maxNameBytes) bytes of UTF-8"
        }
        if name.unicodeScalars.contains(where: \.isHiddenOrControl) {
            return "must not contain control or bidirectional-override characters"
        }
        guard !bytes.contains(UInt8(ascii: "\\")) else { return "must not contain backslashes" }
        guard bytes.first != UInt8(ascii: "/") else { return "must not start with /" }
        guard bytes.last != UInt8(ascii: "/") else { return "must not end with /" }
        for segment in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return "must not contain //" }
            // `%2e` too: API Gateway decodes a path once, so `GET /images/{name}` would see
            // such a segment as a dot segment and refuse it (a name uploaded, never fetched).
            if PathSegment.isDot(segment, percentEncoded: true) {
                return "must not contain . or .. segments (nor %2e for a dot)"
            }
        }
        return nil
    }
}
