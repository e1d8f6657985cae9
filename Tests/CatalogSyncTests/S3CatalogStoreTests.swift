import HTTPClient
import ImageSniffer
import S3
import SigV4
import TestSupport
import XCTest
@testable import CatalogSync

/// The production store on a scripted S3: ranged reads with `If-Match` after the first, the
/// "object replaced mid-read" restart, the `unstable` error after three replacements, and the
/// ordinary answers (gone, not an image, conditional write lost).
final class S3CatalogStoreTests: XCTestCase {
    /// A 40×30 JPEG whose frame header sits behind a 5,000-byte APP1 segment, so the sniffer
    /// needs a second read after the first 4 KiB.
    static let jpeg: [UInt8] = {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x13, 0x88]      // SOI, APP1 of length 5000
        bytes += [UInt8](repeating: 0, count: 4998)
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 30, 0x00, 40, 0x03,   // SOF0 8-bit 30 high 40 wide
                  0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        bytes += [0xFF, 0xD9]
        return bytes
    }()

    func store(_ transport: ScriptedTransport) -> S3CatalogStore {
        let client = S3Client(configuration: S3Configuration(region: "us-east-1",
                                                             credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport)
        return S3CatalogStore(client: client)
    }

    /// A 206 for `bytes[range]` of the whole `bytes`, as S3 sends it.
    static func partial(_ bytes: [UInt8], _ range: Range<Int>, etag: String) -> ScriptedTransport.Reply {
        let upper = min(range.upperBound, bytes.count)
        return .response(HTTPResponse(status: 206, headers: [
            HTTPHeader(name: "ETag", value: "\"\(etag)\""),
            HTTPHeader(name: "Content-Range", value: "bytes \(range.lowerBound)-\(upper - 1)/\(bytes.count)"),
            HTTPHeader(name: "Last-Modified", value: "Wed, 25 Nov 2026 17:30:05 GMT"),
        ], body: Array(bytes[range.lowerBound..<upper])))
    }

    static var replaced: ScriptedTransport.Reply { ScriptedTransport.status(412, s3ErrorXML("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")) }

    func testTwoReadsOfOneVersion() throws {
        let transport = ScriptedTransport([Self.partial(Self.jpeg, 0..<4096, etag: "v1"),
                                           Self.partial(Self.jpeg, 4096..<Self.jpeg.count, etag: "v1")])
        let observation = try XCTUnwrap(try store(transport).observe(bucket: "b", key: "a.jpg"))
        XCTAssertEqual(observation.etag, "v1")
        XCTAssertEqual(observation.size, Int64(Self.jpeg.count))
        XCTAssertEqual(observation.lastModified, "2026-11-25T17:30:05Z")
        guard case .image(let info) = observation.content else { return XCTFail("\(observation.content)") }
        XCTAssertEqual(info.format, .jpg)
        XCTAssertEqual([info.width, info.height], [40, 30])
        XCTAssertEqual(transport.requests.count, 2)
        XCTAssertNil(transport.requests[0].header("If-Match"), "the first read fixes the version")
        XCTAssertEqual(transport.requests[0].header("Range"), "bytes=0-4095")
        XCTAssertEqual(transport.requests[1].header("If-Match"), "\"v1\"", "later reads must be of the same version")
        XCTAssertTrue(transport.requests[1].header("Range")?.hasPrefix("bytes=4096-") == true, "\(transport.requests[1].headers)")
    }

    /// The object is replaced between the two reads: the second read's `If-Match` fails (412),
    /// and the observation starts over on the new version instead of mixing two versions' bytes.
    func testReplacedMidReadStartsOverOnTheNewVersion() throws {
        let transport = ScriptedTransport([
            Self.partial(Self.jpeg, 0..<4096, etag: "v1"), Self.replaced,
            Self.partial(Self.jpeg, 0..<4096, etag: "v2"), Self.partial(Self.jpeg, 4096..<Self.jpeg.count, etag: "v2"),
        ])
        let observation = try XCTUnwrap(try store(transport).observe(bucket: "b", key: "a.jpg"))
        XCTAssertEqual(observation.etag, "v2")
        XCTAssertEqual(transport.requests.map { $0.header("If-Match") }, [nil, "\"v1\"", nil, "\"v2\""])
    }

    /// Replaced on every attempt: after three the store gives up with `unstable`, naming the
    /// object, rather than looping or cataloging a mix of versions.
    func testReplacedOnEveryReadIsUnstable() {
        var script: [ScriptedTransport.Reply] = []
        for version in 1...3 { script += [Self.partial(Self.jpeg, 0..<4096, etag: "v\(version)"), Self.replaced] }
        script.append(Self.partial(Self.jpeg, 0..<4096, etag: "v4"))  // never asked for
        let transport = ScriptedTransport(script)
        XCTAssertThrowsError(try store(transport).observe(bucket: "b", key: "a.jpg")) { error in
            XCTAssertEqual("\(error)", "s3://b/a.jpg changed on every read of its header")
        }
        XCTAssertEqual(transport.requests.count, 6, "three attempts of two reads, then stop")
    }

    func testOtherErrorsAreNotMistakenForAReplacement() {
        let transport = ScriptedTransport([Self.partial(Self.jpeg, 0..<4096, etag: "v1"),
                                           ScriptedTransport.status(403, s3ErrorXML("AccessDenied", "Access Denied"))])
        XCTAssertThrowsError(try store(transport).observe(bucket: "b", key: "a.jpg")) { error in
            XCTAssertFalse("\(error)".contains("changed on every read"), "\(error)")
            XCTAssertTrue("\(error)".contains("403"), "\(error)")
        }
        XCTAssertEqual(transport.requests.count, 2, "a permanent error is not retried as a replacement")
    }

    func testGoneObjectIsNil() throws {
        let transport = ScriptedTransport([ScriptedTransport.status(404, s3ErrorXML("NoSuchKey", "The specified key does not exist."))])
        XCTAssertNil(try store(transport).observe(bucket: "b", key: "gone.png"))
        XCTAssertEqual(transport.requests.count, 1)
    }

    func testLostConditionalWriteIsAConflictNotAnError() throws {
        let transport = ScriptedTransport([ScriptedTransport.status(412, s3ErrorXML("PreconditionFailed"))])
        XCTAssertEqual(try store(transport).writeCatalog(bucket: "b", key: "images.json", bytes: Array("[]".utf8), ifMatch: "e1"),
                       .conflict)
        XCTAssertEqual(transport.requests.first?.header("If-Match"), "e1", "sent as the caller gave it")
    }
}
