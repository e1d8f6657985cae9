import ImageSniffer
import XCTest

final class NotImageTests: XCTestCase {
    private func sniff(_ bytes: [UInt8], size: Int64? = nil) -> SniffResult {
        ImageSniffer.sniff(prefix: bytes, totalSize: size ?? Int64(bytes.count))
    }

    func testKnownNonImagesAreNamed() {
        let cases: [([UInt8], String)] = [
            ([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 40), "an ELF executable"),
            ([0x1F, 0x8B, 8, 0] + [UInt8](repeating: 0, count: 40), "gzip-compressed data"),
            ([0xFF, 0x0A, 0xFA, 0x7F] + [UInt8](repeating: 0, count: 40), "a JPEG XL codestream (JPEG XL is not supported)"),
            (Array("8BPS".utf8) + [UInt8](repeating: 0, count: 40), "a Photoshop document (PSD is not supported)"),
            ([0x00, 0x01, 0x02, 0x03, 0xFE, 0x80, 0x00, 0x00] + [UInt8](repeating: 0, count: 40),
             "unrecognised signature 00 01 02 03 fe 80 00 00"),
            (Array("{\"json\": true}".utf8), "text, not an image"),
        ]
        for (bytes, reason) in cases { XCTAssertEqual(sniff(bytes), .notImage(reason: reason)) }
    }

    /// The text check looks at 512 bytes; a multi-byte character cut at that edge is still text,
    /// while invalid UTF-8 is not.
    func testTextCheckOnUTF8() {
        let text = Array((String(repeating: "a", count: 511) + "é and more").utf8)  // é's 2 bytes straddle 512
        XCTAssertEqual(sniff(text), .notImage(reason: "text, not an image"))
        XCTAssertEqual(sniff(Array("plain".utf8) + [0xC3, 0x28] + Array(" more text here, long enough for 32 bytes".utf8)),
                       .notImage(reason: "unrecognised signature 70 6c 61 69 6e c3 28 20"))
    }

    func testTinyFiles() {
        XCTAssertEqual(sniff([]), .notImage(reason: "empty file"))
        XCTAssertEqual(sniff([0x00]), .notImage(reason: "unrecognised signature 00"))
        // Two bytes of a JPEG signature are not a JPEG signature.
        XCTAssertEqual(sniff([0xFF, 0xD8]), .notImage(reason: "unrecognised signature ff d8"))
        // Size unknown: wait for the signature bytes.
        XCTAssertEqual(ImageSniffer.sniff(prefix: [0xFF, 0xD8], totalSize: nil), .needMore(upTo: 32))
    }

    /// A size smaller than the bytes given cannot shrink them: what was read exists.
    func testInconsistentSizeIsHarmless() {
        let png = Fixtures.bytes("rgb8.png")
        XCTAssertEqual(ImageSniffer.sniff(prefix: png, totalSize: 3), .image(ImageInfo(format: .png, width: 50, height: 40)))
        XCTAssertEqual(ImageSniffer.sniff(prefix: png, totalSize: -1), .image(ImageInfo(format: .png, width: 50, height: 40)))
    }
}
