import Storage
import HTTPClient
import JSON
import S3
import TestSupport
import XCTest
@testable import SigV4
@testable import API

/// Viewing URLs carry signed response overrides: an SVG opened directly is downloaded (no script
/// runs on the bucket's origin) and every image is served as the type the catalog sniffed.
/// (That S3 honours them is Tests/integration/test_svg_viewing.py, against a real server.)
final class ViewingOverridesTests: XCTestCase {
    func testSVGIsAnAttachmentOtherImagesAreInline() {
        func render(_ type: String) -> [String] { ViewingOverrides.query(forType: type).map { "\($0.name)=\($0.value)" } }
        XCTAssertEqual(render("svg"), ["response-content-disposition=attachment", "response-content-type=image/svg+xml"])
        XCTAssertEqual(render("png"), ["response-content-type=image/png"])
        XCTAssertEqual(render("jpg"), ["response-content-type=image/jpeg"])
        XCTAssertEqual(render("ico"), ["response-content-type=image/vnd.microsoft.icon"])
        // A hand-edited entry with a type we do not know is never rendered inline.
        XCTAssertEqual(render("html"), ["response-content-disposition=attachment", "response-content-type=application/octet-stream"])
    }

    func testEveryCatalogTypeHasAnInlineMIMEType() {
        for type in ["jpg", "png", "gif", "webp", "bmp", "tiff", "heic", "avif", "ico", "svg"] {
            XCTAssertNotNil(ImageType.mimeTypes[type], type)
        }
    }

    func testListingSignsTheOverridesPerEntry() throws {
        let store = MemoryStore()
        store.setCatalog("""
            [
            {"name":"images/a.svg","type":"svg","size":120},
            {"name":"images/b.png","type":"png","size":171}
            ]
            """)
        let presigner = RecordingPresigner()
        let api = ImageAPI(store: store, bucket: MemoryStore.apiBucket, cache: CatalogReaderCache(), uploads: UploadPolicy(),
                           presigner: presigner, nowMs: { 1_800_000_000_000 })
        let event = try UploadEvents.event(method: "GET", path: "/images", query: ["urls": "1"])
        let response = try JSONValue(parsing: api.handle(event.serialized(), requestID: "req-svg"))
        XCTAssertEqual(response["statusCode"]?.int64Value, 200)
        XCTAssertEqual(presigner.calls.map(\.key), ["images/a.svg", "images/b.png"])
        XCTAssertEqual(presigner.calls.map(\.query), [
            ["response-content-disposition=attachment", "response-content-type=image/svg+xml"],
            ["response-content-type=image/png"],
        ])
    }

    func testUploadURLsSignNoOverrides() throws {
        let presigner = RecordingPresigner()
        let api = ImageAPI(store: MemoryStore(), bucket: MemoryStore.apiBucket, cache: CatalogReaderCache(), 
                           uploads: UploadPolicy(), presigner: presigner, nowMs: { 1_800_000_000_000 })
        let event = try UploadEvents.event(body: UploadEvents.body(name: "x.svg", contentType: "image/svg+xml", size: 100))
        _ = try api.handle(event.serialized(), requestID: "req-up")
        XCTAssertEqual(presigner.calls.count, 1)
        XCTAssertEqual(presigner.calls.first?.query, [])
    }

    /// The real signer puts the overrides in the canonical query: the URL carries them, and a
    /// URL without them has a different signature (S3 would refuse a stripped one).
    func testS3StoreSignsTheOverrides() throws {
        let configuration = S3Configuration(region: "us-east-1",
                                            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:8333")
        let s3 = S3ObjectStore(client: S3Client(configuration: configuration, transport: ScriptedTransport([])))
        let overrides = ViewingOverrides.query(forType: "svg")
        let url = s3.presignedURL(method: "GET", bucket: "pics", key: "images/a.svg", query: overrides, headers: [],
                                  signedAt: 1_800_000_000, expiresInSeconds: 600)
        XCTAssertTrue(url.contains("response-content-disposition=attachment"), url)
        XCTAssertTrue(url.contains("response-content-type=image%2Fsvg%2Bxml"), url)
        let bare = s3.presignedURL(method: "GET", bucket: "pics", key: "images/a.svg", query: [], headers: [],
                                   signedAt: 1_800_000_000, expiresInSeconds: 600)
        func signature(_ u: String) -> Substring? { u.split(separator: "&").first { $0.hasPrefix("X-Amz-Signature=") } }
        XCTAssertNotNil(signature(url))
        XCTAssertNotEqual(signature(url), signature(bare))
    }
}
