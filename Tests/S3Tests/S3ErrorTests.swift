import HTTPClient
import XCTest
import TestSupport
@testable import S3

/// `S3Error`'s predicates and messages: what callers branch on (not found, precondition failed,
/// conflict, retryable) and what ends up in logs.
final class S3ErrorTests: XCTestCase {
    func service(_ status: Int, _ code: String, _ message: String = "", key: String? = "k") -> S3Error {
        S3Error(operation: "GetObject", bucket: "bkt", key: key,
                kind: .service(status: status, code: code, message: message, requestId: nil))
    }

    func testDescriptionReadsLikeALogLine() {
        let error = S3Error(operation: "PutObject", bucket: "bkt", key: "images.json",
                            kind: .service(status: 412, code: "PreconditionFailed",
                                           message: "At least one of the pre-conditions you specified did not hold",
                                           requestId: nil))
        XCTAssertEqual(error.description,
                       "PutObject s3://bkt/images.json: 412 PreconditionFailed: At least one of the pre-conditions you specified did not hold")
        var withId = error
        withId.kind = .service(status: 412, code: "PreconditionFailed", message: "m", requestId: "ABC")
        XCTAssertEqual(withId.description, "PutObject s3://bkt/images.json: 412 PreconditionFailed: m (request id ABC)")
        XCTAssertEqual(service(404, "NoSuchBucket", key: nil).description, "GetObject s3://bkt: 404 NoSuchBucket")
        let invalid = S3Error(operation: "ListObjectsV2", bucket: "bkt", key: nil, kind: .invalidResponse(status: 200, reason: "no <ListBucketResult> element"))
        XCTAssertEqual(invalid.description, "ListObjectsV2 s3://bkt: unreadable 200 response: no <ListBucketResult> element")
    }

    func testNotFoundKinds() {
        XCTAssertTrue(service(404, "NoSuchKey").isNotFound)
        XCTAssertTrue(service(404, "NoSuchKey").isNoSuchKey)
        XCTAssertFalse(service(404, "NoSuchKey").isNoSuchBucket)
        XCTAssertTrue(service(404, "NoSuchBucket").isNotFound)
        XCTAssertTrue(service(404, "NoSuchBucket").isNoSuchBucket)
        XCTAssertFalse(service(404, "NoSuchBucket").isNoSuchKey)
        XCTAssertTrue(service(404, "NotFound").isNoSuchKey, "HEAD's bodiless 404")
        XCTAssertFalse(service(403, "AccessDenied").isNotFound)
    }

    func testPreconditionAndConflict() {
        XCTAssertTrue(service(412, "PreconditionFailed").isPreconditionFailed)
        XCTAssertFalse(service(409, "ConditionalRequestConflict").isPreconditionFailed)
        XCTAssertTrue(service(409, "ConditionalRequestConflict").isConflict)
        XCTAssertFalse(service(409, "BucketAlreadyOwnedByYou").isConflict)
        XCTAssertFalse(service(412, "PreconditionFailed").isConflict)
        XCTAssertTrue(service(412, "PreconditionFailed").isConditionalWriteLost)
        XCTAssertTrue(service(409, "ConditionalRequestConflict").isConditionalWriteLost)
        XCTAssertFalse(service(409, "BucketAlreadyOwnedByYou").isConditionalWriteLost)
        XCTAssertFalse(service(404, "NoSuchKey").isConditionalWriteLost)
        XCTAssertFalse(service(503, "SlowDown").isConditionalWriteLost)
    }

    func testRetryable() {
        for (status, code) in [(500, "InternalError"), (503, "SlowDown"), (503, "ServiceUnavailable"), (502, "HTTP502"),
                               (504, "HTTP504"), (429, "TooManyRequests"), (400, "RequestTimeout"), (400, "Throttling"),
                               (400, "ThrottlingException")] {
            XCTAssertTrue(service(status, code).isRetryable, "\(status) \(code)")
        }
        for (status, code) in [(501, "NotImplemented"), (400, "InvalidArgument"), (403, "AccessDenied"),
                               (403, "SignatureDoesNotMatch"), (404, "NoSuchKey"), (409, "ConditionalRequestConflict"),
                               (412, "PreconditionFailed"), (416, "InvalidRange")] {
            XCTAssertFalse(service(status, code).isRetryable, "\(status) \(code)")
        }
        let transport = S3Error(operation: "GetObject", bucket: "b", key: "k",
                                kind: .transport(HTTPTransportError(code: 28, message: "Timeout", method: "GET", url: "u")))
        XCTAssertTrue(transport.isRetryable)
        XCTAssertNil(transport.status)
        XCTAssertFalse(transport.isNotFound)
    }

    func testErrorBodyIsParsedAndBodilessAnswersGetACodeFromTheStatus() throws {
        let call = S3Client.Call(operation: "GetObject", method: "GET", bucket: "b", key: "k")
        let parsed = S3Error(call, response: HTTPResponse(
            status: 403, headers: [HTTPHeader(name: "x-amz-request-id", value: "HDR")],
            body: Array(s3ErrorXML("AccessDenied", "Access Denied &amp; more").utf8)), attempts: 1)
        XCTAssertEqual(parsed.kind, .service(status: 403, code: "AccessDenied", message: "Access Denied & more", requestId: "HDR"))
        let bodiless = S3Error(call, response: HTTPResponse(status: 404), attempts: 1)
        XCTAssertEqual(bodiless.kind, .service(status: 404, code: "NotFound", message: "", requestId: nil))
        let fromBody = S3Error(call, response: HTTPResponse(status: 500, body: Array(s3ErrorXML("InternalError").utf8)), attempts: 1)
        XCTAssertEqual(fromBody.requestId, "R1", "request id from the body when the header is missing")
    }
}
