import ImageSniffer
import XCTest

/// Drives the sniffer as the S3 caller does: a first ranged read of 4 KiB, then reads up to
/// whatever offset the sniffer asks for.
final class IncrementalTests: XCTestCase {
    /// A reader over an in-memory file that records the ranges asked for.
    final class Reader {
        let bytes: [UInt8]
        var ranges: [Range<Int>] = []
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func read(_ range: Range<Int>) -> [UInt8] {
            ranges.append(range)
            let lower = min(range.lowerBound, bytes.count), upper = min(range.upperBound, bytes.count)
            return Array(bytes[lower..<upper])
        }
    }

    /// Every fixture, with the size known and unknown, exact reads and 4 KiB read-ahead: the
    /// same answer as the whole file. Prints the bytes-read table that BENCHMARKS.md quotes.
    func testDriverMatchesWholeFileAndReportsBytesRead() {
        var table = ["| file | size | bytes read (exact) | reads (exact) | bytes read (+4 KiB ahead) | reads (+4 KiB ahead) | header depth: bytes (reads) from a 32-byte first read |",
                     "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for e in Fixtures.images {
            let bytes = Fixtures.bytes(e.file)
            var row = "| \(e.file) | \(bytes.count) |"
            for readAhead in [0, 4096] {
                for size in [Int64(bytes.count), nil] {
                    let reader = Reader(bytes)
                    let (result, read, reads) = ImageSniffer.sniff(totalSize: size, readAhead: readAhead, read: reader.read)
                    XCTAssertEqual(result, .image(e.info), "\(e.file) size \(String(describing: size)) ahead \(readAhead)")
                    XCTAssertEqual(reads, reader.ranges.count)
                    XCTAssertLessThanOrEqual(read, bytes.count)
                    // Ranges are contiguous: each read starts where the previous one ended.
                    for (a, b) in zip(reader.ranges, reader.ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                    if size != nil { row += " \(read) | \(reads) |" }
                }
            }
            // How deep the header really is: start from the 32-byte signature read, read exactly.
            let (deep, depth, depthReads) = ImageSniffer.sniff(totalSize: Int64(bytes.count), firstRead: 32, read: Reader(bytes).read)
            XCTAssertEqual(deep, .image(e.info), e.file)
            table.append(row + " \(depth) (\(depthReads)) |")
        }
        print("Bytes read per fixture (first read 4 KiB, size known):\n" + table.joined(separator: "\n"))
    }

    /// The big-EXIF JPEG's segments, as an independent walk (Python, over the committed file)
    /// lists them: APP0@2, APP1@20 (length 60184), APP1@60206 (10595), DQT@70803 (67),
    /// DQT@70872 (67), SOF0@70941. With exact reads, the sniffer asks for each next segment's
    /// first 9 bytes in turn (marker, length, and a frame header's size fields).
    func testJPEGAsksForExactlyTheNextSegmentHeader() {
        let bytes = Fixtures.bytes("big-exif.jpg")
        let reader = Reader(bytes)
        let (result, read, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count), read: reader.read)
        XCTAssertEqual(result, .image(ImageInfo(format: .jpg, width: 48, height: 32)))
        XCTAssertEqual(reader.ranges.map(\.upperBound), [4096, 60206 + 9, 70803 + 9, 70872 + 9, 70941 + 9])
        XCTAssertEqual(read, 70950)
    }

    /// A 3 MB JPEG whose frame header sits behind ~300 KB of APP segments: the sniffer reads
    /// to the frame header and no further.
    func testLargeJPEGIsReadOnlyToItsFrameHeader() {
        let base = Fixtures.bytes("baseline.jpg")
        var file: [UInt8] = [0xFF, 0xD8]
        for _ in 0..<5 { file += appSegment(payload: 60_000) }
        let headerEnd = file.count
        file += base.dropFirst(2)
        file += [UInt8](repeating: 0x55, count: 3_000_000)  // stands in for the scan data
        let reader = Reader(file)
        let (result, read, reads) = ImageSniffer.sniff(totalSize: Int64(file.count), read: reader.read)
        XCTAssertEqual(result, .image(ImageInfo(format: .jpg, width: 40, height: 30)))
        XCTAssertLessThan(read, headerEnd + 4096)
        XCTAssertEqual(reads, 1 + 5 + 3)  // first read, one per APP segment, then after APP0, DQT, DQT
    }

    /// Past the read limit the answer is `beyondLimit`, with the format known and no byte past the limit read.
    func testHeadersPastTheLimitStopAtTheLimit() {
        var file: [UInt8] = [0xFF, 0xD8]
        for _ in 0..<20 { file += appSegment(payload: 65_000) }
        file += Fixtures.bytes("baseline.jpg").dropFirst(2)
        let reader = Reader(file)
        let (result, read, _) = ImageSniffer.sniff(totalSize: Int64(file.count), read: reader.read)
        guard case .corrupt(let f) = result else { return XCTFail("expected beyondLimit, got \(result)") }
        XCTAssertEqual(f.kind, .beyondLimit)
        XCTAssertEqual(f.format, .jpg)
        XCTAssertLessThanOrEqual(read, ImageSniffer.defaultMaxBytes)
        XCTAssertLessThanOrEqual(reader.ranges.last?.upperBound ?? 0, ImageSniffer.defaultMaxBytes)
    }

    /// Size unknown and the reader hits the end: the short read marks the end, the answer is final.
    func testShortReadEndsTheFile() {
        let bytes = Array(Fixtures.bytes("big-exif.jpg")[..<5000])
        let reader = Reader(bytes)
        let (result, read, _) = ImageSniffer.sniff(totalSize: nil, read: reader.read)
        guard case .corrupt(let f) = result else { return XCTFail("expected truncated, got \(result)") }
        XCTAssertEqual(f.kind, .truncated)
        XCTAssertEqual(read, 5000)
    }

    /// A reader that returns nothing at all cannot make the loop spin.
    func testSilentReaderTerminates() {
        let (result, read, reads) = ImageSniffer.sniff(totalSize: nil) { _ in [] }
        XCTAssertEqual(result, .notImage(reason: "empty file"))
        XCTAssertEqual(read, 0)
        XCTAssertEqual(reads, 1)
        // And one that claims a size it then does not deliver.
        let (r2, _, reads2) = ImageSniffer.sniff(totalSize: 10_000) { range in range.lowerBound == 0 ? [0xFF, 0xD8, 0xFF] : [] }
        guard case .corrupt(let f) = r2 else { return XCTFail("got \(r2)") }
        XCTAssertEqual(f.kind, .truncated)
        XCTAssertLessThanOrEqual(reads2, 2)
    }

    /// Reader errors pass through with their own type (typed throws).
    func testReaderErrorsPropagate() {
        struct Boom: Error {}
        XCTAssertThrowsError(try ImageSniffer.sniff(totalSize: 100) { (_: Range<Int>) throws(Boom) -> [UInt8] in throw Boom() }) {
            XCTAssertTrue($0 is Boom)
        }
    }

    /// An APP15 segment with `payload` bytes of zeros.
    private func appSegment(payload: Int) -> [UInt8] {
        let length = payload + 2
        return [0xFF, 0xEF, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 0, count: payload)
    }
}
