import Basics
/// s3-record: runs a scripted sequence of S3 calls through the real `S3Client` against a local
/// S3 server and writes one fixture per HTTP exchange, for the replay tests in Tests/S3Tests.
/// Recording is done by hand when the client changes; the tests never need a server.
///
/// Recording command, from the repository root, with a fresh SeaweedFS S3 server listening on
/// 127.0.0.1:PORT and configured with the identity below (full steps: Tests/S3Tests/Fixtures/README.md):
///
///     AWS_ENDPOINT_URL_S3=http://127.0.0.1:PORT AWS_REGION=us-east-1 \
///     AWS_ACCESS_KEY_ID=imagecat-fixtures AWS_SECRET_ACCESS_KEY=imagecat-fixtures-secret \
///     swift run --scratch-path .build-s3 s3-record --bucket imagecat-fixtures --out Tests/S3Tests/Fixtures
///
/// Exits non-zero, naming the step, as soon as an answer is not the one the script expects.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HTTPClient
import S3

// MARK: - Arguments and environment

let environment = Environment.current()

var bucket = "imagecat-fixtures"
var outDirectory = "Tests/S3Tests/Fixtures"
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--bucket", "--out":
        guard let value = arguments.popFirst() else { fail("\(argument) needs a value") }
        if argument == "--bucket" { bucket = value } else { outDirectory = value }
    default: fail("unknown argument \(argument); usage: s3-record [--bucket NAME] [--out DIR]")
    }
}

let configuration: S3Configuration
do {
    configuration = try S3Configuration.fromEnvironment(environment)
} catch {
    fail("\(error)")
}
guard configuration.endpoint != nil else {
    fail("set AWS_ENDPOINT_URL_S3 to a local server (e.g. http://127.0.0.1:8333): fixtures are not recorded against AWS")
}
print("recording against \(configuration)")

// MARK: - Script

// The endpoint is a local http:// server (checked above): no TLS, so no CA bundle to find.
let recorder = RecordingTransport(wrapping: CurlTransport(), directory: outDirectory)
let client = S3Client(configuration: configuration, transport: recorder, requestTimeoutMs: 15_000)
var wrongSecret = configuration
wrongSecret.credentials.secretAccessKey += "-wrong"
let wrongClient = S3Client(configuration: wrongSecret, transport: recorder, retryPolicy: .none)

/// Runs one scripted call; `exchanges` names the fixtures its requests produce, in order.
@MainActor
func step<T>(_ exchanges: [(String, String)], _ call: () throws(S3Error) -> T) -> T {
    recorder.pending = exchanges.map { RecordingTransport.Expected(name: $0.0, description: $0.1) }
    let result: T
    do {
        result = try call()
    } catch {
        fail("\(exchanges[0].0): unexpected error: \(error)")
    }
    if !recorder.pending.isEmpty { fail("\(recorder.pending[0].name): the request was never sent") }
    return result
}

