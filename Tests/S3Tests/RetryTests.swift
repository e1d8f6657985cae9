import Basics
import HTTPClient
import XCTest
import TestSupport
@testable import SigV4
@testable import S3

/// The client's retry loop: capped exponential backoff with full jitter, attempt limit, deadline
/// stop, and the statuses that must never be retried. Time is fake: nothing sleeps.
final class RetryTests: XCTestCase {
    func client(_ transport: HTTPTransport, time: FakeTime, policy: S3RetryPolicy = .standard,
                deadline: Int64? = nil) -> S3Client {
        let client = S3Client(configuration: S3Configuration(region: "us-east-1",
                                                             credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, retryPolicy: policy, hooks: time.hooks())
        client.deadline = deadline.map(Deadline.init(epochMilliseconds:))
        return client
    }

    func testBackoffCeilingsDoubleFromBaseAndCap() {
        let policy = S3RetryPolicy(maxAttempts: 10, baseDelayMs: 25, maxDelayMs: 2_000)
        XCTAssertEqual((1...9).map(policy.backoffCeiling(afterAttempt:)), [25, 50, 100, 200, 400, 800, 1600, 2000, 2000])
        XCTAssertEqual(policy.backoffCeiling(afterAttempt: 200), 2000, "no overflow for large attempt numbers")
    }

    func testRetriesWithFullJitterUntilSuccess() throws {
        let transport = ScriptedTransport(statuses: [503, 500, 200], body: "")
        let time = FakeTime()
        time.jitter = { $0 / 2 }
        let result = try client(transport, time: time).getObject(bucket: "b", key: "k")
        XCTAssertEqual(result.object?.status, 200)
        XCTAssertEqual(transport.requests.count, 3)
        XCTAssertEqual(time.jitterCeilings, [25, 50], "the jitter is drawn in 0...ceiling")
        XCTAssertEqual(time.sleeps, [12, 25])
    }

    func testEachRetryIsSignedAgainWithTheCurrentTime() throws {
        let transport = ScriptedTransport(statuses: [503, 200])
        var clock: Int64 = 1_440_938_160
        let time = FakeTime()
        let client = S3Client(configuration: S3Configuration(region: "us-east-1",
                                                             credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK")),
                              transport: transport,
                              hooks: time.hooks(signingClock: { defer { clock += 1 }; return clock }))
        _ = try client.getObject(bucket: "bucket", key: "k")
        let dates = transport.requests.map { $0.headers.first { $0.name == "X-Amz-Date" }!.value }
        XCTAssertEqual(dates, ["20150830T123600Z", "20150830T123601Z"])
    }

    /// A part that follows an upload's creation (`startCreatingUpload`) is not sent with a 503:
    /// it goes once the retry has created the upload, into that upload, once.
    func testAPartFollowingARetriedCreationIsSentIntoTheUploadTheRetryCreated() throws {
        let created = "<InitiateMultipartUploadResult><UploadId>u-2</UploadId></InitiateMultipartUploadResult>"
        let transport = ScriptedTransport([.response(HTTPResponse(status: 503, body: Array(s3ErrorXML("SlowDown").utf8))),
                                           ScriptedTransport.status(200, created),
                                           ScriptedTransport.status(200, headers: [HTTPHeader(name: "ETag", value: "\"p\"")])])
        let client = client(transport, time: FakeTime())
        let started = client.startCreatingUpload(bucket: "b", key: "k", contentType: "application/json",
                                                 thenPart: S3Client.Part(number: 1, source: .bytes([1])))
        XCTAssertEqual(transport.requests.count, 1, "no part after a 503")
        let (id, part) = try client.finishCreatingUpload(started).get()
        XCTAssertEqual(id, "u-2")
        XCTAssertEqual(try client.finishUploadPart(part).get(), "\"p\"")
        XCTAssertEqual(transport.requests.map(\.method), ["POST", "POST", "PUT"])
        XCTAssertTrue(transport.requests[2].url.hasSuffix("partNumber=1&uploadId=u-2"), transport.requests[2].url)
    }

    /// On a transport that sends the follow-up only when the creation's answer lands (as
    /// `CurlTransport` does, inside a later call): the copy is sent once, into the upload the
    /// answer names, and collected as it was sent; a 200 without an upload id sends none.
    func testAPartFollowingACreationThatLandsLaterIsSentOnceIntoItsUpload() throws {
        let created = "<InitiateMultipartUploadResult><UploadId>u-7</UploadId></InitiateMultipartUploadResult>"
        let transport = ScriptedTransport([ScriptedTransport.status(200, created),
                                           ScriptedTransport.status(200, headers: [HTTPHeader(name: "ETag", value: "\"p\"")]),
                                           ScriptedTransport.status(200, "<InitiateMultipartUploadResult/>")])
        transport.keepsStartedInFlight = true
        let client = client(transport, time: FakeTime())
        let part = S3Client.Part(number: 1, source: .bytes([1]))
        let started = client.startCreatingUpload(bucket: "b", key: "k", contentType: "application/json", thenPart: part)
        XCTAssertEqual(transport.requests.count, 1, "the part waits for the upload's id")
        let (id, copy) = try client.finishCreatingUpload(started).get()
        XCTAssertEqual(id, "u-7")
        XCTAssertEqual(transport.requests.count, 2, "sent when the creation landed, once: \(transport.events)")
        XCTAssertTrue(transport.requests[1].url.hasSuffix("partNumber=1&uploadId=u-7"), transport.requests[1].url)
        XCTAssertEqual(try client.finishUploadPart(copy).get(), "\"p\"")
        XCTAssertEqual(transport.requests.count, 2, "collected, not sent again")

        let invalid = client.startCreatingUpload(bucket: "b", key: "k", contentType: "application/json", thenPart: part)
        guard case .failure(let error) = client.finishCreatingUpload(invalid) else { return XCTFail("an upload without an id") }
        XCTAssertEqual(transport.requests.count, 3, "no part without an upload id: \(error)")
    }

    /// An abort whose answer was lost is retried, and the retry finds no such upload: the abort
    /// is done. It threw, and a writer taking its turn took its upload for one still there.
    func testAnAbortRetriedAfterItLandedSucceeds() throws {
        let transport = ScriptedTransport([
            .failure(HTTPTransportError(code: 28, message: "Timeout was reached", method: "DELETE", url: "http://x")),
            .response(HTTPResponse(status: 404, body: Array(s3ErrorXML("NoSuchUpload").utf8))),
        ])
        XCTAssertNoThrow(try client(transport, time: FakeTime()).abortMultipartUpload(bucket: "b", key: "k", uploadID: "u"))
        XCTAssertEqual(transport.requests.count, 2)
        let other = ScriptedTransport([.response(HTTPResponse(status: 404, body: Array(s3ErrorXML("NoSuchBucket").utf8)))])
        XCTAssertThrowsError(try client(other, time: FakeTime()).abortMultipartUpload(bucket: "b", key: "k", uploadID: "u"))
    }

    func testGivesUpAfterMaxAttemptsWithTheLastError() {
        let transport = ScriptedTransport(Array(repeating: .response(HTTPResponse(status: 503, body: Array(s3ErrorXML("SlowDown").utf8))), count: 8)
            + [.response(HTTPResponse(status: 200))])
        let time = FakeTime()
        XCTAssertThrowsError(try client(transport, time: time).getObject(bucket: "b", key: "k")) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.code, "SlowDown")
            XCTAssertEqual(error.attempts, 8)
        }
        XCTAssertEqual(transport.requests.count, 8)
        XCTAssertEqual(time.sleeps, [25, 50, 100, 200, 400, 800, 1600])
    }

