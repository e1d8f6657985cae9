import Catalog
import JSON

/// Decides what a catalog entry says about an object.
enum EntryBuilder {
    /// Formats a catalog holds, by the lowercase extension that names them.
    static let imageTypes: [String: String] = [
        "jpg": "jpg", "jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "bmp": "bmp",
        "tif": "tiff", "tiff": "tiff", "heic": "heic", "heif": "heic", "avif": "avif", "ico": "ico",
        "svg": "svg",
    ]

    /// Members this function owns in an entry: refreshed from S3 on every observation and dropped
    /// when the object no longer has them. Anything else a user added to an entry is kept.
    static let policy = UpsertPolicy.merge(managing: ["etag", "lastModified", "width", "height"])

    /// Why `key` can never be an entry, decided from the key alone (no request needed).
    static func refusal(forKey key: String) -> String? {
        if key.hasSuffix("/") { return "a folder marker, not an object" }
        guard let ext = fileExtension(key) else { return "not an image: no file extension" }
        return imageTypes[ext] == nil ? "not an image: .\(ext) is not an image extension" : nil
    }

    struct Refusal: Error, Equatable { var reason: String }

    static func entry(key: String, observation: ObjectObservation) -> Result<CatalogEntry, Refusal> {
        guard let ext = fileExtension(key), let type = imageTypes[ext] else {
            return .failure(Refusal(reason: "not an image"))
        }
        var extra = JSONObject()
        extra["etag"] = .string(observation.etag)
        if let lastModified = observation.lastModified { extra["lastModified"] = .string(lastModified) }
        return .success(CatalogEntry(name: key, type: type, size: observation.size, extra: extra))
    }

    static func fileExtension(_ key: String) -> String? {
        let name = key.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...]
        return ext.isEmpty ? nil : ext.lowercased()
    }
}
