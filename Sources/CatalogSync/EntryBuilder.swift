import Catalog
import ImageSniffer
import JSON

/// Decides what a catalog entry says about an object: its format and pixel size come from the
/// object's own bytes (see `ImageSniffer`), never from its name.
enum EntryBuilder {
    /// Members this function owns in an entry: refreshed from S3 on every observation and dropped
    /// when the object no longer has them. Anything else a user added to an entry is kept.
    static let policy = UpsertPolicy.merge(managing: ["etag", "lastModified", "width", "height"])

    /// Why `key` can never be an entry, decided from the key alone (no request needed).
    static func refusal(forKey key: String) -> String? {
        key.hasSuffix("/") ? "a folder marker, not an object" : nil
    }

    struct Refusal: Error, Equatable {
        var reason: String
        var kind: SkipKind
    }

    static func entry(key: String, observation: ObjectObservation) -> Result<CatalogEntry, Refusal> {
        let format: ImageFormat
        var size: (width: Int?, height: Int?) = (nil, nil)
        switch observation.content {
        case .image(let info):
            format = info.format
            size = (info.width, info.height)
        case .corrupt(let failure) where failure.kind == .beyondLimit && failure.format != nil:
            format = failure.format!            // a real image whose size lies too deep to read
        case .corrupt(let failure):
            return .failure(Refusal(reason: "unreadable \(failure.format?.rawValue ?? "image") header: \(failure.message)", kind: .unreadable))
        case .notImage(let reason):
            return .failure(Refusal(reason: "not an image: \(reason)", kind: .notImage))
        case .needMore(let upTo):
            return .failure(Refusal(reason: "header not reached after \(observation.bytesRead) bytes (needs \(upTo))", kind: .unreadable))
        }
        var extra = JSONObject()
        if let width = size.width, let height = size.height {
            extra["width"] = .int(width)
            extra["height"] = .int(height)
        }
        extra["etag"] = .string(observation.version.etag)
        if let lastModified = observation.version.lastModified { extra["lastModified"] = .string(lastModified) }
        return .success(CatalogEntry(name: key, type: format.rawValue, size: observation.size, extra: extra))
    }
}
