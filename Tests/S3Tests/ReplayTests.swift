import Basics
import HTTPClient
import XCTest
@testable import SigV4
@testable import S3

/// Replays the exchanges recorded from a real SeaweedFS server (Fixtures/, written by s3-record):
/// the client must send byte-identical requests (so the signer matches what a real server
/// accepted) and must read every recorded answer correctly. No server is needed.
final class ReplayTests: XCTestCase {
    let bucket = RecordedIdentity.bucket
    let catalogV1 = Array(#"[{"name":"cat.png","type":"png","size":1234}]"#.utf8)
    let catalogV2 = Array(#"[{"name":"cat.png","type":"png","size":1234},{"name":"dog.jpg","type":"jpeg","size":5678}]"#.utf8)
    let oddKey = "odd keys/café + ü=1&(2)%.json"

    /// Every fixture on disk is replayed by one of the tests below (none recorded for nothing).
    static let replayed: Set<String> = [
        "01-create-bucket", "02-put-if-none-match", "03-put-if-none-match-exists", "04-get-object",
        "05-get-object-range", "06-get-object-if-none-match", "07-head-object", "08-get-object-missing",
        "09-put-if-match", "10-put-stale-if-match", "11-get-object-wrong-secret", "12-put-list-a",
        "13-put-list-b", "14-put-list-c", "15-list-page-1", "16-list-page-2", "17-put-odd-key",
        "18-get-odd-key", "19-list-odd-prefix", "20-get-slowdown-503", "21-get-after-slowdown",
        "22-delete-object", "23-head-deleted", "24-create-multipart-upload", "25-upload-part-copy", "26-upload-part",
        "27-complete-if-none-match", "28-create-multipart-upload-2", "29-upload-part-copy-stale", "30-upload-part-2",
        "31-complete-stale-if-match", "32-abort-multipart-upload", "33-complete-aborted", "34-create-multipart-upload-3",
        "35-list-multipart-uploads", "36-abort-multipart-upload-3",
    ]

    func testFixturesArePresentAndAllReplayed() throws {
        guard FileManager.default.fileExists(atPath: Fixture.directory.path) else {
            return XCTFail("no fixture folder at \(Fixture.directory.path)")
        }
        XCTAssertEqual(Set(try Fixture.allNames()), Self.replayed)
    }

    func testCreateBucket() throws {
        let (client, transport, _) = try replay(["01-create-bucket"])
        XCTAssertEqual(try client.createBucket(bucket), .created)
        XCTAssertEqual(transport.remaining, 0)
    }

    func testPutIfNoneMatchCreatesAndReturnsETag() throws {
        let (client, transport, _) = try replay(["02-put-if-none-match"])
        let result = try client.putObject(bucket: bucket, key: "images.json", body: catalogV1,
                                          contentType: "application/json", condition: .ifNoneExists)
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.etag, try Fixture.load("02-put-if-none-match").response.header("etag"))
        XCTAssertTrue(result.etag.hasPrefix("\"") && result.etag.hasSuffix("\""), "ETag keeps its quotes")
        XCTAssertEqual(transport.remaining, 0)
    }

    func testPutIfNoneMatchOnExistingKeyIs412AndNotRetried() throws {
        let (client, transport, time) = try replay(["03-put-if-none-match-exists"])
        XCTAssertThrowsError(try client.putObject(bucket: bucket, key: "images.json", body: catalogV1,
                                                  contentType: "application/json", condition: .ifNoneExists)) { error in
            let error = error as! S3Error
            XCTAssertTrue(error.isPreconditionFailed)
            XCTAssertFalse(error.isRetryable)
            XCTAssertEqual(error.code, "PreconditionFailed")
        }
        XCTAssertEqual(transport.requests.count, 1)
        XCTAssertEqual(time.sleeps, [])
    }

    func testGetObject() throws {
        let (client, _, _) = try replay(["04-get-object"])
        let object = try XCTUnwrap(try client.getObject(bucket: bucket, key: "images.json").object)
        XCTAssertEqual(object.status, 200)
        XCTAssertEqual(object.body, catalogV1)
        XCTAssertEqual(object.contentLength, Int64(catalogV1.count))
        XCTAssertEqual(object.totalSize, Int64(catalogV1.count))
        XCTAssertEqual(object.contentType, "application/json")
        XCTAssertEqual(object.etag, try Fixture.load("02-put-if-none-match").response.header("etag"))
        XCTAssertNotNil(object.lastModified)
        XCTAssertTrue(object.lastModified!.hasSuffix("GMT"))
    }

    func testRangedGetIs206WithTotalSizeFromContentRange() throws {
        let (client, _, _) = try replay(["05-get-object-range"])
        let object = try XCTUnwrap(try client.getObject(bucket: bucket, key: "images.json",
                                                        range: S3ByteRange(first: 0, last: 9)).object)
        XCTAssertEqual(object.status, 206)
        XCTAssertEqual(object.body, Array(catalogV1.prefix(10)))
        XCTAssertEqual(object.contentLength, 10)
        XCTAssertEqual(object.totalSize, Int64(catalogV1.count))
        XCTAssertEqual(object.info.contentRange, "bytes 0-9/\(catalogV1.count)")
    }

    func testGetIfNoneMatchIs304NotModified() throws {
        let (client, _, _) = try replay(["06-get-object-if-none-match"])
        let etag = try XCTUnwrap(Fixture.load("06-get-object-if-none-match").header("If-None-Match"))
        let result = try client.getObject(bucket: bucket, key: "images.json", ifNoneMatch: etag)
        XCTAssertEqual(result, .notModified(etag: etag))
        XCTAssertNil(result.object)
    }

    func testHeadObject() throws {
        let (client, _, _) = try replay(["07-head-object"])
        let info = try XCTUnwrap(try client.headObject(bucket: bucket, key: "images.json"))
        XCTAssertEqual(info.status, 200)
        XCTAssertEqual(info.contentLength, Int64(catalogV1.count))
        XCTAssertEqual(info.totalSize, Int64(catalogV1.count))
        XCTAssertEqual(info.contentType, "application/json")
        XCTAssertNotNil(info.etag)
        XCTAssertNotNil(info.lastModified)
    }

    func testMissingKeyIsNotFoundWithBucketAndKeyInMessage() throws {
        let (client, transport, time) = try replay(["08-get-object-missing"])
        XCTAssertThrowsError(try client.getObject(bucket: bucket, key: "missing.json")) { error in
            let error = error as! S3Error
            XCTAssertTrue(error.isNotFound)
            XCTAssertTrue(error.isNoSuchKey)
            XCTAssertFalse(error.isNoSuchBucket)
            XCTAssertFalse(error.isRetryable)
            XCTAssertEqual(error.status, 404)
            XCTAssertEqual(error.code, "NoSuchKey")
            XCTAssertEqual(error.message, "The specified key does not exist.")
            XCTAssertNotNil(error.requestId)
            XCTAssertTrue(error.description.hasPrefix(
                "GetObject s3://imagecat-fixtures/missing.json: 404 NoSuchKey: The specified key does not exist."),
                error.description)
        }
        XCTAssertEqual(transport.requests.count, 1)
        XCTAssertEqual(time.sleeps, [])
    }

    func testPutIfMatchReplacesAndReturnsNewETag() throws {
        let (client, _, _) = try replay(["09-put-if-match"])
        let oldETag = try XCTUnwrap(Fixture.load("02-put-if-none-match").response.header("etag"))
        let result = try client.putObject(bucket: bucket, key: "images.json", body: catalogV2,
                                          contentType: "application/json", condition: .ifMatch(oldETag))
        XCTAssertNotEqual(result.etag, oldETag)
        XCTAssertEqual(result.etag, try Fixture.load("09-put-if-match").response.header("etag"))
    }

    func testStaleIfMatchIs412WithReadableDescription() throws {
        let (client, transport, time) = try replay(["10-put-stale-if-match"])
        let oldETag = try XCTUnwrap(Fixture.load("02-put-if-none-match").response.header("etag"))
        XCTAssertThrowsError(try client.putObject(bucket: bucket, key: "images.json", body: catalogV1,
                                                  contentType: "application/json", condition: .ifMatch(oldETag))) { error in
            let error = error as! S3Error
            XCTAssertTrue(error.isPreconditionFailed)
            XCTAssertFalse(error.isConflict)
            XCTAssertFalse(error.isRetryable)
            XCTAssertEqual(error.operation, "PutObject")
            XCTAssertEqual(error.bucket, "imagecat-fixtures")
            XCTAssertEqual(error.key, "images.json")
            XCTAssertTrue(error.description.hasPrefix(
                "PutObject s3://imagecat-fixtures/images.json: 412 PreconditionFailed: At least one of the pre-conditions you specified did not hold"),
                error.description)
        }
        XCTAssertEqual(transport.requests.count, 1, "412 is never retried")
        XCTAssertEqual(time.sleeps, [])
    }

    func testWrongSecretIs403SignatureDoesNotMatch() throws {
        let (client, transport, time) = try replay(["11-get-object-wrong-secret"], secret: RecordedIdentity.wrongSecretAccessKey)
        XCTAssertThrowsError(try client.getObject(bucket: bucket, key: "images.json")) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.status, 403)
            XCTAssertEqual(error.code, "SignatureDoesNotMatch")
            XCTAssertEqual(error.message, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
            XCTAssertFalse(error.isRetryable)
        }
        XCTAssertEqual(transport.requests.count, 1, "403 is never retried")
        XCTAssertEqual(time.sleeps, [])
    }

