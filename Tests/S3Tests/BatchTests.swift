import Basics
import HTTPClient
import XCTest
import TestSupport
@testable import SigV4
@testable import S3

/// Batch operations: per-key results in key order, one key's permanent error isolated, retryable
/// failures resent in rounds with the client's backoff and deadline. Answers are scripted and time
/// is fake; `RoundTransport` records each `sendAll` round to show the batch is sent as one.
final class BatchTests: XCTestCase {
    /// Answers from a script in request order, like `ScriptedTransport`, and records every round.
    final class RoundTransport: HTTPTransport {
        let stub: ScriptedTransport
        private(set) var rounds: [(urls: [String], maxConcurrent: Int, timeoutMs: Int?)] = []
        init(_ answers: [ScriptedTransport.Reply]) { stub = ScriptedTransport(answers) }
        var requests: [HTTPRequest] { stub.requests }

        func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
            rounds.append(([request.url], 1, request.timeoutMs))
            return try stub.send(request)
        }

        func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
            rounds.append((requests.map(\.url), maxConcurrent, requests.first?.timeoutMs))
            return stub.sendAll(requests, maxConcurrent: maxConcurrent)
        }
    }

    func client(_ transport: HTTPTransport, time: FakeTime, deadline: Int64? = nil) -> S3Client {
        let client = S3Client(configuration: S3Configuration(region: "us-east-1",
                                                             credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, hooks: time.hooks())
        client.deadline = deadline.map(Deadline.init(epochMilliseconds:))
        client.maxConcurrentRequests = 3
        return client
    }

    /// The first `bytes` bytes of each key: ranged reads from byte 0.
    func heads(_ keys: [String], bytes: Int) -> [S3Client.RangeGet] {
        keys.map { S3Client.RangeGet(key: $0, range: S3ByteRange(first: 0, last: Int64(bytes - 1))) }
    }

    static func partial(_ body: String, total: Int, etag: String) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: 206, headers: [
            HTTPHeader(name: "ETag", value: etag),
            HTTPHeader(name: "Content-Length", value: String(body.utf8.count)),
            HTTPHeader(name: "Content-Range", value: "bytes 0-\(body.utf8.count - 1)/\(total)"),
        ], body: Array(body.utf8)))
    }

    static func error(_ status: Int, _ code: String) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: status, body: Array(s3ErrorXML(code).utf8)))
    }

    func testHeadsComeInKeyOrderFromOneRangedRound() throws {
        let transport = RoundTransport([Self.partial("aaaa", total: 100, etag: "\"A\""),
                                        Self.partial("bb", total: 2, etag: "\"B\""),
                                        Self.partial("cccc", total: 9, etag: "\"C\"")])
        let results = client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: heads(["k1", "k/2", "k3"], bytes: 4))
        let objects = try results.map { try XCTUnwrap(try $0.get().object) }
        XCTAssertEqual(objects.map(\.body), [Array("aaaa".utf8), Array("bb".utf8), Array("cccc".utf8)])
        XCTAssertEqual(objects.map(\.etag), ["\"A\"", "\"B\"", "\"C\""])
        XCTAssertEqual(objects.map(\.totalSize), [100, 2, 9])
        XCTAssertEqual(transport.rounds.count, 1, "one batch, not one send per key")
        XCTAssertEqual(transport.rounds[0].urls, ["http://127.0.0.1:9/b/k1", "http://127.0.0.1:9/b/k/2", "http://127.0.0.1:9/b/k3"])
        XCTAssertEqual(transport.rounds[0].maxConcurrent, 3)
        XCTAssertEqual(transport.requests.map { $0.headers.first { $0.name == "Range" }?.value }, Array(repeating: "bytes=0-3", count: 3))
        XCTAssertTrue(transport.requests.allSatisfy { $0.headers.contains { $0.name == "Authorization" } })
    }

    /// A completion and the small object written beside it (a big catalog's index) go in one
    /// round, each with its own outcome: a completion lost to another writer does not hide that
    /// the companion was written, nor the reverse.
    func testACompletionAndItsCompanionGoInOneRound() throws {
        let completed = #"<CompleteMultipartUploadResult><ETag>"9a-3"</ETag></CompleteMultipartUploadResult>"#
        let transport = RoundTransport([
            .response(HTTPResponse(status: 200, body: Array(completed.utf8))),
            .response(HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"ix\"")])),
            Self.error(412, "PreconditionFailed"),
            Self.error(403, "AccessDenied"),
        ])
        let s3 = client(transport, time: FakeTime())
        let won = s3.completeMultipartUpload(bucket: "b", key: "images.json", uploadID: "u1", partETags: ["\"p1\""],
                                             condition: .ifMatch("\"v1\""), putting: "images.json.index/9a-3",
                                             body: Array("{}".utf8), contentType: "application/json")
        XCTAssertEqual(try won.completed.get(), "\"9a-3\"")
        XCTAssertEqual(try won.put.get().etag, "\"ix\"")
        XCTAssertEqual(transport.rounds.count, 1, "one round trip for both")
        XCTAssertEqual(transport.rounds[0].urls, ["http://127.0.0.1:9/b/images.json?uploadId=u1",
                                                  "http://127.0.0.1:9/b/images.json.index/9a-3"])
        XCTAssertEqual(transport.requests[0].headers.first { $0.name == "If-Match" }?.value, "\"v1\"")
        XCTAssertNil(transport.requests[1].headers.first { $0.name.hasPrefix("If-") }, "the companion is unconditional")

        let lost = s3.completeMultipartUpload(bucket: "b", key: "images.json", uploadID: "u2", partETags: ["\"p1\""],
                                              condition: .ifMatch("\"v1\""), putting: "images.json.index/9b-3",
                                              body: Array("{}".utf8), contentType: "application/json")
        guard case .failure(let completion) = lost.completed, case .failure(let put) = lost.put else { return XCTFail("\(lost)") }
        XCTAssertTrue(completion.isConditionalWriteLost)
        XCTAssertEqual(put.code, "AccessDenied")
        XCTAssertEqual(put.key, "images.json.index/9b-3", "each error names its own key")
    }

    /// Reads and the creation of an upload go in one round, each with its own outcome.
    func testReadsAndAnUploadsCreationGoInOneRound() throws {
        let created = #"<InitiateMultipartUploadResult><UploadId>u-7</UploadId></InitiateMultipartUploadResult>"#
        let transport = RoundTransport([Self.partial("[\n{", total: 100, etag: "\"A\""), Self.error(412, "PreconditionFailed"),
                                        .response(HTTPResponse(status: 200, body: Array(created.utf8)))])
        let (reads, upload) = client(transport, time: FakeTime()).getObjectRanges(
            bucket: "b", reads: [S3Client.RangeGet(key: "images.json", range: S3ByteRange(first: 0, last: 2), ifMatch: "\"A\""),
                                 S3Client.RangeGet(key: "images.json", range: S3ByteRange(first: 50, last: 60), ifMatch: "\"A\"")],
            creatingUploadOf: "images.json", contentType: "application/json")
        XCTAssertEqual(try reads[0].get().object?.body, Array("[\n{".utf8))
        guard case .failure(let stale) = reads[1] else { return XCTFail("\(reads[1])") }
        XCTAssertTrue(stale.isPreconditionFailed)
        XCTAssertEqual(try upload.get(), "u-7")
        XCTAssertEqual(transport.rounds.count, 1, "one round trip for all three")
        XCTAssertEqual(transport.rounds[0].urls.last, "http://127.0.0.1:9/b/images.json?uploads=")
    }

    /// 404 is "missing", 416 "empty", 403 that key's error; a 503 is resent alone and succeeds.
    func testEachKeyGetsItsOwnOutcome() throws {
        let transport = RoundTransport([
            Self.partial("a", total: 1, etag: "\"A\""),
            Self.error(404, "NoSuchKey"),
            Self.error(403, "AccessDenied"),
            Self.error(503, "SlowDown"),
            Self.error(416, "InvalidRange"),
            .failure(HTTPTransportError(code: 56, message: "reset", method: "GET", url: "u")),
            // round 2: the two retryable ones, in key order
            Self.partial("d", total: 5, etag: "\"D\""),
            Self.partial("f", total: 6, etag: "\"F\""),
        ])
        let time = FakeTime()
        let keys = ["a", "gone", "denied", "slow", "empty", "reset"]
        let results = client(transport, time: time).getObjectRanges(bucket: "b", reads: heads(keys, bytes: 16))
        XCTAssertEqual(try results[0].get().object?.body, Array("a".utf8))
        XCTAssertEqual(try results[1].get(), .missing)
        XCTAssertThrowsError(try results[2].get()) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.status, 403)
            XCTAssertEqual(error.code, "AccessDenied")
            XCTAssertEqual(error.key, "denied")
            XCTAssertEqual(error.attempts, 1, "a 403 is not resent")
        }
        XCTAssertEqual(try results[3].get().object?.body, Array("d".utf8))
        XCTAssertEqual(try results[4].get(), .empty)
        XCTAssertEqual(try results[5].get().object?.etag, "\"F\"")
        XCTAssertEqual(transport.rounds.map(\.urls.count), [6, 2])
        XCTAssertEqual(transport.rounds[1].urls, ["http://127.0.0.1:9/b/slow", "http://127.0.0.1:9/b/reset"])
        XCTAssertEqual(time.sleeps, [25], "one backoff sleep per round, not per key")
    }

    func testMissingBucketIsAnErrorNotAMissingKey() {
        let transport = RoundTransport([Self.error(404, "NoSuchBucket")])
        let results = client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: heads(["k"], bytes: 4))
        XCTAssertThrowsError(try results[0].get()) { XCTAssertTrue(($0 as! S3Error).isNoSuchBucket) }
    }

    func testHeadObjectsMapNotFoundToNilAndRetry() throws {
        let ok = ScriptedTransport.Reply.response(HTTPResponse(status: 200, headers: [
            HTTPHeader(name: "ETag", value: "\"E\""), HTTPHeader(name: "Content-Length", value: "42")]))
        let transport = RoundTransport([ok, .response(HTTPResponse(status: 404)), .response(HTTPResponse(status: 500)),
                                        .response(HTTPResponse(status: 403)), ok])
        let results = client(transport, time: FakeTime()).headObjects(bucket: "b", keys: ["x", "y", "z", "w"])
        XCTAssertEqual(try results[0].get()?.totalSize, 42)
        XCTAssertNil(try results[1].get())
        XCTAssertEqual(try results[2].get()?.etag, "\"E\"")
        XCTAssertThrowsError(try results[3].get()) { XCTAssertEqual(($0 as! S3Error).code, "Forbidden") }
        XCTAssertEqual(transport.requests.map(\.method), Array(repeating: "HEAD", count: 5))
        XCTAssertEqual(transport.rounds.map(\.urls.count), [4, 1])
    }

    /// Retries stop when the next round's sleep would end past the deadline's margin: the keys
    /// still failing keep their last error, the finished ones keep their answers.
    func testRetriesStopAtTheDeadline() throws {
        let time = FakeTime(nowMs: 1_000_000)
        let slow = Self.error(503, "SlowDown")
        let transport = RoundTransport([Self.partial("a", total: 1, etag: "\"A\""), slow, slow, slow, slow])
        // margin 250: round 1 sleeps 25 (ok: 1_000_025 < 1_000_270), round 2 would sleep 50 past it.
        let results = client(transport, time: time, deadline: 1_000_000 + 250 + 70)
            .getObjectRanges(bucket: "b", reads: heads(["a", "s1", "s2"], bytes: 4))
        XCTAssertEqual(try results[0].get().object?.body, Array("a".utf8))
        for result in results[1...] {
            XCTAssertThrowsError(try result.get()) { error in
                let error = error as! S3Error
                XCTAssertEqual(error.code, "SlowDown")
                XCTAssertEqual(error.attempts, 2)
            }
        }
        XCTAssertEqual(time.sleeps, [25])
        XCTAssertEqual(transport.rounds.map(\.urls.count), [3, 2])
        XCTAssertEqual(transport.rounds.map(\.timeoutMs), [70, 45], "each round's timeout fits the time left")
    }

    func testNothingIsSentPastTheDeadline() {
        let time = FakeTime(nowMs: 1_000_000)
        let transport = RoundTransport([])
        let results = client(transport, time: time, deadline: 1_000_100).headObjects(bucket: "b", keys: ["a", "b"])
        XCTAssertTrue(transport.rounds.isEmpty)
        for (result, key) in zip(results, ["a", "b"]) {
            XCTAssertThrowsError(try result.get()) { error in
                let error = error as! S3Error
                XCTAssertEqual(error.kind, .deadlineExceeded)
                XCTAssertEqual(error.key, key)
                XCTAssertEqual(error.attempts, 0)
            }
        }
    }

    func testAttemptLimitAppliesPerKey() {
        let transport = RoundTransport(Array(repeating: Self.error(500, "InternalError"), count: 8))
        let time = FakeTime()
        let results = client(transport, time: time).headObjects(bucket: "b", keys: ["k"])
        XCTAssertThrowsError(try results[0].get()) { XCTAssertEqual(($0 as! S3Error).attempts, 8) }
        XCTAssertEqual(transport.rounds.count, 8)
        XCTAssertEqual(time.sleeps, [25, 50, 100, 200, 400, 800, 1600])
    }

    func testEmptyBatchSendsNothing() {
        let transport = RoundTransport([])
        XCTAssertTrue(client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: heads([], bytes: 4)).isEmpty)
        XCTAssertTrue(transport.rounds.isEmpty)
    }

    /// The bytes of a ranged read are the ones asked for: a server that ignores the range (a
    /// whole object, 200) or answers another range is refused, not read at the wrong offset; a
    /// range that starts at byte 0 may come back whole when the object is no longer than it.
    /// Each read bounds the body it takes (room left for an error's).
    func testARangedReadGetsTheBytesItAskedFor() throws {
        let whole = Array(repeating: UInt8(ascii: "x"), count: 30)
        func answer(_ status: Int, _ range: String?, _ body: [UInt8]) -> ScriptedTransport.Reply {
            .response(HTTPResponse(status: status, headers: [HTTPHeader(name: "ETag", value: "\"E\"")]
                + (range.map { [HTTPHeader(name: "Content-Range", value: $0)] } ?? []), body: body))
        }
        let transport = RoundTransport([
            answer(200, nil, whole),                                 // range ignored, not from byte 0
            answer(206, "bytes 0-9/30", Array(whole[0..<10])),       // another range
            answer(206, "bytes 10-19/30", Array(whole[10..<30])),    // more than asked
            answer(206, "bytes 10-19/30", Array(whole[10..<20])),    // right
            answer(200, nil, Array(whole[0..<8])),                   // whole, within the range from 0
        ])
        let reads = [S3Client.RangeGet(key: "a", range: S3ByteRange(first: 10, last: 19)),
                     S3Client.RangeGet(key: "b", range: S3ByteRange(first: 10, last: 19)),
                     S3Client.RangeGet(key: "c", range: S3ByteRange(first: 10, last: 19)),
                     S3Client.RangeGet(key: "d", range: S3ByteRange(first: 10, last: 19)),
                     S3Client.RangeGet(key: "e", range: S3ByteRange(first: 0, last: 9))]
        let results = client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: reads)
        for (i, key) in ["a", "b", "c"].enumerated() {
            XCTAssertThrowsError(try results[i].get(), key) { error in
                guard case .invalidResponse = (error as? S3Error)?.kind else { return XCTFail("\(error)") }
                XCTAssertTrue("\(error)".contains("s3://b/\(key)"), "\(error)")
            }
        }
        XCTAssertEqual(try results[3].get().object?.body, Array(whole[10..<20]))
        XCTAssertEqual(try results[4].get().object?.body, Array(whole[0..<8]))
        XCTAssertEqual(transport.requests.map(\.maxBodyBytes), Array(repeating: 64 * 1024, count: 5))
        let big = RoundTransport([answer(206, "bytes 0-99999/200000", [])])
        _ = client(big, time: FakeTime()).getObjectRanges(bucket: "b", reads: [S3Client.RangeGet(key: "k", range: S3ByteRange(first: 0, last: 99_999))])
        XCTAssertEqual(big.requests.map(\.maxBodyBytes), [100_000])
    }

    /// A body over the transport's limit is the key's error, at once: resending cannot help.
    /// For a ranged read it is the server ignoring the range with an object bigger than the read's
    /// limit: an invalid answer for that key (which skips it), not a transport failure (which
    /// would fail its bucket on every delivery).
    func testBodyTooLargeIsNotRetried() {
        let transport = RoundTransport([.failure(HTTPTransportError(code: 63, message: "too large", method: "GET", url: "u"))])
        let results = client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: heads(["k"], bytes: 4))
        XCTAssertEqual(transport.requests.count, 1, "not retried")
        XCTAssertThrowsError(try results[0].get()) { error in
            guard case .invalidResponse(_, let reason) = (error as? S3Error)?.kind else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "asked for bytes=0-3, got a longer body (the server ignores Range)")
            XCTAssertTrue("\(error)".contains("s3://b/k"), "\(error)")
        }
    }

    /// Dot segments are part of the key: signed and sent as they are (the transport keeps them).
    func testDotSegmentKeysAreSentAsSigned() throws {
        let transport = RoundTransport([Self.partial("x", total: 1, etag: "\"X\""), Self.partial("y", total: 1, etag: "\"Y\"")])
        let results = client(transport, time: FakeTime()).getObjectRanges(bucket: "b", reads: heads(["images/./a.png", "../x"], bytes: 4))
        XCTAssertEqual(results.count, 2)
        XCTAssertEqual(transport.requests.map(\.url), ["http://127.0.0.1:9/b/images/./a.png", "http://127.0.0.1:9/b/../x"])
    }
}
