import ImageSniffer
import XCTest

final class FixtureTests: XCTestCase {
    func testEveryFixtureIsListed() throws {
        let listed = Set(Fixtures.images.map(\.file) + Fixtures.others.map(\.file))
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: Fixtures.directory.path))
        XCTAssertEqual(present.subtracting(listed), [], "fixtures without expectations")
        XCTAssertEqual(listed.subtracting(present), [], "expectations without fixtures")
    }

    func testWholeFilesGiveTheEncodersSizes() {
        for e in Fixtures.images {
            let bytes = Fixtures.bytes(e.file)
            XCTAssertEqual(ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)), .image(e.info), e.file)
        }
    }

    func testEveryFormatIsCovered() {
        XCTAssertEqual(Set(Fixtures.images.map(\.info.format)), Set(ImageFormat.allCases))
    }

    func testNonImagesAreNamed() {
        for (file, word) in Fixtures.others {
            let bytes = Fixtures.bytes(file)
            guard case .notImage(let reason) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else {
                XCTFail("\(file) should not be an image"); continue
            }
            XCTAssertTrue(reason.contains(word), "\(file): \(reason)")
        }
    }

    /// The name plays no part: a PNG named .jpg is a PNG.
    func testContentWinsOverTheName() {
        let bytes = Fixtures.bytes("png-named-as.jpg")
        guard case .image(let info) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else {
            return XCTFail("not sniffed as an image")
        }
        XCTAssertEqual(info.format, .png)
    }

    func testDisplayedSizeFollowsOrientation() {
        let bytes = Fixtures.bytes("orientation6.jpg")
        guard case .image(let info) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else {
            return XCTFail("not sniffed as an image")
        }
        XCTAssertEqual([info.width, info.height, info.storedWidth, info.storedHeight], [20, 40, 40, 20])
        XCTAssertEqual(info.orientation, .rotate90)
    }
}
