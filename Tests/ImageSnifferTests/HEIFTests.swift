import ImageSniffer
import TestSupport
import XCTest

/// HEIF/AVIF property handling the encoders at hand could not produce (heif-enc writes no irot).
final class HEIFTests: XCTestCase {
    private func sniff(_ bytes: [UInt8]) -> SniffResult { ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)) }

    private func info(_ w: Int, _ h: Int, stored sw: Int, _ sh: Int, _ o: Orientation, format: ImageFormat = .heic) -> SniffResult {
        .image(ImageInfo(format: format, width: w, height: h, storedWidth: sw, storedHeight: sh, orientation: o))
    }

    /// irot counts quarter turns anticlockwise; odd counts swap the displayed size.
    func testIrotOnHEIC() {
        let expected: [(UInt8, Orientation)] = [(0, .normal), (1, .rotate270), (2, .rotate180), (3, .rotate90)]
        for (angle, orientation) in expected {
            let file = Build.heif(properties: [Build.ispe(400, 300), Build.irot(angle)], associations: [(1, [1, 2])])
            let swap = angle % 2 == 1
            XCTAssertEqual(sniff(file), info(swap ? 300 : 400, swap ? 400 : 300, stored: 400, 300, orientation), "irot \(angle)")
        }
    }

    /// imir mode 0 exchanges top and bottom, 1 left and right; combined with irot in ipma order.
    func testImirAndItsOrderWithIrot() {
        let cases: [([[UInt8]], Orientation)] = [
            ([Build.imir(0)], .mirrorVertical),
            ([Build.imir(1)], .mirrorHorizontal),
            // Worked by hand on pixel (x, y) of a W×H picture:
            // turn left (x, y) → (y, W-1-x), then mirror left-right → (H-1-y, W-1-x): transverse.
            ([Build.irot(1), Build.imir(1)], .transverse),
            // mirror left-right → (W-1-x, y), then turn left → (y, x): transpose.
            ([Build.imir(1), Build.irot(1)], .transpose),
            // turn right (x, y) → (H-1-y, x), then mirror top-bottom → (H-1-y, W-1-x): transverse.
            ([Build.irot(3), Build.imir(0)], .transverse),
        ]
        for (transforms, orientation) in cases {
            let props = [Build.ispe(40, 30)] + transforms
            let file = Build.heif(properties: props, associations: [(1, Array(1...props.count))])
            let swap = orientation.swapsWidthAndHeight
            XCTAssertEqual(sniff(file), info(swap ? 30 : 40, swap ? 40 : 30, stored: 40, 30, orientation), "\(orientation)")
        }
    }

    /// The primary item's ispe counts, not the largest or the first (a thumbnail, a tile).
    func testPrimaryItemAssociationWins() {
        let file = Build.heif(primary: 2, properties: [Build.ispe(1024, 1024), Build.ispe(320, 240), Build.ispe(160, 120)],
                              associations: [(1, [1]), (2, [2]), (3, [3])], wideIndices: true)
        XCTAssertEqual(sniff(file), info(320, 240, stored: 320, 240, .normal))
    }

    /// Without a usable association, the largest ispe stands for the image.
    func testLargestIspeWithoutAssociation() {
        let file = Build.heif(primary: 9, properties: [Build.ispe(160, 120), Build.ispe(640, 480)], associations: [(1, [1])])
        XCTAssertEqual(sniff(file), info(640, 480, stored: 640, 480, .normal))
    }

    func testCleanApertureCropsThenRotates() {
        let file = Build.heif(properties: [Build.ispe(64, 64), Build.clap(61, 37), Build.irot(1)], associations: [(1, [1, 2, 3])])
        XCTAssertEqual(sniff(file), info(37, 61, stored: 64, 64, .rotate270))
    }

    func testBrandsDecideHEICOrAVIF() {
        let props = [Build.ispe(8, 6)]
        XCTAssertEqual(sniff(Build.heif(brand: "mif1", compatible: ["mif1", "miaf", "avif"], properties: props, associations: [(1, [1])])),
                       .image(ImageInfo(format: .avif, width: 8, height: 6)))
        XCTAssertEqual(sniff(Build.heif(brand: "mif1", compatible: ["mif1"], properties: props, associations: [(1, [1])])),
                       .image(ImageInfo(format: .heic, width: 8, height: 6)))
        XCTAssertEqual(sniff(Build.heif(brand: "avis", compatible: [], properties: props, associations: [(1, [1])])),
                       .image(ImageInfo(format: .avif, width: 8, height: 6)))
        XCTAssertEqual(sniff(Build.ftyp("isom", ["isom", "mp41"]) + Build.box("moov", [])),
                       .notImage(reason: "an ISO base media file with brand 'isom' (video or audio, not a still image)"))
    }

    /// `meta` may follow `mdat`, and boxes may use the 64-bit size form.
    func testMetaAfterLargeSizedMdat() {
        let heif = Build.heif(properties: [Build.ispe(12, 34)], associations: [(1, [1])])
        let ftypEnd = Build.ftyp("heic", ["mif1", "heic"]).count
        let mdat = Build.be32(1) + Build.ascii("mdat") + Build.be32(0) + Build.be32(16 + 100) + [UInt8](repeating: 7, count: 100)
        let file = Array(heif[..<ftypEnd]) + mdat + Array(heif[ftypEnd...])
        XCTAssertEqual(sniff(file), .image(ImageInfo(format: .heic, width: 12, height: 34)))
    }

    func testMissingIspeAndOverlongChildAreCorrupt() {
        guard case .corrupt(let noIspe) = sniff(Build.heif(properties: [Build.irot(1)], associations: [(1, [1])])) else { return XCTFail() }
        XCTAssertTrue(noIspe.message.contains("no 'ispe'"), noIspe.message)
        var bad = Build.heif(properties: [Build.ispe(1, 1)], associations: [(1, [1])])
        let ispeAt = bad.indices.first { Array(bad[$0..<min($0 + 4, bad.count)]) == Build.ascii("ispe") }! - 4
        bad.replaceSubrange(ispeAt..<ispeAt + 4, with: Build.be32(5000))
        guard case .corrupt(let overlong) = sniff(bad) else { return XCTFail() }
        XCTAssertEqual(overlong.kind, .malformed)
        XCTAssertTrue(overlong.message.contains("runs past its container"), overlong.message)
    }

    /// `pitm` version 1 holds a 4-byte item id: read as such, and one too short for it is
    /// malformed (it was read from the next box's bytes).
    func testAVersion1PrimaryItemIsReadWhole() {
        let v1 = Build.heif(primary: 1, properties: [Build.ispe(640, 480)], associations: [(1, [1])], pitmVersion: 1)
        XCTAssertEqual(sniff(v1), .image(ImageInfo(format: .heic, width: 640, height: 480)))
        var short = Build.heif(primary: 1, properties: [Build.ispe(640, 480)], associations: [(1, [1])])
        let at = short.indices.first { Array(short[$0..<($0 + 4)]) == Build.ascii("pitm") }!
        short[at + 4] = 1                                       // version 1, with a 2-byte id
        guard case .corrupt(let failure) = sniff(short) else { return XCTFail("\(sniff(short))") }
        XCTAssertTrue(failure.message.contains("'pitm' at offset"), failure.message)
    }
}
