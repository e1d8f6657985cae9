import Basics

/// The catalog's `type` names (ImageSniffer's: `jpg`, `png`, … `svg`), their MIME types, and the
/// other spellings of the same types that clients send and hand-edited entries hold: a filter
/// for `png`, `PNG` or `image/png` matches entries typed `png` or `image/png`.
enum ImageType {
    /// Canonical name → the MIME type browsers render inline.
    static let mimeTypes: [String: String] = [
        "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
        "bmp": "image/bmp", "tiff": "image/tiff", "heic": "image/heic", "avif": "image/avif",
        "ico": "image/vnd.microsoft.icon", "svg": "image/svg+xml",
    ]

    /// Other names (MIME subtypes, file extensions) → canonical name.
    static let aliases: [String: String] = [
        "jpeg": "jpg", "pjpeg": "jpg", "jpe": "jpg", "tif": "tiff", "svg+xml": "svg", "heif": "heic",
        "x-icon": "ico", "vnd.microsoft.icon": "ico", "x-ms-bmp": "bmp",
    ]

    /// The canonical name of `text`, however it is spelled: lower case, without `image/` and
    /// without parameters (`; charset=…`). A type imagecat does not know comes back in that
    /// normal form, so two spellings of it still compare equal.
    static func canonical(_ text: String) -> String {
        var bytes = Array(ASCII.lowercased(text).utf8)
        if let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) { bytes.removeSubrange(semicolon...) }
        while bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        if bytes.starts(with: "image/".utf8) { bytes.removeFirst(6) }
        let name = String(decoding: bytes, as: UTF8.self)
        return aliases[name] ?? name
    }
}
