import HTTPClient
import XCTest

/// The path goes out as signed, and a body is never read past its limit.
final class CurlTransportPathAndLimitTests: XCTestCase {
    private var server: LoopbackServer!

    override func setUpWithError() throws { server = try LoopbackServer() }
    override func tearDown() { server.stop(); server = nil }

    /// S3 keys may hold `.` and `..` segments; the signature covers them, so libcurl must not
    /// normalise them away (it would without `CURLOPT_PATH_AS_IS`).
    func testDotSegmentsReachTheServerUnchanged() throws {
        let transport = CurlTransport()
        for path in ["/b/images/./a.png", "/b/../x", "/b/images/../../etc/./x?q=./..", "/b//double//slash", "/b/images/.", "/b/.."] {
            let response = try transport.send(HTTPRequest(method: "GET", url: server.url(path)))
            XCTAssertEqual(response.header("x-path"), path)
        }
    }

    func testDotSegmentsSurviveInBatches() throws {
        let paths = ["/b/images/./a.png", "/b/../x", "/b/./../y"]
        let results = CurlTransport().sendAll(paths.map { HTTPRequest(method: "HEAD", url: server.url($0)) }, maxConcurrent: 2)
        XCTAssertEqual(try results.map { try $0.get().header("x-path") }, paths)
    }

    func testBodyWithinTheLimitIsRead() throws {
        let transport = CurlTransport()
        let exact = try transport.send(HTTPRequest(method: "GET", url: server.url("/bytes/1000"), maxBodyBytes: 1000))
        XCTAssertEqual(exact.body.count, 1000)
        let chunked = try transport.send(HTTPRequest(method: "GET", url: server.url("/chunked/2500"), maxBodyBytes: 2500))
        XCTAssertEqual(chunked.body, [UInt8](repeating: 0x63, count: 2500))
    }

    /// An announced length over the limit is refused before the body is read.
    func testAnnouncedBodyOverTheLimitIsATypedError() throws {
        let url = server.url("/bytes/5000")
        XCTAssertThrowsError(try CurlTransport().send(HTTPRequest(method: "GET", url: url, maxBodyBytes: 4999))) { error in
            guard let error = error as? HTTPTransportError else { return XCTFail("not a transport error: \(error)") }
            XCTAssertTrue(error.isBodyTooLarge, error.description)
            XCTAssertEqual(error.code, 63)
            XCTAssertEqual(error.url, url)
            XCTAssertTrue(error.description.contains("4999-byte limit"), error.description)
        }
    }

    /// A HEAD reads no body, so its announced length (the object's size, 176 MB for a big
    /// catalog) is no body over the limit.
    func testAHeadOfAnObjectOverTheLimitIsAnswered() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "HEAD", url: server.url("/bytes/5000"), maxBodyBytes: 100))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-length"), "5000")
        XCTAssertEqual(response.body, [])
    }

    /// A chunked body announces no length: the transfer stops once it outgrows the limit.
    func testUnannouncedBodyOverTheLimitIsStoppedMidway() throws {
        let transport = CurlTransport()
        XCTAssertThrowsError(try transport.send(HTTPRequest(method: "GET", url: server.url("/chunked/50000"), maxBodyBytes: 10_000))) { error in
            XCTAssertTrue((error as? HTTPTransportError)?.isBodyTooLarge == true, "\(error)")
        }
        XCTAssertEqual(try transport.send(HTTPRequest(method: "GET", url: server.url("/echo"))).status, 200)
    }

    func testTransportDefaultLimitAppliesWhenTheRequestSetsNone() throws {
        let transport = CurlTransport()
        transport.defaultMaxBodyBytes = 100
        XCTAssertThrowsError(try transport.send(HTTPRequest(method: "GET", url: server.url("/chunked/101")))) { error in
            XCTAssertTrue((error as? HTTPTransportError)?.isBodyTooLarge == true, "\(error)")
        }
        XCTAssertEqual(try transport.send(HTTPRequest(method: "GET", url: server.url("/chunked/101"), maxBodyBytes: 101)).body.count, 101)
        XCTAssertEqual(try transport.send(HTTPRequest(method: "GET", url: server.url("/bytes/100"))).body.count, 100)
    }

    func testOneOversizedBodyInABatchFailsOnlyItself() throws {
        let requests = [
            HTTPRequest(method: "GET", url: server.url("/bytes/10"), maxBodyBytes: 10),
            HTTPRequest(method: "GET", url: server.url("/chunked/20000"), maxBodyBytes: 10),
            HTTPRequest(method: "GET", url: server.url("/bytes/11"), maxBodyBytes: 10),
            HTTPRequest(method: "GET", url: server.url("/bytes/3"), maxBodyBytes: 10),
        ]
        let results = CurlTransport().sendAll(requests, maxConcurrent: 4)
        XCTAssertEqual(try results[0].get().body.count, 10)
        XCTAssertThrowsError(try results[1].get()) { XCTAssertTrue(($0 as? HTTPTransportError)?.isBodyTooLarge == true) }
        XCTAssertThrowsError(try results[2].get()) { XCTAssertTrue(($0 as? HTTPTransportError)?.isBodyTooLarge == true) }
        XCTAssertEqual(try results[3].get().body.count, 3)
    }
}