    func testWrongSecretFixtureIsNotReproducedByTheRightSecret() throws {
        // The replay check is sharp: the right secret signs differently from the recorded wrong one.
        let fixture = try Fixture.load("11-get-object-wrong-secret")
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: RecordedIdentity.accessKeyId,
                                                            secretAccessKey: RecordedIdentity.secretAccessKey),
                                 region: RecordedIdentity.region, clock: { fixture.signingEpochSeconds })
        let path = String(fixture.url.dropFirst(fixture.endpoint.count))
        let signed = signer.signHeaders(SigV4Request(method: "GET", encodedPath: path,
                                                     headers: [(name: "Host", value: fixture.header("Host")!)],
                                                     payloadHash: Digest.emptyPayloadHash))
        XCTAssertNotEqual(signed.authorization, fixture.header("Authorization"))
    }

    func testPutsForListing() throws {
        let (client, transport, _) = try replay(["12-put-list-a", "13-put-list-b", "14-put-list-c"])
        for name in ["a.txt", "b.txt", "c.txt"] {
            let result = try client.putObject(bucket: bucket, key: "list/\(name)", body: Array("content of \(name)\n".utf8),
                                              contentType: "text/plain")
            XCTAssertEqual(result.status, 200)
        }
        XCTAssertEqual(transport.remaining, 0)
    }

    func testListObjectsV2Pages() throws {
        let (client, _, _) = try replay(["15-list-page-1", "16-list-page-2"])
        let page1 = try client.listObjectsV2(bucket: bucket, prefix: "list/", maxKeys: 2)
        XCTAssertEqual(page1.entries.map(\.key), ["list/a.txt", "list/b.txt"])
        XCTAssertEqual(page1.entries.map(\.size), [17, 17])
        XCTAssertTrue(page1.isTruncated)
        XCTAssertEqual(page1.entries[0].etag?.first, "\"", "XML entities in the ETag are decoded")
        XCTAssertNotNil(page1.entries[0].lastModified)
        let token = try XCTUnwrap(page1.nextContinuationToken)
        let page2 = try client.listObjectsV2(bucket: bucket, prefix: "list/", continuationToken: token, maxKeys: 2)
        XCTAssertEqual(page2.entries.map(\.key), ["list/c.txt"])
        XCTAssertFalse(page2.isTruncated)
        XCTAssertNil(page2.nextContinuationToken)
    }

    func testListAllObjectsFollowsContinuationTokens() throws {
        let (client, transport, _) = try replay(["15-list-page-1", "16-list-page-2"])
        let all = try client.listAllObjects(bucket: bucket, prefix: "list/", pageSize: 2)
        XCTAssertEqual(all.map(\.key), ["list/a.txt", "list/b.txt", "list/c.txt"])
        XCTAssertEqual(transport.remaining, 0)
    }

    func testKeyWithSpaceUnicodePlusAndPunctuation() throws {
        let (client, transport, _) = try replay(["17-put-odd-key", "18-get-odd-key", "19-list-odd-prefix"])
        XCTAssertEqual(try client.putObject(bucket: bucket, key: oddKey, body: Array("{}".utf8),
                                            contentType: "application/json").status, 200)
        XCTAssertEqual(try client.getObject(bucket: bucket, key: oddKey).object?.body, Array("{}".utf8))
        XCTAssertEqual(transport.requests[0].url,
                       "\(try Fixture.load("17-put-odd-key").endpoint)/imagecat-fixtures/odd%20keys/caf%C3%A9%20%2B%20%C3%BC%3D1%26%282%29%25.json")
        let listed = try client.listObjectsV2(bucket: bucket, prefix: "odd keys/")
        XCTAssertEqual(listed.entries.map(\.key), [oddKey], "&amp; in the listing is decoded")
    }

    /// Fixture 20's 503 is synthetic (AWS's documented SlowDown answer, not sent to the server);
    /// fixture 21 is the real retry.
    func testSlowDownIsRetriedThenSucceeds() throws {
        XCTAssertTrue(try Fixture.load("20-get-slowdown-503").synthetic)
        let (client, transport, time) = try replay(["20-get-slowdown-503", "21-get-after-slowdown"])
        let object = try XCTUnwrap(try client.getObject(bucket: bucket, key: "images.json").object)
        XCTAssertEqual(object.body, catalogV2)
        XCTAssertEqual(transport.served, ["20-get-slowdown-503", "21-get-after-slowdown"])
        XCTAssertEqual(time.jitterCeilings, [25])
        XCTAssertEqual(time.sleeps, [25])
    }

    func testSlowDownEveryTimeExhaustsTheAttempts() throws {
        let (client, transport, time) = try replay(Array(repeating: "20-get-slowdown-503", count: 8))
        XCTAssertThrowsError(try client.getObject(bucket: bucket, key: "images.json")) { error in
            let error = error as! S3Error
            XCTAssertEqual(error.status, 503)
            XCTAssertEqual(error.code, "SlowDown")
            XCTAssertEqual(error.message, "Please reduce your request rate.")
            XCTAssertEqual(error.requestId, "SLOWDOWNEXAMPLE01")
            XCTAssertTrue(error.isRetryable)
            XCTAssertEqual(error.attempts, 8)
            XCTAssertTrue(error.description.hasSuffix("(after 8 attempts)"), error.description)
        }
        XCTAssertEqual(transport.remaining, 0)
        XCTAssertEqual(time.sleeps, [25, 50, 100, 200, 400, 800, 1600])
    }

    func testDeleteObject() throws {
        let (client, transport, _) = try replay(["22-delete-object"])
        try client.deleteObject(bucket: bucket, key: "images.json")
        XCTAssertEqual(transport.remaining, 0)
    }

    /// A delete started and collected later sends the same signed request as `deleteObject`.
    func testAStartedDeleteIsTheSameRequest() throws {
        let (client, transport, _) = try replay(["22-delete-object"])
        let started = client.startDeleteObject(bucket: bucket, key: "images.json")
        XCTAssertEqual(transport.remaining, 0, "sent when started")
        try client.finishDeleteObject(started)
    }

    func testHeadOfDeletedObjectIsNil() throws {
        let (client, transport, _) = try replay(["23-head-deleted"])
        XCTAssertNil(try client.headObject(bucket: bucket, key: "images.json"))
        XCTAssertEqual(transport.remaining, 0)
    }

    // MARK: Multipart

    /// The upload id, copied and uploaded parts with their ETags, and the completed object's
    /// ETag, which is the one predicted from the parts' (so an index can be named before it).
    func testASpliceOfACopiedRangeAndAnUploadedTail() throws {
        let (client, transport, _) = try replay(["24-create-multipart-upload", "25-upload-part-copy", "26-upload-part",
                                                 "27-complete-if-none-match"])
        let upload = try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
        XCTAssertFalse(upload.isEmpty)
        let sourceETag = try XCTUnwrap(Fixture.load("25-upload-part-copy").requestHeader("x-amz-copy-source-if-match"))
        let parts = try client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload, parts: [
            S3Client.Part(number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 5 * 1024 * 1024 - 1),
                                                   ifMatch: sourceETag)),
            S3Client.Part(number: 2, source: .bytes(Array("[]\n".utf8))),
        ]).map { try $0.get() }
        XCTAssertEqual(parts.count, 2)
        let etag = try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload, partETags: parts,
                                                      condition: .ifNoneExists)
        XCTAssertTrue(etag.hasSuffix("-2\""), etag)
        XCTAssertEqual(etag, S3Client.predictedETag(ofParts: parts))
        XCTAssertEqual(transport.remaining, 0)
    }

    func testAStaleCopySourceIs412ForThatPartOnly() throws {
        let (client, _, time) = try replay(["28-create-multipart-upload-2", "29-upload-part-copy-stale"])
        let upload = try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
        let stale = try XCTUnwrap(Fixture.load("29-upload-part-copy-stale").requestHeader("x-amz-copy-source-if-match"))
        let results = client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload, parts: [
            S3Client.Part(number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 9), ifMatch: stale)),
        ])
        guard case .failure(let error) = results[0] else { return XCTFail("\(results)") }
        XCTAssertTrue(error.isPreconditionFailed)
        XCTAssertEqual(time.sleeps, [], "a lost condition is not retried")
    }

    /// A copy started and collected later (`startUploadPart`): the same signed request and the
    /// same ETag as when it is sent in a batch; a stale source is its 412, not retried.
    func testAStartedCopyIsCollectedWithItsETagOrItsStaleSource() throws {
        let (client, transport, time) = try replay(["24-create-multipart-upload", "25-upload-part-copy", "26-upload-part",
                                                    "27-complete-if-none-match"])
        let upload = try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
        let copy = client.startUploadPart(bucket: bucket, key: "spliced.json", uploadID: upload, part: try recordedCopy())
        try completeSplice(client, upload: upload, copy: copy)
        XCTAssertEqual(transport.remaining, 0)

        let (staleClient, _, staleTime) = try replay(["28-create-multipart-upload-2", "29-upload-part-copy-stale"])
        let second = try staleClient.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
        let stale = try XCTUnwrap(Fixture.load("29-upload-part-copy-stale").requestHeader("x-amz-copy-source-if-match"))
        let started = staleClient.startUploadPart(bucket: bucket, key: "spliced.json", uploadID: second, part: S3Client.Part(
            number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 9), ifMatch: stale)))
        guard case .failure(let error) = staleClient.finishUploadPart(started) else { return XCTFail("a stale source copied") }
        XCTAssertTrue(error.isPreconditionFailed)
        XCTAssertEqual(staleTime.sleeps + time.sleeps, [], "nothing retried")
    }

    /// An upload created with its copy following the moment S3 answers (`startCreatingUpload`):
    /// the same signed requests, in the same order, as creating it and then starting the copy.
    func testAnUploadCreatedWithItsCopyFollowingSendsTheRecordedRequests() throws {
        let (client, transport, time) = try replay(["24-create-multipart-upload", "25-upload-part-copy", "26-upload-part",
                                                    "27-complete-if-none-match"])
        let started = client.startCreatingUpload(bucket: bucket, key: "spliced.json", contentType: "application/json",
                                                 thenPart: try recordedCopy())
        XCTAssertEqual(transport.served, ["24-create-multipart-upload", "25-upload-part-copy"], "the copy follows the creation at once")
        let (upload, copy) = try client.finishCreatingUpload(started).get()
        try completeSplice(client, upload: upload, copy: copy)
        XCTAssertEqual(transport.remaining, 0)
        XCTAssertEqual(time.sleeps, [])
    }

    /// The copy `25-upload-part-copy` recorded: the first 5 MiB of `source.json`, pinned.
    private func recordedCopy() throws -> S3Client.Part {
        let sourceETag = try XCTUnwrap(Fixture.load("25-upload-part-copy").requestHeader("x-amz-copy-source-if-match"))
        return S3Client.Part(number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 5 * 1024 * 1024 - 1),
                                                      ifMatch: sourceETag))
    }

    /// Sends the recorded tail as part 2 of `upload`, collects the started `copy` as part 1 and
    /// completes: the ETag S3 gives is the one predicted from the parts.
    private func completeSplice(_ client: S3Client, upload: String, copy: S3Client.StartedCall) throws {
        let tail = try client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload,
                                          parts: [S3Client.Part(number: 2, source: .bytes(Array("[]\n".utf8)))])[0].get()
        let parts = [try client.finishUploadPart(copy).get(), tail]
        let etag = try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload, partETags: parts,
                                                      condition: .ifNoneExists)
        XCTAssertEqual(etag, S3Client.predictedETag(ofParts: parts))
    }

    /// A part started when the deadline has passed is not sent: collecting it says why.
    func testAPartStartedPastTheDeadlineIsNotSent() throws {
        let (client, transport, time) = try replay(["25-upload-part-copy"])
        client.deadline = Deadline(epochMilliseconds: time.nowMs - 1)
        let started = client.startUploadPart(bucket: bucket, key: "spliced.json", uploadID: "u", part: S3Client.Part(
            number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 9), ifMatch: "\"e\"")))
        XCTAssertEqual(transport.remaining, 1, "nothing sent")
        guard case .failure(let error) = client.finishUploadPart(started) else { return XCTFail("copied past the deadline") }
        XCTAssertEqual(error.kind, .deadlineExceeded)
        XCTAssertEqual(error.attempts, 0)
        XCTAssertEqual(transport.remaining, 1)
    }

    func testAStaleCompletionIs412AndAnAbortedOne404() throws {
        let (client, transport, _) = try replay(["30-upload-part-2", "31-complete-stale-if-match", "32-abort-multipart-upload",
                                                 "33-complete-aborted"])
        let upload = try XCTUnwrap(Fixture.load("30-upload-part-2").requestQuery("uploadId"))
        let part = try client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload,
                                          parts: [S3Client.Part(number: 1, source: .bytes(Array("[]\n".utf8)))])[0].get()
        let stale = try XCTUnwrap(Fixture.load("31-complete-stale-if-match").requestHeader("If-Match"))
        XCTAssertThrowsError(try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload, partETags: [part],
                                                                condition: .ifMatch(stale))) { error in
            XCTAssertTrue((error as! S3Error).isConditionalWriteLost)
        }
        try client.abortMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload)
        let current = try XCTUnwrap(Fixture.load("33-complete-aborted").requestHeader("If-Match"))
        XCTAssertThrowsError(try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload, partETags: [part],
                                                                condition: .ifMatch(current))) { error in
            XCTAssertEqual((error as! S3Error).code, "NoSuchUpload")
        }
        XCTAssertEqual(transport.remaining, 0)
    }

    /// The uploads in progress of a key: the one started and not ended, with its start time.
    func testUploadsInProgressAreListedWithTheirStartTimes() throws {
        let (client, transport, _) = try replay(["34-create-multipart-upload-3", "35-list-multipart-uploads",
                                                 "36-abort-multipart-upload-3"])
        let upload = try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
        let listed = try client.listMultipartUploads(bucket: bucket, prefix: "spliced.json")
        XCTAssertEqual(listed.map(\.uploadID), [upload])
        XCTAssertEqual(listed.map(\.key), ["spliced.json"])
        let initiated = try XCTUnwrap(listed.first?.initiated)
        XCTAssertTrue(initiated.hasPrefix("20") && initiated.hasSuffix("Z") && initiated.contains("T"), initiated)
        try client.abortMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload)
        XCTAssertEqual(transport.remaining, 0)
    }
}
