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
