import Foundation
import ImageSniffer

/// The committed fixtures (made by scripts/make-test-images) and what their encoders were told
/// to make. Every number here is a parameter of that script, never a sniffer output.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Images")

    static func bytes(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            fatalError("missing fixture \(name): run scripts/make-test-images")
        }
        return [UInt8](data)
    }

    struct Expected {
        let file: String
        let info: ImageInfo
    }

    static func image(_ file: String, _ format: ImageFormat, _ w: Int, _ h: Int) -> Expected {
        Expected(file: file, info: ImageInfo(format: format, width: w, height: h))
    }

    static func rotated(_ file: String, _ format: ImageFormat, stored w: Int, _ h: Int, _ o: Orientation) -> Expected {
        let swap = o.swapsWidthAndHeight
        return Expected(file: file, info: ImageInfo(format: format, width: swap ? h : w, height: swap ? w : h,
                                                   storedWidth: w, storedHeight: h, orientation: o))
    }

    static let images: [Expected] = [
        image("baseline.jpg", .jpg, 40, 30),
        image("progressive.jpg", .jpg, 33, 17),
        image("cmyk.jpg", .jpg, 24, 20),
        image("extended-sof1.jpg", .jpg, 45, 21),
        image("arithmetic-sof9.jpg", .jpg, 40, 30),
        image("arithmetic-sof10.jpg", .jpg, 40, 30),
        rotated("orientation6.jpg", .jpg, stored: 40, 20, .rotate90),
        image("big-exif.jpg", .jpg, 48, 32),
        image("rgb8.png", .png, 50, 40),
        image("rgb16.png", .png, 21, 13),
        image("interlaced.png", .png, 30, 25),
        image("png-named-as.jpg", .png, 50, 40),
        image("still.gif", .gif, 64, 48),
        image("animated.gif", .gif, 20, 10),
        image("lossy.webp", .webp, 31, 23),
        image("lossless.webp", .webp, 17, 9),
        image("alpha.webp", .webp, 26, 14),
        image("animated.webp", .webp, 12, 8),
        image("info-header.bmp", .bmp, 19, 7),
        image("core-header.bmp", .bmp, 19, 7),
        image("v5-header.bmp", .bmp, 19, 7),
        image("top-down.bmp", .bmp, 19, 7),
        image("little-endian.tif", .tiff, 23, 11),
        image("big-endian.tif", .tiff, 23, 11),
        rotated("big-endian-orientation8.tif", .tiff, stored: 23, 11, .rotate270),
        image("image.heic", .heic, 64, 40),
        image("exif6-no-irot.heic", .heic, 40, 20),  // EXIF says 6, but HEIF orientation is irot's alone
        image("image.avif", .avif, 40, 24),
        // avifenc --irot 1: a quarter turn anticlockwise, which EXIF calls orientation 8.
        rotated("irot90.avif", .avif, stored: 40, 24, .rotate270),
        image("three-sizes.ico", .ico, 48, 48),
        image("with-256.ico", .ico, 256, 256),
        image("sized.svg", .svg, 120, 80),
        image("viewbox-only.svg", .svg, 301, 150),  // viewBox 300.5 wide, rounded half away from zero
        image("bom-prolog.svg", .svg, 96, 64),
        Expected(file: "unsized.svg", info: ImageInfo(format: .svg, width: nil, height: nil)),
        Expected(file: "percent.svg", info: ImageInfo(format: .svg, width: nil, height: nil)),
        // Crafted by the script's python section (no encoder writes these structures).
        // ispe 1280x720, cropped by clap to 1200x700, then irot 1 and imir 1: displayed 700x1200.
        Expected(file: "props-assoc.heic", info: ImageInfo(format: .heic, width: 700, height: 1200,
                                                           storedWidth: 1280, storedHeight: 720, orientation: .transverse)),
        rotated("props-assoc.avif", .avif, stored: 96, 64, .rotate90),       // irot 3
        rotated("be-long.tif", .tiff, stored: 300, 200, .rotate90),
        image("le-long.tif", .tiff, 1000, 3),
        image("be-short.tif", .tiff, 9, 4),
        rotated("le-short.tif", .tiff, stored: 17, 5, .rotate180),
        rotated("many-segments.jpg", .jpg, stored: 123, 45, .rotate270),
    ]

    /// The review's reproducers (a trap, absurd sizes): refused as malformed, with the format.
    static let refused: [(file: String, format: ImageFormat)] = [
        ("huge-ispe.heic", .heic),
        ("huge-ispe.avif", .avif),
        ("huge-long.tif", .tiff),
    ]

    /// Non-images and the words their reason must contain.
    static let others: [(file: String, reason: String)] = [
        ("header-only.pdf", "PDF"),
        ("notes.txt", "text"),
        ("archive.zip", "ZIP"),
        ("empty.bin", "empty"),
    ]
}
