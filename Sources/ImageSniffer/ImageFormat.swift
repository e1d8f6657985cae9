/// The image formats the sniffer recognises, named by the short canonical names the catalog
/// stores in its `"type"` field.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpg, png, gif, webp, bmp, tiff, heic, avif, ico, svg
}
