import ImageSniffer
import TestSupport
import XCTest

/// PNG, GIF, BMP, WebP, TIFF and ICO headers the fixtures do not cover.
final class SimpleFormatTests: XCTestCase {
    private func sniff(_ bytes: [UInt8]) -> SniffResult { ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) }
    private func corrupt(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> SniffFailure? {
        guard case .corrupt(let f) = sniff(bytes) else { XCTFail("not corrupt: \(sniff(bytes))", file: file, line: line); return nil }
        return f
    }

    private let png = Fixtures.bytes("rgb8.png")

    /// A text-mode transfer turning CR LF into LF damages the signature: reported as such.
    func testDamagedPNGSignature() {
        var damaged = png
        damaged.remove(at: 4)  // 0d 0a -> 0a
        let f = corrupt(damaged)
        XCTAssertEqual(f?.kind, .malformed)
        XCTAssertEqual(f?.format, .png)
        XCTAssertTrue(f?.message.contains("text-mode") ?? false, f?.message ?? "")
    }

    func testPNGWhoseFirstChunkIsNotIHDR() {
        var bytes = png
        bytes.replaceSubrange(12..<16, with: Build.ascii("IDAT"))
        XCTAssertEqual(corrupt(bytes)?.message, "PNG's first chunk (offset 8) is 'IDAT', not IHDR")
    }

    func testPNGZeroWidth() {
        var bytes = png
        bytes.replaceSubrange(16..<20, with: Build.be32(0))
        XCTAssertEqual(corrupt(bytes)?.kind, .malformed)
    }

    /// Apple's CgBI chunk before IHDR is skipped.
    func testAppleCgBIPNG() {
        let bytes = Array(png[..<8]) + Build.be32(4) + Build.ascii("CgBI") + [0, 0, 0, 0] + [1, 2, 3, 4] + Array(png[8...])
        XCTAssertEqual(sniff(bytes), .image(ImageInfo(format: .png, width: 50, height: 40)))
    }

    /// Text that begins with a letters-only signature is text: it was a 26912x8307 GIF, or a
    /// corrupt BMP.
    func testTextBeginningWithAGIFOrBMPSignatureIsText() {
        XCTAssertEqual(sniff(Build.ascii("GIF89a is the 1989 revision of the format.")), .notImage(reason: "text, not an image"))
        XCTAssertEqual(sniff(Build.ascii("BMW X5\n")), .notImage(reason: "text, not an image"))
        XCTAssertEqual(sniff(Build.ascii("BMW and BMX are not bitmaps, as this text shows.")), .notImage(reason: "text, not an image"))
    }

    func testGIF87aAndBadVersion() {
        XCTAssertEqual(sniff(Build.ascii("GIF87a") + Build.le16(300) + Build.le16(200) + [0, 0, 0]),
                       .image(ImageInfo(format: .gif, width: 300, height: 200)))
        XCTAssertEqual(corrupt(Build.ascii("GIF88a") + Build.le16(3) + Build.le16(2) + [0, 0, 0])?.kind, .malformed)
        XCTAssertEqual(corrupt(Build.ascii("GIF89a") + Build.le16(0) + Build.le16(2) + [0, 0, 0])?.message, "GIF logical screen is 0x2")
    }

    private func bmp(headerSize: Int, width: Int, height: Int) -> [UInt8] {
        Build.ascii("BM") + Build.le32(1000) + Build.le32(0) + Build.le32(14 + headerSize) + Build.le32(headerSize)
            + Build.le32(width) + Build.le32(height) + [UInt8](repeating: 0, count: headerSize - 12)
    }

    func testBMPTopDownAndBadSizes() {
        XCTAssertEqual(sniff(bmp(headerSize: 124, width: 640, height: -480)), .image(ImageInfo(format: .bmp, width: 640, height: 480)))
        XCTAssertEqual(sniff(bmp(headerSize: 40, width: 640, height: 480)), .image(ImageInfo(format: .bmp, width: 640, height: 480)))
        XCTAssertEqual(corrupt(bmp(headerSize: 40, width: -5, height: 4))?.kind, .malformed)
        XCTAssertEqual(corrupt(bmp(headerSize: 40, width: 5, height: Int(Int32.min)))?.kind, .malformed)
    }

    private func riff(_ chunk: String, _ payload: [UInt8]) -> [UInt8] {
        Build.ascii("RIFF") + Build.le32(payload.count + 12) + Build.ascii("WEBP") + Build.ascii(chunk) + Build.le32(payload.count) + payload
    }

    /// Largest sizes each WebP header can hold: VP8 14 bits, VP8L 14 bits (stored minus one),
    /// VP8X 24 bits (stored minus one), which the sniffer's size limit cuts to 2^20.
    func testWebPSizeFields() {
        let vp8 = riff("VP8 ", [0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A] + Build.le16(16383 | 0xC000) + Build.le16(1 | 0x4000) + [0, 0])
        XCTAssertEqual(sniff(vp8), .image(ImageInfo(format: .webp, width: 16383, height: 1)))
        let bits = 16383 | (0 << 14)
        let vp8l = riff("VP8L", [0x2F] + Build.le32(bits) + [0, 0, 0])
        XCTAssertEqual(sniff(vp8l), .image(ImageInfo(format: .webp, width: 16384, height: 1)))
        let vp8x = riff("VP8X", [0x10, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00])
        // 2^24 fits the field but not the sniffer's limit of 2^20 per side (see HostileInputTests).
        XCTAssertEqual(corrupt(vp8x)?.message, "WebP header gives size 16777216x1, past the 1048576-pixel limit per side")
        XCTAssertEqual(corrupt(riff("VP8 ", [0x50, 0x01, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0]))?.kind, .malformed)
        XCTAssertEqual(corrupt(riff("ALPH", [UInt8](repeating: 0, count: 10)))?.message, "WebP's first chunk is 'ALPH', not VP8, VP8L or VP8X")
    }

    func testRIFFThatIsNotWebP() {
        XCTAssertEqual(sniff(Build.ascii("RIFF") + Build.le32(100) + Build.ascii("WAVEfmt ") + [UInt8](repeating: 0, count: 24)),
                       .notImage(reason: "a RIFF container of type 'WAVE', not WebP"))
    }

    /// SHORT and LONG size values, both byte orders, BigTIFF, and a missing ImageLength.
    func testTIFFVariants() {
        for little in [true, false] {
            let t = Build.tiff(littleEndian: little, [(256, 3, 700), (257, 4, 70_000), (274, 3, 6)])
            XCTAssertEqual(sniff(t), .image(ImageInfo(format: .tiff, width: 70_000, height: 700, storedWidth: 700,
                                                     storedHeight: 70_000, orientation: .rotate90)), "little-endian \(little)")
        }
        XCTAssertEqual(corrupt(Build.tiff(littleEndian: true, [(256, 3, 10)]))?.message, "TIFF IFD0 has no usable ImageLength (tag 257)")
        // BigTIFF: version 43, 8-byte offsets and counts, 20-byte entries.
        var big = Build.ascii("II") + Build.le16(43) + Build.le16(8) + Build.le16(0) + Build.le32(16) + Build.le32(0)
        big += Build.le32(2) + Build.le32(0)
        for (tag, value) in [(256, 123), (257, 45)] {
            big += Build.le16(tag) + Build.le16(16) + Build.le32(1) + Build.le32(0) + Build.le32(value) + Build.le32(0)
        }
        XCTAssertEqual(sniff(big + [0, 0, 0, 0, 0, 0, 0, 0]), .image(ImageInfo(format: .tiff, width: 123, height: 45)))
    }

    /// A camera raw file (NEF, DNG, ARW…) is a TIFF whose IFD0 is a small preview, marked
    /// reduced-resolution (NewSubfileType bit 0): its size is not the image's. A 24-megapixel
    /// NEF was cataloged as a 160×120 TIFF; now as a TIFF of unknown size. A full-resolution
    /// IFD0 (NewSubfileType 0, or a page of a multi-page file: bit 1) keeps its size.
    func testATIFFWhoseFirstImageIsAPreviewGivesNoSize() {
        for little in [true, false] {
            let raw = Build.tiff(littleEndian: little, [(254, 4, 1), (256, 4, 160), (257, 4, 120)])
            XCTAssertEqual(sniff(raw), .image(ImageInfo(format: .tiff, width: nil, height: nil)), "little-endian \(little)")
        }
        for subfileType in [0, 2] {
            let full = Build.tiff(littleEndian: true, [(254, 4, subfileType), (256, 4, 160), (257, 4, 120)])
            XCTAssertEqual(sniff(full), .image(ImageInfo(format: .tiff, width: 160, height: 120)), "NewSubfileType \(subfileType)")
        }
    }

    func testTIFFWhoseIFDPointsIntoTheHeader() {
        let bytes = Build.ascii("II") + Build.le16(42) + Build.le32(4) + [UInt8](repeating: 0, count: 30)
        XCTAssertEqual(corrupt(bytes)?.message, "TIFF IFD0 offset 4 points into the header")
    }

    private func ico(_ sizes: [(UInt8, UInt8)], type: Int = 1) -> [UInt8] {
        var out = Build.le16(0) + Build.le16(type) + Build.le16(sizes.count)
        for (i, s) in sizes.enumerated() {
            out += [s.0, s.1, 0, 0] + Build.le16(1) + Build.le16(32) + Build.le32(40) + Build.le32(6 + 16 * sizes.count + 40 * i)
        }
        return out + [UInt8](repeating: 0, count: 40 * sizes.count)
    }

    /// The largest entry wins, and a stored 0 means 256.
    func testICOLargestEntry() {
        XCTAssertEqual(sniff(ico([(16, 16), (0, 0), (48, 48)])), .image(ImageInfo(format: .ico, width: 256, height: 256)))
        XCTAssertEqual(sniff(ico([(64, 32), (32, 48)])), .image(ImageInfo(format: .ico, width: 64, height: 32)))
        XCTAssertEqual(sniff(ico([])), .notImage(reason: "starts like an ICO file but lists no images"))
        XCTAssertEqual(sniff(ico([(16, 16)], type: 2)), .notImage(reason: "a Windows cursor (CUR), not an icon"))
    }

    func testICOEntryPointingIntoItsDirectory() {
        var bytes = ico([(16, 16)])
        bytes.replaceSubrange(18..<22, with: Build.le32(3))
        XCTAssertEqual(corrupt(bytes)?.kind, .malformed)
    }
}
