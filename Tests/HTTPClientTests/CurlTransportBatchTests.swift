import Foundation
import HTTPClient
import XCTest

/// `sendAll`: concurrent on a bounded set of kept-alive connections, answers in request order.
final class CurlTransportBatchTests: XCTestCase {
    private var server: LoopbackServer!

    override func setUpWithError() throws { server = try LoopbackServer() }
    override func tearDown() { server.stop(); server = nil }

    func testResultsComeInRequestOrder() throws {
        // Slower requests first, so they finish last.
        let delays = [300, 10, 200, 0, 100, 50]
        let results = CurlTransport().sendAll(delays.map { HTTPRequest(method: "GET", url: server.url("/slow/\($0)?n=\($0)")) },
                                              maxConcurrent: 6)
        XCTAssertEqual(try results.map { try $0.get().header("x-path") }, delays.map { "/slow/\($0)?n=\($0)" })
    }

    /// Eight requests four at a time: the server holds each answer until four are waiting at
    /// once (two groups of four), so the batch completes only if four really are in flight
    /// together; a client that sent fewer at a time would get the server's 504 after 30 s. The
    /// server sees four at once, never more, on at most four connections. No clock involved.
    func testRunsUpToMaxConcurrentAtOnce() throws {
        let transport = CurlTransport()
        let results = transport.sendAll((0..<8).map { HTTPRequest(method: "GET", url: server.url("/barrier/4?i=\($0)")) },
                                        maxConcurrent: 4)
        XCTAssertEqual(try results.map { try $0.get().status }, Array(repeating: 200, count: 8))
        XCTAssertEqual(try results.map { try $0.get().body }, Array(repeating: Array("released".utf8), count: 8))
        let stats = try server.stats()
        XCTAssertEqual(stats.maxInFlight, 4, "requests answered at once")
        XCTAssertLessThanOrEqual(stats.connections, 4)
    }

    /// A thousand requests do not open a thousand connections: at most `maxConcurrent`, kept
    /// alive and reused, and the next batch and single requests reuse them again.
    func testThousandRequestsStayOnTheBoundedPool() throws {
        let transport = CurlTransport()
        let requests = (0..<1_000).map { HTTPRequest(method: $0 % 3 == 0 ? "PUT" : "GET", url: server.url("/echo?i=\($0)"),
                                                     body: $0 % 3 == 0 ? Array("body \($0)".utf8) : []) }
        let results = transport.sendAll(requests, maxConcurrent: 4)
        for (i, result) in results.enumerated() {
            let response = try result.get()
            XCTAssertEqual(response.header("x-path"), "/echo?i=\(i)")
            XCTAssertEqual(response.body, i % 3 == 0 ? Array("body \(i)".utf8) : [])
        }
        var ports = Set(results.compactMap { try? $0.get().header("x-conn") })
        XCTAssertLessThanOrEqual(ports.count, 4)

        let again = transport.sendAll((0..<20).map { HTTPRequest(method: "GET", url: server.url("/echo?again=\($0)")) }, maxConcurrent: 2)
        ports.formUnion(again.compactMap { try? $0.get().header("x-conn") })
        ports.insert(try XCTUnwrap(try transport.send(HTTPRequest(method: "GET", url: server.url("/echo"))).header("x-conn")))
        XCTAssertLessThanOrEqual(ports.count, 4, "later batches and single requests reuse the pool's connections")
        let stats = try server.stats()
        XCTAssertLessThanOrEqual(stats.connections, 4, "connections accepted by the server")
        XCTAssertLessThanOrEqual(stats.maxInFlight, 4)
    }

    func testOneFailureDoesNotStopTheOthers() throws {
        let requests = [
            HTTPRequest(method: "GET", url: server.url("/status/503")),
            HTTPRequest(method: "GET", url: server.url("/slow/2000"), timeoutMs: 100),
            HTTPRequest(method: "GET", url: "http://127.0.0.1:\(try CurlTransportTests.unusedPort())/x"),
            HTTPRequest(method: "POST", url: server.url("/echo"), body: [1, 2, 3]),
        ]
        let results = CurlTransport().sendAll(requests, maxConcurrent: 2)
        XCTAssertEqual(try results[0].get().status, 503)
        XCTAssertThrowsError(try results[1].get()) { XCTAssertEqual(($0 as? HTTPTransportError)?.isTimeout, true) }
        XCTAssertThrowsError(try results[2].get()) { XCTAssertEqual(($0 as? HTTPTransportError)?.code, 7) }
        XCTAssertEqual(try results[3].get().body, [1, 2, 3])
    }

    func testEmptyBatchAndNonPositiveWidth() throws {
        let transport = CurlTransport()
        XCTAssertTrue(transport.sendAll([], maxConcurrent: 4).isEmpty)
        let results = transport.sendAll((0..<3).map { HTTPRequest(method: "GET", url: server.url("/echo?\($0)")) }, maxConcurrent: 0)
        XCTAssertEqual(try results.map { try $0.get().header("x-path") }, ["/echo?0", "/echo?1", "/echo?2"])
    }

