import ImageSniffer
import XCTest

final class SVGTests: XCTestCase {
    private func size(_ text: String) -> [Int?]? {
        let bytes = Array(text.utf8)
        guard case .image(let info) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)), info.format == .svg else {
            return nil
        }
        return [info.width, info.height]
    }

    func testUnitsAndViewBoxRules() {
        XCTAssertEqual(size(#"<svg width="72pt" height="1in"/>"#), [96, 96])
        XCTAssertEqual(size(#"<svg width="25.4mm" height="2.54cm"/>"#), [96, 96])
        XCTAssertEqual(size(#"<svg width=" 10 " height='20px'></svg>"#), [10, 20])
        XCTAssertEqual(size(#"<svg width="200" viewBox="0 0 100 50"/>"#), [200, 100])   // height from the aspect ratio
        XCTAssertEqual(size(#"<svg height="30" viewBox="0,0,20,10"/>"#), [60, 30])
        XCTAssertEqual(size(#"<svg viewBox="-5 -5 640 480"/>"#), [640, 480])
        XCTAssertEqual(size(#"<svg width="50%" height="100" viewBox="0 0 1 1"/>"#), [nil, nil])
        XCTAssertEqual(size(#"<svg width="10em" height="10em"/>"#), [nil, nil])
        // Any unit but the absolute ones is relative: no intrinsic size, not the viewBox's.
        XCTAssertEqual(size(#"<svg width="100vw" height="100vh" viewBox="0 0 800 600"/>"#), [nil, nil])
        XCTAssertEqual(size(#"<svg width="100vmin" height="50" viewBox="0 0 800 600"/>"#), [nil, nil])
        XCTAssertEqual(size(#"<svg width="1e2px" height="50" viewBox="0 0 800 600"/>"#), [100, 50])
        XCTAssertEqual(size(#"<svg width="1IN" height="101.6Q"/>"#), [96, 96])                    // CSS units ignore case
        XCTAssertEqual(size(#"<svg width="200"/>"#), [nil, nil])                         // one side, no viewBox
        XCTAssertEqual(size(#"<svg width="0" height="-3" viewBox="0 0 0 0"/>"#), [nil, nil])
        XCTAssertEqual(size("<svg>"), [nil, nil])
        XCTAssertEqual(size(#"<svg hidden width="3" height="4">"#), [3, 4])                 // valueless attribute
    }

    /// Markup whose root element is not within the read limit (a PHP file without `?>`, a
    /// comment of a megabyte) is not an image: it was an `svg` entry without a size.
    func testMarkupWithoutARootElementWithinTheLimitIsNotAnImage() {
        let bytes = Array("<?php ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        let reader = { (range: Range<Int>) -> [UInt8] in Array(bytes[range.clamped(to: 0..<bytes.count)]) }
        let (result, read, _) = ImageSniffer.sniff(totalSize: 2 << 20, read: reader)
        guard case .notImage(let reason) = result else { return XCTFail("\(result)") }
        XCTAssertTrue(reason.hasPrefix("markup whose"), reason)
        XCTAssertLessThanOrEqual(read, ImageSniffer.defaultMaxBytes)
    }

    /// An `<svg>` start tag longer than the read limit is an SVG all the same: typed, unsized.
    func testAStartTagPastTheLimitIsStillAnSVG() {
        let bytes = Array("<svg data-x=\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        let reader = { (range: Range<Int>) -> [UInt8] in Array(bytes[range.clamped(to: 0..<bytes.count)]) }
        guard case .corrupt(let f) = ImageSniffer.sniff(totalSize: 2 << 20, read: reader).result else { return XCTFail() }
        XCTAssertEqual(f.kind, .beyondLimit)
        XCTAssertEqual(f.format, .svg)
    }

    func testOtherMarkupIsNotSVG() {
        let html = Array("<!DOCTYPE html><html><body><svg width='1' height='1'/></body></html>".utf8)
        XCTAssertEqual(ImageSniffer.sniff(prefix: html, totalSize: Int64(html.count)),
                       .notImage(reason: "markup whose root element is <html>, not <svg>"))
    }

    func testUnterminatedPrologIsTruncatedSVG() {
        let bytes = Array("<?xml version='1.0'?><!-- never closed".utf8)
        guard case .corrupt(let f) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else { return XCTFail() }
        XCTAssertEqual(f.kind, .truncated)
        XCTAssertEqual(f.format, .svg)
    }

    func testUnquotedAttributeIsCorrupt() {
        let bytes = Array("<svg width=10 height=10/>".utf8)
        guard case .corrupt(let f) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else { return XCTFail() }
        XCTAssertEqual(f.kind, .malformed)
    }

    /// Whitespace longer than the first read: wait for the first `<`, do not call it text.
    func testLongLeadingWhitespace() {
        let bytes = Array((String(repeating: " \n", count: 3000) + "<svg width='5' height='6'/>").utf8)
        let (result, _, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count)) { range in Array(bytes[range]) }
        XCTAssertEqual(result, .image(ImageInfo(format: .svg, width: 5, height: 6)))
    }

    /// A long comment before the root: the sniffer asks for growing chunks, not byte by byte.
    func testLongPrologIsReadInGrowingChunks() {
        let text = "<!--" + String(repeating: "x", count: 50_000) + "--><svg width='3' height='4'/>"
        let bytes = Array(text.utf8)
        let (result, _, reads) = ImageSniffer.sniff(totalSize: Int64(bytes.count)) { range in Array(bytes[range]) }
        XCTAssertEqual(result, .image(ImageInfo(format: .svg, width: 3, height: 4)))
        XCTAssertLessThanOrEqual(reads, 6)  // 4 KiB, then doubling: 8, 16, 32, 50 KiB
    }

    /// Comments and processing instructions in a DOCTYPE's internal subset are skipped whole: an
    /// apostrophe in one was taken for a quote, and the SVG refused as running past its end.
    func testACommentInTheInternalSubsetMayHoldAQuote() {
        for subset in ["<!-- it's -->", "<?pi don't ?>", "<!ENTITY e 'x'> <!-- \" -->"] {
            let svg = Array("<?xml version='1.0'?><!DOCTYPE svg [ \(subset) ]><svg width='10' height='20'/>".utf8)
            XCTAssertEqual(ImageSniffer.sniff(prefix: svg, totalSize: Int64(svg.count)),
                           .image(ImageInfo(format: .svg, width: 10, height: 20)), subset)
        }
    }
}
