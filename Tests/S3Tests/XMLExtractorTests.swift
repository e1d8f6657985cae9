import XCTest
@testable import S3

/// The tiny XML reader behind error bodies and listings: element matching by exact name,
/// entity and CDATA decoding, empty elements.
final class XMLExtractorTests: XCTestCase {
    func bytes(_ s: String) -> ArraySlice<UInt8> { Array(s.utf8)[...] }

    func testMatchesExactNamesOnly() {
        let xml = bytes("<R><KeyCount>2</KeyCount><Key>a</Key><Keys>x</Keys><Key>b</Key></R>")
        XCTAssertEqual(XMLExtractor.elements("Key", in: xml).map { XMLExtractor.decodeText($0) }, ["a", "b"])
        XCTAssertEqual(XMLExtractor.firstText("KeyCount", in: xml), "2")
        XCTAssertNil(XMLExtractor.firstText("Missing", in: xml))
    }

    func testDecodesEntitiesAndCDATA() {
        XCTAssertEqual(XMLExtractor.decodeText(bytes("a&amp;b&lt;c&gt;d&quot;e&apos;f&#34;g&#x263A;h")), "a&b<c>d\"e'f\"g☺h")
        XCTAssertEqual(XMLExtractor.decodeText(bytes("<![CDATA[x<&>y]]>z")), "x<&>yz")
        XCTAssertEqual(XMLExtractor.decodeText(bytes("a & b &unknown; c")), "a & b &unknown; c")
        XCTAssertEqual(XMLExtractor.decodeText(bytes("café")), "café")
    }

    func testAttributesAndEmptyElements() {
        let xml = bytes(#"<ListBucketResult xmlns="http://s3"><Prefix/><Name>b</Name><Delimiter></Delimiter></ListBucketResult>"#)
        XCTAssertEqual(XMLExtractor.elements("ListBucketResult", in: xml).count, 1)
        XCTAssertEqual(XMLExtractor.firstText("Prefix", in: xml), "")
        XCTAssertEqual(XMLExtractor.firstText("Delimiter", in: xml), "")
        XCTAssertEqual(XMLExtractor.firstText("Name", in: xml), "b")
    }

    func testUnclosedElementIsIgnored() {
        XCTAssertNil(XMLExtractor.firstText("Code", in: bytes("<Error><Code>Slow")))
        XCTAssertNil(XMLExtractor.firstText("Code", in: bytes("")))
    }
}
