import ImageSniffer
import XCTest

/// Files cut short, as an interrupted upload or a bad range read leaves them.
final class TruncationTests: XCTestCase {
    /// Cut every fixture at every offset of its first 2 KiB (and at a spread of offsets past
    /// that): with the size known, the answer is final — the full answer, or `corrupt` with kind
    /// `truncated`, or `notImage` for cuts too short to hold a signature. Never `needMore`,
    /// never a different size, and once a cut is long enough, every longer cut is too.
    func testCutsWithKnownSizeAreFinal() {
        for e in Fixtures.images {
            let bytes = Fixtures.bytes(e.file)
            var firstComplete: Int? = nil
            for cut in cuts(bytes.count) {
                let result = ImageSniffer.sniff(prefix: Array(bytes[..<cut]), totalSize: Int64(cut))
                switch result {
                case .image(let info):
                    // SVG: a cut inside the start tag's attributes may lose a size, so only the type is fixed there.
                    if e.info.format == .svg { XCTAssertEqual(info.format, .svg, "\(e.file) cut at \(cut)") }
                    else { XCTAssertEqual(info, e.info, "\(e.file) cut at \(cut)") }
                    if info == e.info, firstComplete == nil { firstComplete = cut }
                case .corrupt(let failure):
                    XCTAssertEqual(failure.kind, .truncated, "\(e.file) cut at \(cut): \(failure)")
                    // An ISO base media file cut before its major brand (offset 12) cannot tell HEIC from AVIF.
                    let brandless = [.heic, .avif].contains(e.info.format) && cut < 12
                    XCTAssertEqual(failure.format, brandless ? nil : e.info.format, "\(e.file) cut at \(cut)")
                    XCTAssertNil(firstComplete, "\(e.file): cut at \(cut) fails after \(firstComplete ?? 0) succeeded")
                case .notImage(let reason):
                    XCTAssertTrue(cut < 32 || e.info.format == .svg, "\(e.file) cut at \(cut): \(reason)")
                    XCTAssertNil(firstComplete, "\(e.file): cut at \(cut) fails after \(firstComplete ?? 0) succeeded")
                case .needMore:
                    XCTFail("\(e.file) cut at \(cut): needMore although the size is known")
                }
            }
            XCTAssertNotNil(firstComplete, e.file)
        }
    }

    /// With the size unknown, a prefix is either enough or asks for strictly more bytes.
    func testPrefixesWithUnknownSizeAskForMore() {
        for e in Fixtures.images {
            let bytes = Fixtures.bytes(e.file)
            for cut in cuts(bytes.count) {
                switch ImageSniffer.sniff(prefix: Array(bytes[..<cut]), totalSize: nil) {
                case .image(let info):
                    if e.info.format != .svg { XCTAssertEqual(info, e.info, "\(e.file) prefix \(cut)") }
                case .needMore(let upTo):
                    XCTAssertGreaterThan(upTo, cut, "\(e.file) prefix \(cut)")
                    XCTAssertLessThanOrEqual(upTo, ImageSniffer.defaultMaxBytes)
                case let other:
                    XCTFail("\(e.file) prefix \(cut): \(other)")
                }
            }
        }
    }

    /// A segment length past the end names the segment, its offset and its length.
    func testTruncatedBigExifNamesTheSegment() {
        let bytes = Array(Fixtures.bytes("big-exif.jpg")[..<1000])
        guard case .corrupt(let f) = ImageSniffer.sniff(prefix: bytes, totalSize: 1000) else {
            return XCTFail("expected corrupt")
        }
        // The script's exiftool run puts a 60184-byte EXIF APP1 right after the 18-byte JFIF APP0.
        XCTAssertEqual(f.kind, .truncated)
        XCTAssertEqual(f.offset, 20)
        XCTAssertEqual(f.message,
                       "JPEG segment 0xe1 at offset 20 with length 60184 runs past the end of the file (needs 60206 bytes, the file has 1000)")
    }

    func testTruncatedPNGAndGIF() {
        let png = Array(Fixtures.bytes("rgb8.png")[..<20])
        guard case .corrupt(let p) = ImageSniffer.sniff(prefix: png, totalSize: 20) else { return XCTFail("png") }
        XCTAssertEqual(p.kind, .truncated)
        XCTAssertTrue(p.message.contains("IHDR"), p.message)

        let gif = Array(Fixtures.bytes("still.gif")[..<8])
        guard case .corrupt(let g) = ImageSniffer.sniff(prefix: gif, totalSize: 8) else { return XCTFail("gif") }
        XCTAssertEqual(g.kind, .truncated)
    }

    /// Every offset up to 2 KiB, then about 200 offsets spread over the rest.
    private func cuts(_ size: Int) -> [Int] {
        var result = Array(0..<min(size, 2048))
        if size > 2048 { result += stride(from: 2048, to: size, by: max(1, (size - 2048) / 200)) }
        return result
    }
}
