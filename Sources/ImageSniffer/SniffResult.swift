/// The image formats the sniffer recognises, named by the short canonical names the catalog
/// stores in its `"type"` field.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpg, png, gif, webp, bmp, tiff, heic, avif, ico, svg
}

/// How a stored picture must be turned to be shown upright, as EXIF tag 0x0112 numbers it
/// (TIFF 6.0 "Orientation"). HEIF/AVIF `irot`/`imir` properties are mapped onto the same eight
/// values so callers deal with one vocabulary.
public enum Orientation: Int, Sendable, CaseIterable {
    /// 1: shown as stored.
    case normal = 1
    /// 2: mirrored left to right.
    case mirrorHorizontal = 2
    /// 3: turned 180°.
    case rotate180 = 3
    /// 4: mirrored top to bottom.
    case mirrorVertical = 4
    /// 5: mirrored across the top-left to bottom-right diagonal.
    case transpose = 5
    /// 6: turned 90° clockwise to display.
    case rotate90 = 6
    /// 7: mirrored across the top-right to bottom-left diagonal.
    case transverse = 7
    /// 8: turned 90° anticlockwise (270° clockwise) to display.
    case rotate270 = 8

    /// Orientations 5–8 show the stored width as the displayed height.
    public var swapsWidthAndHeight: Bool { rawValue >= 5 }
}

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

/// Why the header could not give an answer although the file looked like an image.
public struct SniffFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file ends before the header does.
        case truncated
        /// The header contradicts itself or the format's rules.
        case malformed
        /// The needed bytes lie past the read limit (`maxBytes`): the file may be fine, but
        /// reading further is not worth it. The format is still known.
        case beyondLimit
    }

    public var kind: Kind
    /// The format the file's signature announced: callers may still record the type. `nil`
    /// only for an ISO base media file cut before its brands tell HEIC from AVIF.
    public var format: ImageFormat?
    /// Byte offset of the structure at fault.
    public var offset: Int
    public var message: String

    public init(_ kind: Kind, _ format: ImageFormat?, at offset: Int, _ message: String) {
        self.kind = kind
        self.format = format
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}

/// The answer to one call of `ImageSniffer.sniff`.
public enum SniffResult: Equatable, Sendable {
    /// The format and size are known.
    case image(ImageInfo)
    /// The prefix is too short: call again with the file's bytes `0..<upTo` (a caller may read
    /// further ahead; `upTo` never exceeds the known file size or the read limit).
    case needMore(upTo: Int)
    /// The bytes are not one of the supported image formats; the reason names what they look
    /// like instead ("a PDF document", "empty file").
    case notImage(reason: String)
    /// The signature announced an image but its header is truncated, malformed or too deep.
    case corrupt(SniffFailure)
}
