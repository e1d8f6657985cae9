@testable import ImageSniffer
import TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Files made to hurt: each test reproduces one finding of the security review (a trap, an
/// absurd size, a cost that grew with the square of the file) and holds the promise that
/// replaced it. Every case failed before the fix (trapped, or gave the absurd size, or took
/// seconds of CPU).
final class HostileInputTests: XCTestCase {
    private func sniff(_ bytes: [UInt8]) -> SniffResult { ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) }

    /// Asserts a refusal that names the size and the limit, with the format still known.
    private func assertBeyondSizeLimit(_ result: SniffResult, _ format: ImageFormat, _ what: String,
                                       file: StaticString = #filePath, line: UInt = #line) {
        guard case .corrupt(let f) = result else { return XCTFail("\(what): expected a refusal, got \(result)", file: file, line: line) }
        XCTAssertEqual(f.kind, .malformed, what, file: file, line: line)
        XCTAssertEqual(f.format, format, what, file: file, line: line)
        XCTAssertTrue(f.message.contains("1048576-pixel limit"), "\(what): \(f.message)", file: file, line: line)
    }

    // MARK: Dimensions

    /// The reproduced crash: two `ispe` of 0xFFFFFFFF×0xFFFFFFFF and no `ipma` entry for the
    /// primary item, so the largest-area fallback multiplied them (a trap in any build).
    func testHEICWithHugeUnassociatedIspesIsRefusedNotTrapped() {
        for brand in ["heic", "avif"] {
            let file = Build.heif(brand: brand, compatible: ["mif1", brand], primary: 1,
                                  properties: [Build.ispe(0xFFFF_FFFF, 0xFFFF_FFFF), Build.ispe(0xFFFF_FFFF, 0xFFFF_FFFF)],
                                  associations: [(2, [1, 2])])
            assertBeyondSizeLimit(sniff(file), brand == "avif" ? .avif : .heic, brand)
        }
    }

    /// An associated `ispe` was taken as is: 4,294,967,295 × 4,294,967,295 in the catalog.
    func testAssociatedHugeIspeIsRefused() {
        let file = Build.heif(brand: "avif", compatible: ["mif1", "avif"],
                              properties: [Build.ispe(0xFFFF_FFFF, 0xFFFF_FFFF), Build.irot(1)], associations: [(1, [1, 2])])
        assertBeyondSizeLimit(sniff(file), .avif, "associated ispe")
    }

    /// TIFF LONG sizes of 0xFFFFFFFF, in both byte orders, were cataloged as they came.
    func testTIFFWithHugeLongSizesIsRefused() {
        for little in [true, false] {
            let file = Build.tiff(littleEndian: little, [(256, 4, 0xFFFF_FFFF), (257, 4, 0xFFFF_FFFF)])
            assertBeyondSizeLimit(sniff(file), .tiff, "little-endian \(little)")
        }
    }

    /// The limit is inclusive: 1,048,576 per side is an image, one more is not, in every format
    /// whose header can say so (JPEG's and GIF's 16-bit sizes, ICO's 8-bit ones cannot exceed it).
    func testTheLimitIsTheSameForEveryFormat() {
        let cap = ImageSniffer.maxDimension
        XCTAssertEqual(cap, 1 << 20)
        func png(_ w: Int, _ h: Int) -> [UInt8] { Build.png(width: w, height: h) }
        func bmp(_ w: Int, _ h: Int) -> [UInt8] {
            Build.ascii("BM") + [UInt8](repeating: 0, count: 12) + Build.le32(40) + Build.le32(w) + Build.le32(h) + [UInt8](repeating: 0, count: 36)
        }
        func webp(_ w: Int, _ h: Int) -> [UInt8] {
            let le24 = { (v: Int) in Array(Build.le32(v).prefix(3)) }
            return Build.ascii("RIFF") + Build.le32(30) + Build.ascii("WEBPVP8X") + Build.le32(10) + [0, 0, 0, 0] + le24(w - 1) + le24(h - 1)
        }
        func tiff(_ w: Int, _ h: Int) -> [UInt8] { Build.tiff(littleEndian: false, [(256, 4, w), (257, 4, h)]) }
        func heif(_ w: Int, _ h: Int) -> [UInt8] { Build.heif(properties: [Build.ispe(w, h)], associations: [(1, [1])]) }
        func svg(_ w: Int, _ h: Int) -> [UInt8] { Build.ascii("<svg width=\"\(w)\" height=\"\(h)\"></svg>") }
        let makers: [(ImageFormat, (Int, Int) -> [UInt8])] = [(.png, png), (.bmp, bmp), (.webp, webp), (.tiff, tiff), (.heic, heif), (.svg, svg)]
        for (format, make) in makers {
            XCTAssertEqual(sniff(make(cap, 7)), .image(ImageInfo(format: format, width: cap, height: 7)), "\(format) at the limit")
            XCTAssertEqual(sniff(make(7, cap)), .image(ImageInfo(format: format, width: 7, height: cap)), "\(format) at the limit")
            assertBeyondSizeLimit(sniff(make(cap + 1, 7)), format, "\(format) width past the limit")
            assertBeyondSizeLimit(sniff(make(7, cap + 1)), format, "\(format) height past the limit")
        }
    }

    /// A viewBox ratio can make an SVG's derived side enormous from small numbers.
    func testSVGDerivedSizeBeyondTheLimitIsRefused() {
        assertBeyondSizeLimit(sniff(Build.ascii("<svg width=\"100\" viewBox=\"0 0 0.000001 1\"/>")), .svg, "derived height")
    }

    /// A viewBox alone is in user units (a map in metres): past the limit it gives no size, and
    /// the SVG is still an image. It was refused as corrupt, and never cataloged.
    func testAnSVGWhoseViewBoxAloneIsPastTheLimitIsAnImageWithoutASize() {
        let map = Build.ascii("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 2500000 1500000'><path d='M0 0'/></svg>")
        XCTAssertEqual(sniff(map), .image(ImageInfo(format: .svg, width: nil, height: nil)))
        let drawing = Build.ascii("<svg viewBox='0 0 1048576 20'/>")
        XCTAssertEqual(sniff(drawing), .image(ImageInfo(format: .svg, width: 1 << 20, height: 20)), "at the limit: sized")
    }

    // MARK: Cost

    /// CPU time of the calling thread, so other processes on a busy machine do not count.
    private func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Drives the sniffer over `file` as the catalog does (size unknown) and with exact reads,
    /// and returns the structure steps over all rounds, which must stay within `stepsPerByte`
    /// per byte read however the reads are cut.
    private func assertLinear(_ file: [UInt8], stepsPerByte: Int, _ what: String, file f: StaticString = #filePath, line: UInt = #line) {
        for (size, readAhead) in [(Int64?.none, 16 * 1024), (Int64(file.count), 0)] {
            let progress = ParseProgress()
            let start = threadCPUSeconds()
            let (result, read, reads) = ImageSniffer.sniff(totalSize: size, readAhead: readAhead, maxBytes: ImageSniffer.defaultMaxBytes,
                                                           progress: progress) { range in
                Array(file[min(range.lowerBound, file.count)..<min(range.upperBound, file.count)])
            }
            let seconds = threadCPUSeconds() - start
            print("\(what), read-ahead \(readAhead): \(result); \(read) bytes in \(reads) reads, \(progress.steps) steps, \(Int(seconds * 1000)) ms CPU")
            XCTAssertEqual(result, ImageSniffer.sniff(prefix: Array(file.prefix(read)), totalSize: Int64(file.count)),
                           "\(what): the driver and the one-shot answer differ", file: f, line: line)
            if file.count <= ImageSniffer.defaultMaxBytes, case .image = sniff(file) {
                XCTAssertEqual(result, sniff(file), what, file: f, line: line)
            } else {
                XCTFail("\(what): the crafted file should be an image within the read limit", file: f, line: line)
            }
            XCTAssertLessThanOrEqual(progress.steps, stepsPerByte * read + 1000, "\(what): steps grew faster than the bytes read", file: f, line: line)
            // The deterministic bound is the steps; this one only catches a cost that steps do
            // not count. Generous: a debug build on a busy machine; the quadratic walk took
            // over 4 s of CPU in a release build.
            XCTAssertLessThan(seconds, 5.0, "\(what): \(seconds) s of CPU", file: f, line: line)
        }
    }

    /// The reproduced cost: 1 MiB of empty JPEG segments. The walk used to restart from the
    /// first segment on every read round and build a string per segment: ~4 CPU-s per object.
    func testMegabyteOfEmptyJPEGSegmentsCostsLinearTime() {
        var file: [UInt8] = [0xFF, 0xD8]
        while file.count < ImageSniffer.defaultMaxBytes - 64 { file += [0xFF, 0xFE, 0x00, 0x02] }
        assertLinear(file + Build.frame(width: 3, height: 4), stepsPerByte: 1, "empty JPEG segments")
    }

    /// The same with fill bytes, stand-alone markers and garbage between segments.
    func testJPEGFillBytesAndGarbageCostLinearTime() {
        var fill: [UInt8] = [0xFF, 0xD8]
        fill += [UInt8](repeating: 0xFF, count: 900_000)
        assertLinear(fill + [0xFE, 0, 2] + Build.frame(width: 3, height: 4), stepsPerByte: 4, "JPEG fill bytes")
        var markers: [UInt8] = [0xFF, 0xD8]
        while markers.count < 900_000 { markers += [0xFF, 0xD0, 0x12, 0x34, 0xFF, 0x00] }
        assertLinear(markers + Build.frame(width: 3, height: 4), stepsPerByte: 4, "JPEG restart markers and garbage")
    }

    /// ISO BMFF: 8-byte `free` boxes before `meta` made the top-level walk restart per round.
    func testManySmallTopLevelBoxesCostLinearTime() {
        let heif = Build.heif(properties: [Build.ispe(12, 34)], associations: [(1, [1])])
        let ftypEnd = Build.ftyp("heic", ["mif1", "heic"]).count
        var file = Array(heif[..<ftypEnd])
        while file.count < 900_000 { file += Build.box("free", []) }
        assertLinear(file + heif[ftypEnd...], stepsPerByte: 1, "8-byte boxes before meta")
    }

    /// Many properties and associations inside `meta`, and a long SVG prolog.
    func testLargeMetaAndLongSVGPrologCostLinearTime() {
        let properties = (0..<20_000).map { _ in Build.irot(0) } + [Build.ispe(5, 6)]
        let associations = (1...20_000).map { (item: $0 + 1, indices: [1, 2, 3]) } + [(item: 1, indices: [20_001])]
        assertLinear(Build.heif(properties: properties, associations: associations, wideIndices: true), stepsPerByte: 2, "large meta")
        let comment = Build.ascii("<!--") + [UInt8](repeating: UInt8(ascii: "-"), count: 900_000) + Build.ascii("-->")
        assertLinear(comment + Build.ascii("<svg width='5' height='6'/>"), stepsPerByte: 8, "long SVG comment")
    }
}
