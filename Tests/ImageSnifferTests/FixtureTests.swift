import ImageSniffer
import XCTest

final class FixtureTests: XCTestCase {
    func testEveryFixtureIsListed() throws {
        let listed = Set(Fixtures.images.map(\.file) + Fixtures.others.map(\.file) + Fixtures.refused.map(\.file))
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

    /// The kept reproducers: each refused, naming the size limit, never trapping.
    func testReproducersAreRefused() {
        for (file, format) in Fixtures.refused {
            let bytes = Fixtures.bytes(file)
            guard case .corrupt(let f) = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) else {
                XCTFail("\(file) should be refused"); continue
            }
            XCTAssertEqual(f.kind, .malformed, file)
            XCTAssertEqual(f.format, format, file)
            XCTAssertTrue(f.message.contains("1048576-pixel limit"), "\(file): \(f.message)")
        }
        XCTAssertEqual(Fixtures.bytes("huge-ispe.heic").count, 172)
    }

    /// The generator once ignored its byte-order flag and wrote every TIFF little-endian: the
    /// files named big-endian must start with "MM", the little-endian ones with "II".
    func testTIFFFixturesHaveTheByteOrderTheirNameSays() {
        for file in ["big-endian.tif", "big-endian-orientation8.tif", "be-long.tif", "be-short.tif"] {
            XCTAssertEqual(Array(Fixtures.bytes(file).prefix(4)), [0x4D, 0x4D, 0x00, 0x2A], file)
        }
        for file in ["little-endian.tif", "le-long.tif", "le-short.tif"] {
            XCTAssertEqual(Array(Fixtures.bytes(file).prefix(4)), [0x49, 0x49, 0x2A, 0x00], file)
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