/// Runs one scripted call that must fail; returns the error for checking.
@MainActor
func failingStep(_ name: String, _ description: String, _ call: () throws(S3Error) -> Void) -> S3Error {
    recorder.pending = [RecordingTransport.Expected(name: name, description: description)]
    do {
        try call()
    } catch {
        if !recorder.pending.isEmpty { fail("\(name): the request was never sent") }
        print("  → \(error)")
        return error
    }
    fail("\(name): expected an error, got success")
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

let catalogKey = "images.json"
let catalogV1 = Array(#"[{"name":"cat.png","type":"png","size":1234}]"#.utf8)
let catalogV2 = Array(#"[{"name":"cat.png","type":"png","size":1234},{"name":"dog.jpg","type":"jpeg","size":5678}]"#.utf8)
let oddKey = "odd keys/café + ü=1&(2)%.json"

let created = step([("01-create-bucket", "CreateBucket on a fresh server: 200")]) { () throws(S3Error) in
    try client.createBucket(bucket)
}
expect(created == .created, "01: bucket already existed: start from an empty server data directory")

let put1 = step([("02-put-if-none-match", "PutObject images.json with If-None-Match: * (create only): 200 and an ETag")]) { () throws(S3Error) in
    try client.putObject(bucket: bucket, key: catalogKey, body: catalogV1, contentType: "application/json", condition: .ifNoneExists)
}

let existsError = failingStep("03-put-if-none-match-exists", "PutObject images.json again with If-None-Match: *: 412 PreconditionFailed") { () throws(S3Error) in
    _ = try client.putObject(bucket: bucket, key: catalogKey, body: catalogV1, contentType: "application/json", condition: .ifNoneExists)
}
expect(existsError.isPreconditionFailed, "03: expected 412")

let got = step([("04-get-object", "GetObject images.json: 200 with the body, ETag, Content-Type, Last-Modified")]) { () throws(S3Error) in
    try client.getObject(bucket: bucket, key: catalogKey)
}
expect(got.object?.body == catalogV1 && got.object?.etag == put1.etag, "04: body or ETag differs from the PUT")

let ranged = step([("05-get-object-range", "GetObject images.json with Range: bytes=0-9: 206, Content-Range gives the total size")]) { () throws(S3Error) in
    try client.getObject(bucket: bucket, key: catalogKey, range: S3ByteRange(first: 0, last: 9))
}
expect(ranged.object?.status == 206 && ranged.object?.body == Array(catalogV1.prefix(10)), "05: expected 206 with 10 bytes")

let unchanged = step([("06-get-object-if-none-match", "GetObject images.json with If-None-Match: <current ETag>: 304 Not Modified")]) { () throws(S3Error) in
    try client.getObject(bucket: bucket, key: catalogKey, ifNoneMatch: put1.etag)
}
expect(unchanged == .notModified(etag: put1.etag) || { if case .notModified = unchanged { true } else { false } }(), "06: expected 304")

let head = step([("07-head-object", "HeadObject images.json: 200, headers only")]) { () throws(S3Error) in
    try client.headObject(bucket: bucket, key: catalogKey)
}
expect(head?.contentLength == Int64(catalogV1.count), "07: HEAD size differs")

let missing = failingStep("08-get-object-missing", "GetObject missing.json: 404 NoSuchKey") { () throws(S3Error) in
    _ = try client.getObject(bucket: bucket, key: "missing.json")
}
expect(missing.code == "NoSuchKey", "08: expected NoSuchKey")

let put2 = step([("09-put-if-match", "PutObject images.json with If-Match: <current ETag>: 200, new ETag")]) { () throws(S3Error) in
    try client.putObject(bucket: bucket, key: catalogKey, body: catalogV2, contentType: "application/json", condition: .ifMatch(put1.etag))
}
expect(put2.etag != put1.etag, "09: ETag did not change")

let stale = failingStep("10-put-stale-if-match", "PutObject images.json with If-Match: <the old ETag>: 412 PreconditionFailed") { () throws(S3Error) in
    _ = try client.putObject(bucket: bucket, key: catalogKey, body: catalogV1, contentType: "application/json", condition: .ifMatch(put1.etag))
}
expect(stale.isPreconditionFailed, "10: expected 412")

let forbidden = failingStep("11-get-object-wrong-secret", "GetObject images.json signed with a wrong secret key: 403 SignatureDoesNotMatch") { () throws(S3Error) in
    _ = try wrongClient.getObject(bucket: bucket, key: catalogKey)
}
expect(forbidden.code == "SignatureDoesNotMatch", "11: expected SignatureDoesNotMatch")

for (index, name) in ["a.txt", "b.txt", "c.txt"].enumerated() {
    _ = step([("\(12 + index)-put-list-\(name.prefix(1))", "PutObject list/\(name) (listing setup): 200")]) { () throws(S3Error) in
        try client.putObject(bucket: bucket, key: "list/\(name)", body: Array("content of \(name)\n".utf8), contentType: "text/plain")
    }
}

let page1 = step([("15-list-page-1", "ListObjectsV2 prefix=list/ max-keys=2: first page, truncated, with a continuation token")]) { () throws(S3Error) in
    try client.listObjectsV2(bucket: bucket, prefix: "list/", maxKeys: 2)
}
expect(page1.entries.map(\.key) == ["list/a.txt", "list/b.txt"] && page1.isTruncated, "15: unexpected first page \(page1)")

let page2 = step([("16-list-page-2", "ListObjectsV2 prefix=list/ max-keys=2 with the continuation token: last page")]) { () throws(S3Error) in
    try client.listObjectsV2(bucket: bucket, prefix: "list/", continuationToken: page1.nextContinuationToken, maxKeys: 2)
}
expect(page2.entries.map(\.key) == ["list/c.txt"] && !page2.isTruncated, "16: unexpected second page \(page2)")

_ = step([("17-put-odd-key", "PutObject under a key with a space, unicode, + = & ( ) %: 200")]) { () throws(S3Error) in
    try client.putObject(bucket: bucket, key: oddKey, body: Array("{}".utf8), contentType: "application/json")
}

let odd = step([("18-get-odd-key", "GetObject of the odd key: 200")]) { () throws(S3Error) in
    try client.getObject(bucket: bucket, key: oddKey)
}
expect(odd.object?.body == Array("{}".utf8), "18: odd key body differs")

let oddList = step([("19-list-odd-prefix", "ListObjectsV2 prefix='odd keys/': the key comes back XML-escaped")]) { () throws(S3Error) in
    try client.listObjectsV2(bucket: bucket, prefix: "odd keys/")
}
expect(oddList.entries.map(\.key) == [oddKey], "19: listed keys \(oddList.entries.map(\.key))")

// A real server cannot be made to throttle: the first answer is written from AWS's documented
// SlowDown error (status 503, code SlowDown, "Please reduce your request rate.") without sending
// the request; the client's retry then goes to the server for real.
recorder.synthetic = (
    HTTPResponse(status: 503, headers: [
        HTTPHeader(name: "x-amz-request-id", value: "SLOWDOWNEXAMPLE01"),
        HTTPHeader(name: "x-amz-id-2", value: "synthetic/not-from-a-server"),
        HTTPHeader(name: "content-type", value: "application/xml"),
        HTTPHeader(name: "server", value: "AmazonS3"),
    ], body: Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
        + "<Message>Please reduce your request rate.</Message><RequestId>SLOWDOWNEXAMPLE01</RequestId>"
        + "<HostId>synthetic/not-from-a-server</HostId></Error>").utf8)),
    "Response not from the server: written from the SlowDown error AWS documents (503, code SlowDown, "
        + "message 'Please reduce your request rate.'); the request was signed by the client but not sent.")
let afterSlowDown = step([
    ("20-get-slowdown-503", "GetObject images.json answered 503 SlowDown (synthetic, see note): the client retries"),
    ("21-get-after-slowdown", "The retry of GetObject images.json after SlowDown: 200"),
]) { () throws(S3Error) in
    try client.getObject(bucket: bucket, key: catalogKey)
}
expect(afterSlowDown.object?.body == catalogV2, "21: body after retry differs")

step([("22-delete-object", "DeleteObject images.json: 204")]) { () throws(S3Error) in
    try client.deleteObject(bucket: bucket, key: catalogKey)
}

let gone = step([("23-head-deleted", "HeadObject images.json after the delete: 404, no body")]) { () throws(S3Error) in
    try client.headObject(bucket: bucket, key: catalogKey)
}
expect(gone == nil, "23: object still there")

// Multipart: a catalog spliced from a server-side copy of another object's first 5 MiB (S3's
// smallest part but the last) and a small uploaded tail, completed as a compare-and-swap. The
// 5 MiB source is written without recording: its body would make a 5 MB fixture.
let direct = S3Client(configuration: configuration, transport: CurlTransport(), requestTimeoutMs: 15_000)
let fiveMiB = 5 * 1024 * 1024
let source: S3PutObjectResult
do {
    source = try direct.putObject(bucket: bucket, key: "source.json", body: [UInt8](repeating: UInt8(ascii: " "), count: fiveMiB + 10),
                                  contentType: "application/json")
} catch {
    fail("writing the 5 MiB copy source (not recorded): \(error)")
}
let tail = Array("[]\n".utf8)

let upload = step([("24-create-multipart-upload", "CreateMultipartUpload spliced.json: 200 with an UploadId")]) { () throws(S3Error) in
    try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
}
let parts = step([
    ("25-upload-part-copy", "UploadPartCopy part 1 = bytes 0-5242879 of source.json, x-amz-copy-source-if-match its ETag: 200 with CopyPartResult"),
    ("26-upload-part", "UploadPart part 2 (a 3-byte tail, the last part may be small): 200 with the part's ETag"),
]) { () throws(S3Error) in
    try client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload, parts: [
        S3Client.Part(number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: Int64(fiveMiB) - 1), ifMatch: source.etag)),
        S3Client.Part(number: 2, source: .bytes(tail)),
    ]).map { result throws(S3Error) in try result.get() }
}
let spliced = step([("27-complete-if-none-match", "CompleteMultipartUpload of the two parts with If-None-Match: *: 200, ETag <md5 of the part md5s>-2")]) { () throws(S3Error) in
    try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload, partETags: parts, condition: .ifNoneExists)
}
expect(spliced == S3Client.predictedETag(ofParts: parts), "27: ETag \(spliced) is not the one predicted from the parts")

