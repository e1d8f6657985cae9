/// What the sniffer learnt about an image.
///
/// `width` and `height` are the size **as displayed**: after the EXIF orientation (JPEG, TIFF)
/// or the `clap`/`irot`/`imir` properties (HEIC, AVIF) are applied, so a phone photo stored
/// 4032×3024 with orientation 6 reports 3024×4032. `storedWidth`/`storedHeight` are the pixel
/// grid as encoded. Both are `nil` only for an SVG without a usable intrinsic size (no
/// width/height or viewBox, or a percentage). Orientation is read where browsers apply it
/// (JPEG and TIFF EXIF, HEIF/AVIF properties); EXIF in PNG, WebP and HEIF is not consulted.
public struct ImageInfo: Equatable, Sendable, CustomStringConvertible {
    public var format: ImageFormat
    public var width: Int?
    public var height: Int?
    public var storedWidth: Int?
    public var storedHeight: Int?
    public var orientation: Orientation

    public init(
        format: ImageFormat, width: Int?, height: Int?,
        storedWidth: Int? = nil, storedHeight: Int? = nil, orientation: Orientation = .normal
    ) {
        self.format = format
        self.width = width
        self.height = height
        self.storedWidth = storedWidth ?? width
        self.storedHeight = storedHeight ?? height
        self.orientation = orientation
    }

    /// Builds the displayed size from the stored one and an orientation.
    static func oriented(_ format: ImageFormat, stored w: Int, _ h: Int, _ o: Orientation) -> ImageInfo {
        let swap = o.swapsWidthAndHeight
        return ImageInfo(
            format: format, width: swap ? h : w, height: swap ? w : h,
            storedWidth: w, storedHeight: h, orientation: o)
    }

    public var description: String {
        let size = width.flatMap { w in height.map { "\(w)x\($0)" } } ?? "size unknown"
        return "\(format.rawValue) \(size)" + (orientation == .normal ? "" : " (orientation \(orientation.rawValue))")
    }
}
