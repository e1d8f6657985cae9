import Basics
import HTTPClient
import XCTest
import TestSupport
@testable import SigV4
@testable import S3

/// `X-Amzn-Trace-Id` on every S3 request when the owner sets a trace header, and never signed:
/// as AWS SDKs send it inside Lambda, for the recursive-loop detection that follows it.
final class TraceHeaderTests: XCTestCase {
    let trace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"

    func client(_ transport: HTTPTransport, hooks: S3ClientHooks = FakeTime().hooks()) -> S3Client {
        S3Client(configuration: S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                endpoint: "http://127.0.0.1:9"),
                 transport: transport, hooks: hooks)
    }

    func testEveryRequestCarriesTheTraceHeaderUnsigned() throws {
        let transport = ScriptedTransport(statuses: [200, 200, 503, 200, 200])
        let client = client(transport)
        client.traceHeader = trace
        _ = try client.getObject(bucket: "b", key: "k")
        _ = try client.putObject(bucket: "b", key: "images.json", body: Array("[]".utf8), contentType: "application/json",
                                 condition: .ifNoneExists)
        _ = client.headObjects(bucket: "b", keys: ["a", "c"])
        XCTAssertEqual(transport.requests.count, 5, "a retry too")
        for request in transport.requests {
            XCTAssertEqual(request.header("X-Amzn-Trace-Id"), trace, request.url)
            let authorization = try XCTUnwrap(request.header("Authorization"))
            let signed = try XCTUnwrap(authorization.split(separator: ",").first { $0.contains("SignedHeaders=") })
            XCTAssertFalse(signed.lowercased().contains("x-amzn-trace-id"), "never signed: \(signed)")
        }
    }

    /// The header changes nothing of the signature: the same request signed with and without it
    /// carries the same `Authorization`.
    func testTheSignatureIsTheSameWithOrWithoutIt() throws {
        let plain = ScriptedTransport(statuses: [200])
        _ = try client(plain).getObject(bucket: "b", key: "k")
        let traced = ScriptedTransport(statuses: [200])
        let tracing = client(traced)
        tracing.traceHeader = trace
        _ = try tracing.getObject(bucket: "b", key: "k")
        XCTAssertEqual(plain.requests[0].header("Authorization"), traced.requests[0].header("Authorization"))
        XCTAssertNil(plain.requests[0].header("X-Amzn-Trace-Id"))
    }

    func testNoTraceHeaderWhenUnset() throws {
        let transport = ScriptedTransport(statuses: [200])
        _ = try client(transport).getObject(bucket: "b", key: "k")
        XCTAssertNil(transport.requests[0].header("X-Amzn-Trace-Id"))
    }
}

/// `S3ClientHooks.requestDone`: one record per attempt, answered or not, retries marked.
final class RequestDoneHookTests: XCTestCase {
    func testEveryAttemptIsReportedWithItsStatusAndDuration() throws {
        final class Records { var all: [S3RequestRecord] = [] }
        let records = Records()
        var hooks = FakeTime().hooks()
        hooks.requestDone = { records.all.append($0) }
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 503, body: Array(s3ErrorXML("SlowDown").utf8), durationMs: 21.5)),
            .failure(HTTPTransportError(code: 56, message: "reset", method: "GET", url: "u")),
            .response(HTTPResponse(status: 200, durationMs: 12)),
        ])
        let client = S3Client(configuration: S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, hooks: hooks)
        _ = try client.getObject(bucket: "b", key: "k")
        XCTAssertEqual(records.all, [
            S3RequestRecord(operation: "GetObject", status: 503, durationMs: 21.5, attempt: 1),
            S3RequestRecord(operation: "GetObject", status: nil, durationMs: nil, attempt: 2),
            S3RequestRecord(operation: "GetObject", status: 200, durationMs: 12, attempt: 3),
        ])
        XCTAssertEqual(records.all.filter(\.isRetry).count, 2)
    }

    /// A body libcurl resent on a fresh connection is a retry in the record too (`S3Retries`).
    func testABodyLibcurlResentIsReportedAsARetry() throws {
        final class Records { var all: [S3RequestRecord] = [] }
        let records = Records()
        var hooks = FakeTime().hooks()
        hooks.requestDone = { records.all.append($0) }
        let transport = ScriptedTransport([.response(HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"e\"")],
                                                                  durationMs: 9, resent: true))])
        let client = S3Client(configuration: S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, hooks: hooks)
        _ = try client.putObject(bucket: "b", key: "k", body: [1])
        XCTAssertEqual(records.all, [S3RequestRecord(operation: "PutObject", status: 200, durationMs: 9, attempt: 2)])
        XCTAssertTrue(records.all[0].isRetry)
    }
}