let upload2 = step([("28-create-multipart-upload-2", "CreateMultipartUpload spliced.json again: 200 with another UploadId")]) { () throws(S3Error) in
    try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
}
let staleCopy = step([("29-upload-part-copy-stale", "UploadPartCopy with x-amz-copy-source-if-match of another ETag: 412 PreconditionFailed")]) { () throws(S3Error) in
    client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload2, parts: [
        S3Client.Part(number: 1, source: .copy(key: "source.json", range: S3ByteRange(first: 0, last: 9), ifMatch: spliced)),
    ])
}
expect({ if case .failure(let error) = staleCopy[0] { error.isPreconditionFailed } else { false } }(), "29: expected 412, got \(staleCopy)")
let part2 = step([("30-upload-part-2", "UploadPart part 1 of the second upload: 200")]) { () throws(S3Error) in
    try client.uploadParts(bucket: bucket, key: "spliced.json", uploadID: upload2, parts: [S3Client.Part(number: 1, source: .bytes(tail))])[0].get()
}
let staleComplete = failingStep("31-complete-stale-if-match", "CompleteMultipartUpload with If-Match of an ETag the object no longer has: 412") { () throws(S3Error) in
    _ = try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload2, partETags: [part2],
                                           condition: .ifMatch(source.etag))
}
expect(staleComplete.isConditionalWriteLost, "31: expected 412")
step([("32-abort-multipart-upload", "AbortMultipartUpload of the second upload: 204")]) { () throws(S3Error) in
    try client.abortMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload2)
}
let aborted = failingStep("33-complete-aborted", "CompleteMultipartUpload of the aborted upload: 404 NoSuchUpload") { () throws(S3Error) in
    _ = try client.completeMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload2, partETags: [part2],
                                           condition: .ifMatch(spliced))
}
expect(aborted.status == 404, "33: expected 404, got \(aborted)")

let upload3 = step([("34-create-multipart-upload-3", "CreateMultipartUpload spliced.json a third time: 200 with another UploadId")]) { () throws(S3Error) in
    try client.createMultipartUpload(bucket: bucket, key: "spliced.json", contentType: "application/json")
}
let inProgress = step([("35-list-multipart-uploads", "ListMultipartUploads prefix=spliced.json: the third upload alone (the first completed, the second aborted)")]) { () throws(S3Error) in
    try client.listMultipartUploads(bucket: bucket, prefix: "spliced.json")
}
expect(inProgress.map(\.uploadID) == [upload3] && inProgress.allSatisfy { $0.key == "spliced.json" }, "35: expected the third upload alone, got \(inProgress)")
step([("36-abort-multipart-upload-3", "AbortMultipartUpload of the third upload: 204")]) { () throws(S3Error) in
    try client.abortMultipartUpload(bucket: bucket, key: "spliced.json", uploadID: upload3)
}

print("wrote \(recorder.written.count) fixtures to \(outDirectory)")
