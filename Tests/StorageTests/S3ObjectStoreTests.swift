import Basics
import HTTPClient
import S3
import SigV4
import Storage
import TestSupport
import XCTest

/// `S3ObjectStore` on a scripted transport: which requests it sends, with which conditions, and
/// how S3's answers map to the store's outcomes (bare ETags, ISO 8601 times, `.missing`,
/// `.notModified`, `.conflict`, `.changed`, per-key refusals).
final class S3ObjectStoreTests: XCTestCase {
    func store(_ answers: [HTTPResponse]) -> (S3ObjectStore, ScriptedTransport) {
        let transport = ScriptedTransport(responses: answers)
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let client = S3Client(configuration: configuration, transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1))
        return (S3ObjectStore(client: client), transport)
    }

    static func error(_ status: Int, _ code: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader(name: "Content-Type", value: "application/xml")],
                     body: Array(s3ErrorXML(code).utf8))
    }

    static func part(_ body: String, from: Int, total: Int, etag: String) -> HTTPResponse {
        HTTPResponse(status: 206, headers: [
            HTTPHeader(name: "ETag", value: etag),
            HTTPHeader(name: "Last-Modified", value: "Wed, 25 Nov 2026 16:00:09 GMT"),
            HTTPHeader(name: "Content-Range", value: "bytes \(from)-\(from + body.utf8.count - 1)/\(total)"),
        ], body: Array(body.utf8))
    }

    func testReadsWithQuotedIfNoneMatchAndUnquotesETags() throws {
        let (store, transport) = store([
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"abc123\"")], body: Array("[]".utf8)),
            HTTPResponse(status: 304, headers: [HTTPHeader(name: "ETag", value: "\"abc123\"")]),
            Self.error(404, "NoSuchKey"),
        ])
        XCTAssertEqual(try store.read(bucket: "pics", key: "images.json", ifNoneMatch: nil), .found(bytes: Array("[]".utf8), etag: "abc123"))
        XCTAssertEqual(try store.read(bucket: "pics", key: "images.json", ifNoneMatch: "abc123"), .notModified(etag: "abc123"))
        XCTAssertEqual(try store.read(bucket: "pics", key: "users/auth0|abc.json", ifNoneMatch: nil), .missing)
        XCTAssertEqual(transport.requests.map(\.url), ["http://127.0.0.1:9/pics/images.json", "http://127.0.0.1:9/pics/images.json",
                                                        "http://127.0.0.1:9/pics/users/auth0%7Cabc.json"])
        XCTAssertNil(transport.requests[0].header("if-none-match"))
        XCTAssertEqual(transport.requests[1].header("if-none-match"), "\"abc123\"")
    }

    func testAServerWithoutETagsStillGivesAStableValidator() throws {
        let (store, _) = store([HTTPResponse(status: 200, body: Array("[]".utf8)), HTTPResponse(status: 200, body: Array("[]".utf8))])
        let first = try store.read(bucket: "b", key: "k", ifNoneMatch: nil)
        XCTAssertEqual(first, try store.read(bucket: "b", key: "k", ifNoneMatch: nil))
        guard case .found(_, let etag) = first else { return XCTFail("\(first)") }
        XCTAssertTrue(etag.hasPrefix("h"), etag)
    }

    func testRealFailuresAreErrors() throws {
        let (store, _) = store([Self.error(403, "AccessDenied"), Self.error(404, "NoSuchBucket"), Self.error(500, "InternalError")])
        for _ in 0..<3 {
            XCTAssertThrowsError(try store.read(bucket: "b", key: "images.json", ifNoneMatch: nil))
        }
    }

    func testWritesAreCompareAndSwap() throws {
        let (store, transport) = store([
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new1\"")]),
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"new2\"")]),
            Self.error(412, "PreconditionFailed"), Self.error(409, "ConditionalRequestConflict"), Self.error(500, "InternalError"),
        ])
        let body = Array("{}".utf8)
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: nil), .written(etag: "new1"))
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "new1"), .written(etag: "new2"))
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "new1"), .conflict(retried: false))
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "new2"), .conflict(retried: false))
        XCTAssertThrowsError(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "new2"))
        XCTAssertEqual(transport.requests.map(\.method), Array(repeating: "PUT", count: 5))
        XCTAssertEqual(transport.requests[0].header("if-none-match"), "*")
        XCTAssertNil(transport.requests[0].header("if-match"))
        XCTAssertEqual(transport.requests[1].header("if-match"), "\"new1\"")
        XCTAssertNil(transport.requests[1].header("if-none-match"))
        XCTAssertEqual(transport.requests[1].header("content-type"), "application/json")
        XCTAssertEqual(transport.requests[1].bodyText, "{}")
    }

    func testRangedReadsMapEveryAnswerPerKey() throws {
        let (store, transport) = store([
            Self.part("abcd", from: 0, total: 10, etag: "\"v1\""),
            Self.error(404, "NoSuchKey"),
            Self.error(416, "InvalidRange"),
            Self.error(412, "PreconditionFailed"),
            Self.error(403, "AccessDenied"),
            Self.error(503, "SlowDown"),
        ])
        let results = store.readRanges(bucket: "b", reads: [
            RangeRequest(key: "a", range: 0..<4), RangeRequest(key: "gone", range: 0..<4),
            RangeRequest(key: "empty", range: 0..<4), RangeRequest(key: "replaced", range: 4..<8, ifMatch: "v1"),
            RangeRequest(key: "denied", range: 0..<4), RangeRequest(key: "busy", range: 0..<4),
        ])
        XCTAssertEqual(try results[0].get(), .bytes(Array("abcd".utf8), version: ObjectVersion(etag: "v1", lastModified: "2026-11-25T16:00:09Z"),
                                                    totalSize: 10))
        XCTAssertEqual(try results[1].get(), .missing)
        XCTAssertEqual(try results[2].get(), .empty)
        XCTAssertEqual(try results[3].get(), .changed)
        guard case .failure(.refused(let reason)) = results[4] else { return XCTFail("\(results[4])") }
        XCTAssertTrue(reason.hasPrefix("S3 refuses it: GetObject s3://b/denied: 403 AccessDenied"), reason)
        guard case .failure(.failed) = results[5] else { return XCTFail("\(results[5])") }
        XCTAssertEqual(transport.requests[0].header("range"), "bytes=0-3")
        XCTAssertEqual(transport.requests[3].header("range"), "bytes=4-7")
        XCTAssertEqual(transport.requests[3].header("if-match"), "\"v1\"")
    }

    func testVersionsComeFromHEADs() throws {
        let (store, transport) = store([
            HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\""),
                                                HTTPHeader(name: "Last-Modified", value: "Wed, 25 Nov 2026 16:00:09 GMT")]),
            HTTPResponse(status: 404),
            HTTPResponse(status: 400),
        ])
        let results = store.versions(bucket: "b", keys: ["a", "b", "c"])
        XCTAssertEqual(try results[0].get(), ObjectVersion(etag: "e", lastModified: "2026-11-25T16:00:09Z"))
        XCTAssertNil(try results[1].get())
        guard case .failure(.refused) = results[2] else { return XCTFail("\(results[2])") }
        XCTAssertEqual(transport.requests.map(\.method), ["HEAD", "HEAD", "HEAD"])
    }

    func testAListingPageStartsAfterAKeyAndGivesTimesToTheSecond() throws {
        let xml = """
            <ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>images/a.png</Key>\
            <LastModified>2026-11-25T16:00:09.000Z</LastModified><ETag>"e"</ETag><Size>3</Size></Contents></ListBucketResult>
            """
        let (store, transport) = store([HTTPResponse(status: 200, body: Array(xml.utf8))])
        let page = try store.listPage(bucket: "b", prefix: "images/", startAfter: "images/", maxKeys: 1000)
        XCTAssertEqual(page, ListedPage(objects: [ListedObject(key: "images/a.png", size: 3,
                                                                version: ObjectVersion(etag: "e", lastModified: "2026-11-25T16:00:09Z"))],
                                        isTruncated: false))
        let url = try XCTUnwrap(transport.requests.first?.url)
        XCTAssertTrue(url.contains("start-after=images%2F"), url)
    }

    /// An empty page that says more follow is gone past by its token (no last key to start after).
    func testAListingPageHandsOnItsContinuationTokenAndSendsOneBack() throws {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t+1/=</NextContinuationToken></ListBucketResult>"
        let (store, transport) = store([HTTPResponse(status: 200, body: Array(xml.utf8)), HTTPResponse(status: 200, body: Array(xml.utf8))])
        let page = try store.listPage(bucket: "b", prefix: "images/", startAfter: "images/a", maxKeys: 1000)
        XCTAssertEqual(page, ListedPage(objects: [], isTruncated: true, continuation: "t+1/="))
        _ = try store.listPage(bucket: "b", prefix: "images/", startAfter: "images/a", continuation: page.continuation, maxKeys: 1000)
        let url = try XCTUnwrap(transport.requests.last?.url)
        XCTAssertTrue(url.contains("continuation-token=t%2B1%2F%3D"), url)
    }

    /// Only uploads of exactly the key (a prefix listing also finds `images.json.index/…`), with
    /// their start times in milliseconds whichever form the server writes them in.
    func testUploadsInProgressAreThoseOfTheKeyAlone() throws {
        let xml = """
            <ListMultipartUploadsResult><Bucket>b</Bucket><Prefix>images.json</Prefix>\
            <Upload><Key>images.json.index/x</Key><UploadId>i1</UploadId><Initiated>2026-12-06T02:57:18Z</Initiated></Upload>\
            <Upload><Key>images.json</Key><UploadId>u2</UploadId><Initiated>2026-12-06T02:57:18.250Z</Initiated></Upload>\
            <Upload><Key>images.json</Key><UploadId>u1</UploadId><Initiated>2026-12-06T02:57:17Z</Initiated></Upload>\
            </ListMultipartUploadsResult>
            """
        let (store, transport) = store([HTTPResponse(status: 200, body: Array(xml.utf8))])
        let uploads = try store.uploadsInProgress(bucket: "b", key: "images.json")
        XCTAssertEqual(uploads, [UploadInProgress(id: "u2", initiatedMs: 1_796_525_838_250),
                                 UploadInProgress(id: "u1", initiatedMs: 1_796_525_837_000)])
        XCTAssertTrue(uploads[1].isBefore(uploads[0]))
        XCTAssertEqual(transport.requests.map(\.url), ["http://127.0.0.1:9/b?prefix=images.json&uploads="])
    }

    /// A 412 that answers a retry says so: the attempt before may have landed, its answer lost,
    /// and only then does a writer look for its own bytes in the current version.
    func testAConflictOnARetrySaysItWasRetried() throws {
        let transport = ScriptedTransport(responses: [Self.error(500, "InternalError"), Self.error(412, "PreconditionFailed"),
                                                      Self.error(412, "PreconditionFailed"),
                                                      Self.error(503, "SlowDown"), Self.error(412, "PreconditionFailed")])
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let store = S3ObjectStore(client: S3Client(configuration: configuration, transport: transport,
                                                   retryPolicy: S3RetryPolicy(maxAttempts: 3)))
        let body = Array("[]".utf8)
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "e"), .conflict(retried: true))
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "e"), .conflict(retried: false))
        XCTAssertEqual(try store.completeUpload(bucket: "b", key: "k", uploadID: "u", partETags: ["p"], ifMatch: "e"), .conflict(retried: true))
        XCTAssertEqual(transport.requests.count, 5)
    }

    /// `If-Match` on a key deleted meanwhile: AWS answers 404 NoSuchKey (SeaweedFS 412), a
    /// write lost to the delete, not a failure (`PUT /me` over a record whose move was lost
    /// answered 500). Without `If-Match`, a 404 is the bucket's, and thrown.
    func testAnIfMatchWriteOverAKeyThatIsGoneIsAConflict() throws {
        let (store, _) = store([Self.error(404, "NoSuchKey"), Self.error(404, "NoSuchBucket"), Self.error(404, "NoSuchKey"),
                                Self.error(404, "NoSuchKey"), Self.error(404, "NoSuchUpload")])
        let body = Array("{}".utf8)
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "e"), .conflict(retried: false))
        XCTAssertThrowsError(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: "e"))
        XCTAssertThrowsError(try store.write(bucket: "b", key: "k", bytes: body, contentType: "application/json", ifMatch: nil))
        // A completion the same way; an upload that is gone (NoSuchUpload) is no lost write.
        XCTAssertEqual(try store.completeUpload(bucket: "b", key: "k", uploadID: "u", partETags: ["p"], ifMatch: "e"), .conflict(retried: false))
        XCTAssertThrowsError(try store.completeUpload(bucket: "b", key: "k", uploadID: "u", partETags: ["p"], ifMatch: "e"))
    }

    /// libcurl's own resend on a fresh connection (a kept-alive one died after the request went
    /// out) is a retry too, even where the client itself sends once: the 412 that answers it may
    /// be the first send's, landed. Found by a storm through connection resets, where the writer
    /// took its own landed write for another's.
    func testAConflictAnsweringLibcurlsOwnResendSaysItWasRetried() throws {
        var resent = Self.error(412, "PreconditionFailed")
        resent.resent = true
        let (store, transport) = store([resent, resent])
        XCTAssertEqual(try store.write(bucket: "b", key: "k", bytes: Array("[]".utf8), contentType: "application/json", ifMatch: "e"),
                       .conflict(retried: true))
        XCTAssertEqual(try store.completeUpload(bucket: "b", key: "k", uploadID: "u", partETags: ["p"], ifMatch: "e"), .conflict(retried: true))
        XCTAssertEqual(transport.requests.count, 2, "one request each: libcurl resent it")
    }

    /// A delete in the background is sent at once and stays in flight; `settle` collects it, its
    /// failure dropped and not retried (best effort); nothing is left to collect after. A write
    /// of the same key first collects a delete of it still in flight, so that the delete cannot
    /// land after it.
    func testDeletesInTheBackgroundAreSentAtOnceCollectedBeforeAWriteOfTheirKeyAndSettled() throws {
        let transport = ScriptedTransport(responses: [HTTPResponse(status: 204), Self.error(500, "InternalError"),
                                                      HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\"")])])
        transport.keepsStartedInFlight = true
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let store = S3ObjectStore(client: S3Client(configuration: configuration, transport: transport,
                                                   retryPolicy: S3RetryPolicy(maxAttempts: 3)))
        let old = "http://127.0.0.1:9/b/images.json.index/old", lost = "http://127.0.0.1:9/b/images.json.index/lost"
        store.deleteInBackground(bucket: "b", key: "images.json.index/lost")
        store.deleteInBackground(bucket: "b", key: "images.json.index/old")
        XCTAssertEqual(transport.events, ["started DELETE \(lost)", "started DELETE \(old)"])
        _ = try store.write(bucket: "b", key: "images.json.index/lost", bytes: [], contentType: "application/json", ifMatch: nil)
        XCTAssertEqual(transport.events, ["started DELETE \(lost)", "started DELETE \(old)", "finished DELETE \(lost)", "sent PUT \(lost)"])
        store.settle()
        store.settle()
        XCTAssertEqual(transport.events.last, "finished DELETE \(old)")
        XCTAssertEqual(transport.requests.count, 3, "the 500 is not retried, nothing sent again")
    }

    /// A completion that writes an index beside it collects a delete of that index still in
    /// flight before it is sent: the index a lost completion left, dropped, is written again by a
    /// completion of the same bytes.
    func testACompletionWritingAnIndexCollectsADeleteOfItFirst() throws {
        let completed = #"<CompleteMultipartUploadResult><ETag>"9a-2"</ETag></CompleteMultipartUploadResult>"#
        let transport = ScriptedTransport(responses: [HTTPResponse(status: 204), HTTPResponse(status: 204),
                                                      HTTPResponse(status: 200, body: Array(completed.utf8)),
                                                      HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"ix\"")])])
        transport.keepsStartedInFlight = true
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let store = S3ObjectStore(client: S3Client(configuration: configuration, transport: transport))
        let index = "http://127.0.0.1:9/b/images.json.index/9a-2", other = "http://127.0.0.1:9/b/images.json.index/old"
        store.deleteInBackground(bucket: "b", key: "images.json.index/9a-2")
        store.deleteInBackground(bucket: "b", key: "images.json.index/old")
        let (outcome, indexed) = try store.completeUpload(bucket: "b", key: "images.json", uploadID: "u1", partETags: ["p1", "p2"],
                                                          ifMatch: "v1", writing: "images.json.index/9a-2", bytes: Array("{}".utf8),
                                                          contentType: "application/json")
        XCTAssertEqual(outcome, .written(etag: "9a-2"))
        XCTAssertTrue(indexed)
        XCTAssertEqual(transport.events, ["started DELETE \(index)", "started DELETE \(other)", "finished DELETE \(index)",
                                          "sent POST http://127.0.0.1:9/b/images.json?uploadId=u1", "sent PUT \(index)"])
        store.settle()
        XCTAssertEqual(transport.events.last, "finished DELETE \(other)")
    }

    /// An upload nothing will complete is aborted at `settle`, not before, and only once the
    /// part still in flight for it has landed (a part that lands after an abort can leave its
    /// bytes stored).
    func testAnAbortInTheBackgroundWaitsForSettleAndForItsPartInFlight() throws {
        let copied = #"<CopyPartResult><ETag>"c1"</ETag></CopyPartResult>"#
        let transport = ScriptedTransport(responses: [HTTPResponse(status: 200, body: Array(copied.utf8)), HTTPResponse(status: 204)])
        transport.keepsStartedInFlight = true
        let configuration = S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret"),
                                            endpoint: "http://127.0.0.1:9")
        let store = S3ObjectStore(client: S3Client(configuration: configuration, transport: transport))
        let part = store.startPart(bucket: "b", key: "images.json", uploadID: "u1",
                                   part: UploadPart(number: 1, source: .copy(key: "images.json.prefix", range: 0..<10, ifMatch: "p")))
        store.abortInBackground(bucket: "b", key: "images.json", uploadID: "u1", after: part)
        XCTAssertEqual(transport.events.count, 1, "only the copy is sent: \(transport.events)")
        store.settle()
        XCTAssertEqual(transport.events.dropFirst().map { String($0.prefix(15)) }, ["finished PUT ht", "sent DELETE htt"], "\(transport.events)")
        XCTAssertTrue(transport.events.last!.hasSuffix("/b/images.json?uploadId=u1"), "\(transport.events)")
    }

    func testTheDeadlineIsTheClients() {
        let (store, _) = store([])
        store.deadline = Deadline(epochMilliseconds: 42)
        XCTAssertEqual(store.client.deadline, Deadline(epochMilliseconds: 42))
    }
}