    /// A started request stays in flight while a batch runs beside it: the server holds each of
    /// two `/barrier/2` requests until both are waiting, so the batch's request is answered only
    /// if the started one is still in flight with it (sent at once, it would wait 30 s for a
    /// partner and get the server's 504). No clock involved.
    func testStartedRequestStaysInFlightWhileBatchesRun() throws {
        let transport = CurlTransport()
        let started = transport.start(HTTPRequest(method: "GET", url: server.url("/barrier/2?started")))
        let batch = transport.sendAll([HTTPRequest(method: "GET", url: server.url("/barrier/2?batch"))], maxConcurrent: 4)
        XCTAssertEqual(try batch[0].get().body, Array("released".utf8))
        let answer = try transport.finish(started).get()
        XCTAssertEqual(answer.body, Array("released".utf8))
        XCTAssertEqual(answer.header("x-path"), "/barrier/2?started")

        // One answered while other requests ran is kept until it is asked for.
        let early = transport.start(HTTPRequest(method: "GET", url: server.url("/echo?early")))
        XCTAssertEqual(try transport.send(HTTPRequest(method: "GET", url: server.url("/slow/100"))).body, Array("slow".utf8))
        let late = transport.start(HTTPRequest(method: "POST", url: server.url("/echo?late"), body: [7]))
        XCTAssertEqual(try transport.finish(late).get().body, [7])
        XCTAssertEqual(try transport.finish(early).get().header("x-path"), "/echo?early")
        XCTAssertLessThanOrEqual(try server.stats().connections, 2, "started requests use the pool's kept-alive connections")
        XCTAssertThrowsError(try transport.finish(early).get(), "finished once only")
    }

    /// A follow-up (`start(_:then:)`) is sent the moment the first answer lands, while the
    /// caller runs a batch, without the caller finishing the first: the follow-up meets the
    /// batch's request at a `/barrier/2` (sent only after the batch, it would leave that
    /// request waiting 30 s for a partner and get the server's 504). Made of the first answer.
    func testAFollowUpIsSentTheMomentTheFirstAnswerLands() throws {
        let transport = CurlTransport()
        let (first, next) = transport.start(HTTPRequest(method: "GET", url: server.url("/echo?first"))) { [server] answer in
            (try? answer.get()).flatMap { $0.header("x-path") }.map { HTTPRequest(method: "GET", url: server!.url("/barrier/2?after=" + $0)) }
        }
        let batch = transport.sendAll([HTTPRequest(method: "GET", url: server.url("/barrier/2?batch"))], maxConcurrent: 4)
        XCTAssertEqual(try batch[0].get().body, Array("released".utf8))
        let followed = try transport.finish(next).get()
        XCTAssertEqual(followed.body, Array("released".utf8))
        XCTAssertEqual(followed.header("x-path"), "/barrier/2?after=/echo?first")
        XCTAssertEqual(try transport.finish(first).get().header("x-path"), "/echo?first", "the first answer is kept too")

        // None asked for: its finish says it was not sent, and a finish waits for the first.
        let (again, none) = transport.start(HTTPRequest(method: "GET", url: server.url("/slow/50"))) { _ in nil }
        guard case .failure(let error) = transport.finish(none) else { return XCTFail("a follow-up nobody asked for was sent") }
        XCTAssertEqual(error.code, HTTPTransportError.notSentCode)
        XCTAssertEqual(try transport.finish(again).get().body, Array("slow".utf8))
    }

    /// `start(_:then:)` returns at once: its first request meets, at a `/barrier/2`, a request
    /// the caller sends only after it returned (a start that waited for its first answer would
    /// leave both to the server's 504, 30 s each).
    func testStartingWithAFollowUpDoesNotWaitForTheFirstAnswer() throws {
        let transport = CurlTransport()
        let (first, next) = transport.start(HTTPRequest(method: "GET", url: server.url("/barrier/2?first"))) { [server] _ in
            HTTPRequest(method: "GET", url: server!.url("/echo?next"))
        }
        let partner = transport.sendAll([HTTPRequest(method: "GET", url: server.url("/barrier/2?partner"))], maxConcurrent: 4)
        XCTAssertEqual(try partner[0].get().body, Array("released".utf8))
        XCTAssertEqual(try transport.finish(first).get().body, Array("released".utf8))
        XCTAssertEqual(try transport.finish(next).get().header("x-path"), "/echo?next")
    }

    /// Transports that only know `send` (scripted ones in tests) get a sequential `sendAll`.
    func testDefaultSendAllIsSequentialAndInOrder() {
        final class Counting: HTTPTransport {
            var seen: [String] = []
            func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
                seen.append(request.url)
                if request.url == "fail" { throw HTTPTransportError(code: 7, message: "no", method: "GET", url: "fail") }
                return HTTPResponse(status: 200, body: Array(request.url.utf8))
            }
        }
        let transport = Counting()
        let results = transport.sendAll(["a", "fail", "c"].map { HTTPRequest(method: "GET", url: $0) }, maxConcurrent: 8)
        XCTAssertEqual(transport.seen, ["a", "fail", "c"])
        XCTAssertEqual(try results[0].get().body, Array("a".utf8))
        XCTAssertThrowsError(try results[1].get())
        XCTAssertEqual(try results[2].get().body, Array("c".utf8))
        let started = transport.start(HTTPRequest(method: "GET", url: "d"))
        XCTAssertEqual(transport.seen.last, "d", "sent at once")
        XCTAssertEqual(try transport.finish(started).get().body, Array("d".utf8))
        let (first, next) = transport.start(HTTPRequest(method: "GET", url: "e")) { answer in
            HTTPRequest(method: "GET", url: "after-" + String(decoding: (try? answer.get().body) ?? [], as: UTF8.self))
        }
        XCTAssertEqual(transport.seen.suffix(2), ["e", "after-e"], "both sent at once, in order")
        XCTAssertEqual(try transport.finish(first).get().body, Array("e".utf8))
        XCTAssertEqual(try transport.finish(next).get().body, Array("after-e".utf8))
    }
}
