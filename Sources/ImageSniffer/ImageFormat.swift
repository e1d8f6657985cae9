/// The image formats the sniffer recognises, named by the short canonical names the catalog
/// stores in its `"type"` field.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpg, png, gif, webp, bmp, tiff, heic, avif, ico, svg
}

extension ImageFormat {
    /// The name used in messages ("JPEG segment...").
    var displayName: String {
        switch self {
        case .jpg: "JPEG"
        case .png: "PNG"
        case .gif: "GIF"
        case .webp: "WebP"
        case .bmp: "BMP"
        case .tiff: "TIFF"
        case .heic: "HEIF"
        case .avif: "AVIF"
        case .ico: "ICO"
        case .svg: "SVG"
        }
    }
}
