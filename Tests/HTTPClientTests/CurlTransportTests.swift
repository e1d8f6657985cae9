import Foundation
import HTTPClient
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class CurlTransportTests: XCTestCase {
    private var server: LoopbackServer!

    override func setUpWithError() throws {
        server = try LoopbackServer()
    }

    override func tearDown() {
        server.stop()
        server = nil
    }

    func testGetReturnsStatusHeadersAndBody() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/echo?q=1")))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("X-Method"), "GET")
        XCTAssertEqual(response.header("x-path"), "/echo?q=1")
        XCTAssertEqual(response.header("Content-Length"), "0")
        XCTAssertEqual(response.body, [])
    }

    /// Each answer carries libcurl's own measure of the exchange: what the S3 latency metric is
    /// made of, per request even inside a concurrent batch.
    func testAnswersAreTimedByTheTransport() throws {
        let answers = CurlTransport().sendAll([HTTPRequest(method: "GET", url: server.url("/slow/500")),
                                               HTTPRequest(method: "GET", url: server.url("/echo"))], maxConcurrent: 2)
        let slow = try XCTUnwrap(try answers[0].get().durationMs)
        let quick = try XCTUnwrap(try answers[1].get().durationMs)
        XCTAssertGreaterThanOrEqual(slow, 500)
        XCTAssertLessThan(quick, slow, "timed each, not the batch")
    }

    func testPostSendsBodyAndHeaders() throws {
        let body = Array(#"{"key1":1,"key2":2}"#.utf8)
        let response = try CurlTransport().send(HTTPRequest(
            method: "POST", url: server.url("/echo"),
            headers: [HTTPHeader(name: "X-Custom", value: "value with spaces"), HTTPHeader(name: "Content-Type", value: "application/json")], body: body))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("x-method"), "POST")
        XCTAssertEqual(response.header("x-echo-custom"), "value with spaces")
        XCTAssertEqual(response.body, body)
    }

    func testPutSendsBinaryBody() throws {
        let body: [UInt8] = (0..<4096).map { UInt8($0 % 256) }
        let response = try CurlTransport().send(HTTPRequest(method: "PUT", url: server.url("/echo"), body: body))
        XCTAssertEqual(response.header("x-method"), "PUT")
        XCTAssertEqual(response.body, body)
    }

    /// A large body must go out at once: libcurl would otherwise send `Expect: 100-continue` and
    /// wait up to a second for a `100 Continue` the server never sends. The server saw no
    /// `Expect` header, which is what rules the wait out (no stopwatch needed).
    func testLargePostIsNotDelayedByExpectContinue() throws {
        let body = [UInt8](repeating: 0x61, count: 2 * 1024 * 1024)
        let response = try CurlTransport().send(HTTPRequest(method: "POST", url: server.url("/echo"), body: body))
        XCTAssertEqual(response.header("x-body-length"), String(body.count))
        XCTAssertEqual(response.header("x-expect"), "none")
        XCTAssertEqual(response.body.count, body.count)
    }

    func testPostWithEmptyBodyIsStillAPost() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "POST", url: server.url("/echo")))
        XCTAssertEqual(response.header("x-method"), "POST")
        XCTAssertEqual(response.header("x-body-length"), "0")
    }

    func testDeleteAndPatch() throws {
        let transport = CurlTransport()
        XCTAssertEqual(try transport.send(HTTPRequest(method: "DELETE", url: server.url("/echo"))).header("x-method"), "DELETE")
        let patch = try transport.send(HTTPRequest(method: "PATCH", url: server.url("/echo"), body: Array("p".utf8)))
        XCTAssertEqual(patch.header("x-method"), "PATCH")
        XCTAssertEqual(patch.body, Array("p".utf8))
    }

    func testHeadReturnsHeadersWithoutBody() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "HEAD", url: server.url("/echo")))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("x-method"), "HEAD")
        XCTAssertEqual(response.body, [])
    }

    /// Any HTTP status is a response, never a transport error: callers decide what 5xx means.
    func testErrorStatusesAreResponses() throws {
        let transport = CurlTransport()
        for status in [202, 400, 403, 404, 413, 500, 503] {
            let response = try transport.send(HTTPRequest(method: "GET", url: server.url("/status/\(status)")))
            XCTAssertEqual(response.status, status)
            XCTAssertEqual(response.body, Array("status \(status)".utf8))
        }
    }

    func testHeaderNamesAreLowerCasedAndValuesTrimmed() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/headers")))
        XCTAssertTrue(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
        XCTAssertTrue(response.headers.contains(HTTPHeader(name: "x-multi", value: "one")))
        XCTAssertEqual(response.header("X-SPACED"), "padded value")
        XCTAssertNil(response.header("x-absent"))
    }

    /// The Lambda loop relies on this: one TCP connection for every Runtime API call.
    func testConsecutiveRequestsReuseOneConnection() throws {
        let transport = CurlTransport()
        var ports: Set<String> = []
        for method in ["GET", "POST", "PUT", "GET", "HEAD", "POST"] {
            let response = try transport.send(HTTPRequest(method: method, url: server.url("/echo"), body: method == "PUT" ? [1, 2] : []))
            ports.insert(try XCTUnwrap(response.header("x-conn")))
        }
        XCTAssertEqual(ports.count, 1, "requests used \(ports.count) connections")
    }

    func testReconnectsAfterServerClosesConnection() throws {
        let transport = CurlTransport()
        let first = try transport.send(HTTPRequest(method: "GET", url: server.url("/close")))
        XCTAssertEqual(first.body, Array("closing".utf8))
        let second = try transport.send(HTTPRequest(method: "GET", url: server.url("/echo")))
        XCTAssertEqual(second.status, 200)
        XCTAssertNotEqual(first.header("x-conn"), second.header("x-conn"))
    }

    /// libcurl sends a request again, on a fresh connection, when a kept-alive one dies before any
    /// answer: the server may have acted on the first. A body it rewound to resend says so, and
    /// a conditional write's 412 may then be its own first attempt's (the catalog's writers must
    /// know: see `StoredWrite.conflict`).
    func testABodyResentOnAFreshConnectionIsMarkedResent() throws {
        let transport = CurlTransport()
        let opened = try transport.send(HTTPRequest(method: "GET", url: server.url("/echo")))
        let resent = try transport.send(HTTPRequest(method: "PUT", url: server.url("/drop-once/put"), body: Array("catalog".utf8)))
        XCTAssertEqual(resent.status, 412)
        XCTAssertEqual(resent.header("x-seen"), "2", "the server saw the PUT twice")
        XCTAssertNotEqual(resent.header("x-conn"), opened.header("x-conn"))
        XCTAssertTrue(resent.resent)
        let once = try transport.send(HTTPRequest(method: "PUT", url: server.url("/echo"), body: Array("catalog".utf8)))
        XCTAssertFalse(once.resent, "a body sent once on a kept-alive connection")
        XCTAssertEqual(once.header("x-conn"), resent.header("x-conn"))
    }

    func testSeparateTransportsUseSeparateConnections() throws {
        let a = try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/echo")))
        let b = try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/echo")))
        XCTAssertNotEqual(a.header("x-conn"), b.header("x-conn"))
    }

    func testRefusedPortThrowsTransportErrorWithCurlCode() throws {
        let port = try Self.unusedPort()
        let url = "http://127.0.0.1:\(port)/next"
        XCTAssertThrowsError(try CurlTransport().send(HTTPRequest(method: "GET", url: url))) { error in
            guard let error = error as? HTTPTransportError else { return XCTFail("not a transport error: \(error)") }
            XCTAssertEqual(error.code, 7)  // CURLE_COULDNT_CONNECT
            XCTAssertFalse(error.isTimeout)
            XCTAssertEqual(error.method, "GET")
            XCTAssertEqual(error.url, url)
            XCTAssertTrue(error.description.contains("curl error 7"), error.description)
        }
    }

    /// The server answers after 3 s: a send that waited for it would return, not throw 28.
    func testTimeoutThrowsTimeoutError() throws {
        XCTAssertThrowsError(try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/slow/3000"), timeoutMs: 200))) { error in
            guard let error = error as? HTTPTransportError else { return XCTFail("not a transport error: \(error)") }
            XCTAssertEqual(error.code, 28)  // CURLE_OPERATION_TIMEDOUT
            XCTAssertTrue(error.isTimeout)
        }
    }

    /// `timeoutMs: nil` is the Runtime API long poll: a slow answer is waited for.
    func testNoTimeoutWaitsForSlowAnswer() throws {
        let response = try CurlTransport().send(HTTPRequest(method: "GET", url: server.url("/slow/1200"), timeoutMs: nil))
        XCTAssertEqual(response.body, Array("slow".utf8))
    }

    func testTransportIsUsableAfterAnError() throws {
        let transport = CurlTransport()
        XCTAssertThrowsError(try transport.send(HTTPRequest(method: "GET", url: server.url("/slow/2000"), timeoutMs: 100)))
        XCTAssertEqual(try transport.send(HTTPRequest(method: "GET", url: server.url("/echo"))).status, 200)
    }

    /// A port nothing listens on: bound by us, then closed.
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ServerStartError(output: "bind failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
