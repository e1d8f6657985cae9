import Basics

/// The API's validators: `ETag` values and `If-None-Match` matching.
///
/// An ETag is `"<variant>.<version>"`. `variant` is 16 hex digits hashing what shapes the body
/// besides the stored object (route, name, filter, page); `version` is the S3 object's ETag.
/// Keeping S3's ETag readable inside ours lets a cold function answer a revalidation with one
/// conditional GET to S3 (`If-None-Match: <S3 ETag>` → 304) without downloading the object.
/// An S3 ETag that is not plain hex (other S3-compatible servers) is hashed instead, prefixed
/// `h`, which still changes with the object but is then not sent back to S3.
public enum ResponseETag {
    /// Bump when the response format changes, so clients do not keep bodies of the old format.
    static let formatVersion = "api-v1"

    /// The quoted ETag for a body of `variant` built from the stored object version `storeETag`.
    public static func make(variant: String, storeETag: String) -> String {
        "\"" + StableHash.hex(Array((formatVersion + "\n" + variant).utf8)) + "." + version(storeETag) + "\""
    }

    static func version(_ storeETag: String) -> String {
        isPlainS3ETag(storeETag) ? storeETag : "h" + StableHash.hex(Array(storeETag.utf8))
    }

    /// Hex digits and `-` (multipart ETags end in `-<parts>`): safe to echo in a header.
    static func isPlainS3ETag(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy {
            ASCII.hexValue($0) != nil || $0 == UInt8(ascii: "-")
        }
    }
}

