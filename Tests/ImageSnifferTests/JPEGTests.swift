import ImageSniffer
import TestSupport
import XCTest

final class JPEGTests: XCTestCase {
    private func sniff(_ bytes: [UInt8]) -> SniffResult { ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) }

    /// Every frame marker gives the size; DHT (C4), JPG (C8) and DAC (CC) are not frames.
    func testEveryStartOfFrameMarker() {
        let frames: [UInt8] = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
        for (i, marker) in frames.enumerated() {
            let bytes = Build.jpeg(Build.segment(0xC4, [0, 1, 2]), Build.segment(0xCC, [0, 1]),
                                   Build.segment(0xC8, []), Build.frame(marker, width: 100 + i, height: 50 + i))
            XCTAssertEqual(sniff(bytes), .image(ImageInfo(format: .jpg, width: 100 + i, height: 50 + i)), "SOF 0x\(String(marker, radix: 16))")
        }
    }

    /// Fill bytes, RSTn/TEM markers and garbage between segments are stepped over.
    func testFillBytesRestartMarkersAndGarbage() {
        let bytes = [0xFF, 0xD8, 0xFF, 0xFF, 0xFF] + Build.segment(0xE0, Build.ascii("JFIF") + [0])
            + [0xFF, 0xD0, 0xFF, 0x01, 0x12, 0x34, 0xFF, 0x00] + Build.frame(width: 7, height: 9)
        XCTAssertEqual(sniff(bytes), .image(ImageInfo(format: .jpg, width: 7, height: 9)))
    }

    func testEveryExifOrientationInBothByteOrders() {
        for little in [true, false] {
            for o in 1...8 {
                let bytes = Build.jpeg(Build.exif(orientation: o, littleEndian: little), Build.frame(width: 40, height: 10))
                let swapped = o >= 5
                let want = ImageInfo(format: .jpg, width: swapped ? 10 : 40, height: swapped ? 40 : 10,
                                     storedWidth: 40, storedHeight: 10, orientation: Orientation(rawValue: o)!)
                XCTAssertEqual(sniff(bytes), .image(want), "orientation \(o) little-endian \(little)")
            }
        }
    }

    /// Broken or odd EXIF never hides the picture: orientation falls back to normal.
    func testBrokenExifIsIgnored() {
        let badOffset = Build.segment(0xE1, Build.ascii("Exif") + [0, 0] + Build.ascii("II") + Build.le16(42) + Build.le32(5000))
        let badValue = Build.exif(orientation: 9, littleEndian: true)
        for exif in [badOffset, badValue] {
            XCTAssertEqual(sniff(Build.jpeg(exif, Build.frame(width: 3, height: 4))), .image(ImageInfo(format: .jpg, width: 3, height: 4)))
        }
    }

    /// Only the first EXIF segment counts (a later one is usually an embedded copy).
    func testFirstExifWins() {
        let bytes = Build.jpeg(Build.exif(orientation: 1, littleEndian: true), Build.exif(orientation: 6, littleEndian: true),
                               Build.frame(width: 5, height: 6))
        XCTAssertEqual(sniff(bytes), .image(ImageInfo(format: .jpg, width: 5, height: 6)))
    }

    func testScanOrEndBeforeFrameIsCorrupt() {
        for (marker, word) in [(UInt8(0xDA), "SOS"), (0xD9, "EOI")] {
            let bytes = [0xFF, 0xD8] + Build.segment(0xE0, [0, 0]) + [0xFF, marker, 0, 2]
            guard case .corrupt(let f) = sniff(bytes) else { XCTFail(word); continue }
            XCTAssertEqual(f.kind, .malformed)
            XCTAssertEqual(f.offset, 8)
            XCTAssertTrue(f.message.contains(word), f.message)
        }
    }

    func testZeroHeightAndBadLengthsAreCorrupt() {
        guard case .corrupt(let dnl) = sniff(Build.jpeg(Build.frame(width: 10, height: 0))) else { return XCTFail("dnl") }
        XCTAssertTrue(dnl.message.contains("DNL"), dnl.message)
        guard case .corrupt(let short) = sniff([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01] + [UInt8](repeating: 0, count: 40)) else {
            return XCTFail("short length")
        }
        XCTAssertEqual(short.message, "JPEG segment 0xe0 at offset 2 has length 1, less than its own 2 length bytes")
    }

    /// The brief's example: a segment claiming more bytes than the file has.
    func testSegmentLengthPastEndOfFile() {
        let bytes = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 100)
        guard case .corrupt(let f) = sniff(bytes) else { return XCTFail() }
        XCTAssertEqual(f.kind, .truncated)
        XCTAssertEqual(f.message,
                       "JPEG segment 0xe1 at offset 2 with length 65535 runs past the end of the file (needs 65539 bytes, the file has 106)")
    }

    func testReadLimitIsHonoured() {
        let bytes = Build.jpeg(Build.segment(0xE2, [UInt8](repeating: 0, count: 5000)), Build.frame(width: 1, height: 1))
        let result = ImageSniffer.sniff(prefix: Array(bytes[..<4096]), totalSize: Int64(bytes.count), maxBytes: 4096)
        guard case .corrupt(let f) = result else { return XCTFail("\(result)") }
        XCTAssertEqual(f.kind, .beyondLimit)
        XCTAssertEqual(ImageSniffer.sniff(prefix: Array(bytes[..<4096]), totalSize: Int64(bytes.count), maxBytes: 8192),
                       .needMore(upTo: 2 + 2 + 5002 + 9))
    }

    /// Garbage between segments is skipped as decoders do, up to 64 KiB: a signature followed
    /// by a megabyte of anything but 0xFF was cataloged as a JPEG whose size lay too deep to
    /// read. Read at once or in rounds, the verdict is the same.
    func testMoreThan64KiBOfGarbageBetweenSegmentsIsNotAJPEG() {
        let within = [0xFF, 0xD8] + Build.segment(0xE0, [0, 0]) + [UInt8](repeating: 0x20, count: 64 * 1024) + Build.frame(width: 3, height: 4)
        XCTAssertEqual(ImageSniffer.sniff(prefix: within, totalSize: Int64(within.count)),
                       .image(ImageInfo(format: .jpg, width: 3, height: 4)))
        let filler = [0xFF, 0xD8, 0xFF, 0x00] + [UInt8](repeating: 0x20, count: 1 << 20)
        for (size, readAhead) in [(Int64?.none, 16 * 1024), (Int64(filler.count), 0)] {
            let (result, _, _) = ImageSniffer.sniff(totalSize: size, readAhead: readAhead) { range in
                Array(filler[min(range.lowerBound, filler.count)..<min(range.upperBound, filler.count)])
            }
            guard case .corrupt(let failure) = result else { return XCTFail("\(result)") }
            XCTAssertEqual(failure.kind, .malformed)
            XCTAssertTrue(failure.message.contains("bytes of garbage between segments"), failure.message)
        }
    }
}