    func testStopsEarlyWhenTheNextSleepWouldCrossTheDeadline() {
        let transport = ScriptedTransport(statuses: Array(repeating: 503, count: 8))
        let time = FakeTime(nowMs: 0)
        // deadline 400 - margin 250 = 150: sleeps 25 (t=25) and 50 (t=75) fit; 100 (t=175) does not.
        XCTAssertThrowsError(try client(transport, time: time, deadline: 400).getObject(bucket: "b", key: "k")) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.status, 503)
            XCTAssertEqual(error.attempts, 3)
        }
        XCTAssertEqual(transport.requests.count, 3)
        XCTAssertEqual(time.sleeps, [25, 50])
        XCTAssertLessThanOrEqual(time.nowMs, 150)
    }

    func testRequestTimeoutIsShortenedToTheDeadline() throws {
        let transport = ScriptedTransport(statuses: [200])
        let time = FakeTime(nowMs: 10_000)
        _ = try client(transport, time: time, deadline: 11_250).getObject(bucket: "b", key: "k")
        XCTAssertEqual(transport.requests[0].timeoutMs, 1_000, "deadline - margin - now")

        let relaxed = ScriptedTransport(statuses: [200])
        _ = try client(relaxed, time: FakeTime(nowMs: 0), deadline: 1_000_000).getObject(bucket: "b", key: "k")
        XCTAssertEqual(relaxed.requests[0].timeoutMs, 30_000, "the client's own request timeout")
    }

    func testNothingIsSentWhenTheDeadlineHasPassed() {
        let transport = ScriptedTransport(statuses: [200])
        let time = FakeTime(nowMs: 10_000)
        XCTAssertThrowsError(try client(transport, time: time, deadline: 10_100).getObject(bucket: "b", key: "k")) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.kind, .deadlineExceeded)
            XCTAssertFalse(error.isRetryable)
            XCTAssertTrue(error.description.contains("GetObject s3://b/k"), error.description)
        }
        XCTAssertEqual(transport.requests.count, 0)
    }

    func testNeverRetries403404409412() {
        for (status, code) in [(403, "AccessDenied"), (404, "NoSuchKey"), (409, "ConditionalRequestConflict"),
                               (412, "PreconditionFailed"), (403, "SlowDown")] {
            let transport = ScriptedTransport([.response(HTTPResponse(status: status, body: Array(s3ErrorXML(code).utf8))),
                                           .response(HTTPResponse(status: 200))])
            let time = FakeTime()
            XCTAssertThrowsError(try client(transport, time: time).getObject(bucket: "b", key: "k"), "\(status)") { error in
                XCTAssertEqual((error as! S3Error).status, status)
            }
            XCTAssertEqual(transport.requests.count, 1, "\(status) \(code) must not be retried")
            XCTAssertEqual(time.sleeps, [])
        }
    }

    /// An error counts every request sent, libcurl's own resends on a fresh connection too.
    func testAttemptsCountTheRequestsLibcurlResent() {
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 503, body: Array(s3ErrorXML("SlowDown").utf8), resent: true)),
            .response(HTTPResponse(status: 412, body: Array(s3ErrorXML("PreconditionFailed").utf8), resent: true)),
        ])
        XCTAssertThrowsError(try client(transport, time: FakeTime()).putObject(bucket: "b", key: "k", body: [1], condition: .ifMatch("e"))) { error in
            XCTAssertEqual((error as! S3Error).attempts, 4)
            XCTAssertTrue("\(error)".contains("after 4 attempts"), "\(error)")
        }
        XCTAssertEqual(transport.requests.count, 2)
    }

    func testTransportFailuresAreRetried() throws {
        let transport = ScriptedTransport([
            .failure(HTTPTransportError(code: 7, message: "Couldn't connect to server", method: "GET", url: "http://x")),
            .failure(HTTPTransportError(code: 28, message: "Timeout was reached", method: "GET", url: "http://x")),
            .response(HTTPResponse(status: 200, body: Array("ok".utf8))),
        ])
        let time = FakeTime()
        let object = try client(transport, time: time).getObject(bucket: "b", key: "k").object
        XCTAssertEqual(object?.body, Array("ok".utf8))
        XCTAssertEqual(time.sleeps, [25, 50])
    }

    func testTLSSetupFailuresAreNotRetried() {
        for code in [60, 77] {
            let transport = ScriptedTransport([
                .failure(HTTPTransportError(code: code, message: "TLS", method: "GET", url: "https://x")),
                .response(HTTPResponse(status: 200)),
            ])
            let time = FakeTime()
            XCTAssertThrowsError(try client(transport, time: time).getObject(bucket: "b", key: "k"), "\(code)")
            XCTAssertEqual(transport.requests.count, 1, "curl error \(code) must not be retried")
            XCTAssertEqual(time.sleeps, [])
        }
    }

    /// A follow-up the answer before it did not call for was held back on purpose: a retry
    /// would send it.
    func testAFollowUpHeldBackIsNotRetried() {
        let transport = ScriptedTransport([
            .failure(HTTPTransportError.notSent(after: HTTPRequest(method: "PUT", url: "https://x"))),
            .response(HTTPResponse(status: 200)),
        ])
        let time = FakeTime()
        XCTAssertThrowsError(try client(transport, time: time).getObject(bucket: "b", key: "k"))
        XCTAssertEqual(transport.requests.count, 1, "not sent again")
        XCTAssertEqual(time.sleeps, [])
    }

    func testTransportFailureThatExhaustsCarriesBucketAndKey() {
        let failure = ScriptedTransport.Reply.failure(HTTPTransportError(code: 7, message: "Couldn't connect to server",
                                                                      method: "GET", url: "http://127.0.0.1:9/b/k"))
        let transport = ScriptedTransport([failure, failure])
        XCTAssertThrowsError(try client(transport, time: FakeTime(), policy: S3RetryPolicy(maxAttempts: 2))
            .getObject(bucket: "b", key: "k")) { error in
            let error = error as! S3Error
            guard case .transport(let inner) = error.kind else { return XCTFail("\(error)") }
            XCTAssertEqual(inner.code, 7)
            XCTAssertEqual(error.description,
                           "GetObject s3://b/k: no response: Couldn't connect to server (curl error 7) (after 2 attempts)")
        }
    }

    func testNoRetryPolicySendsOnce() {
        let transport = ScriptedTransport(statuses: [503, 200])
        XCTAssertThrowsError(try client(transport, time: FakeTime(), policy: .none).getObject(bucket: "b", key: "k"))
        XCTAssertEqual(transport.requests.count, 1)
    }
}
