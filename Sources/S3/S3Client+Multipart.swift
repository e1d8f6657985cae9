import Basics
import HTTPClient
import SigV4

/// Multipart uploads: how a big catalog is written without sending all of it. Untouched ranges
/// of the old object are copied server-side (`UploadPartCopy`, pinned to the version read with
/// `x-amz-copy-source-if-match`), only the changed ranges are uploaded, and
/// `CompleteMultipartUpload` with `If-Match` (or `If-None-Match: *`) makes the whole write a
/// compare-and-swap, like a conditional PutObject.
extension S3Client {
    /// One part of an upload, by number (1…10,000, in the object's order).
    public struct Part: Sendable {
        public enum Source: Sendable {
            /// Bytes sent with the request.
            case bytes([UInt8])
            /// Bytes `range` of object `key` in the same bucket, only if it is still the version
            /// with ETag `ifMatch` (quoted, as S3 sends it).
            case copy(key: String, range: S3ByteRange, ifMatch: String)
        }
        public var number: Int
        public var source: Source

        public init(number: Int, source: Source) {
            self.number = number
            self.source = source
        }
    }

    /// `CreateMultipartUpload`: the upload's id.
    public func createMultipartUpload(bucket: String, key: String, contentType: String) throws(S3Error) -> String {
        let call = Self.createCall(bucket: bucket, key: key, contentType: contentType)
        return try Self.uploadID(try perform(call), of: call)
    }

    /// `getObjectRanges` and `createMultipartUpload` of `key` sent at the same time: a writer
    /// reads what it will rewrite while S3 creates the upload it will write to, in one round
    /// trip rather than two. Each gets its own result.
    public func getObjectRanges(bucket: String, reads: [RangeGet], creatingUploadOf key: String,
                                contentType: String) -> (reads: [Result<S3RangeRead, S3Error>], upload: Result<String, S3Error>) {
        let calls = reads.map { Self.getObjectCall(bucket: bucket, $0) }
        let create = Self.createCall(bucket: bucket, key: key, contentType: contentType)
        let answers = performAll(calls + [create])
        let upload = answers.last!.flatMap { response in Result { () throws(S3Error) in try Self.uploadID(response, of: create) } }
        return (Self.rangeReads(reads, answers.dropLast(), bucket: bucket), upload)
    }

    /// An upload `startCreatingUpload` created, with its part sent into it.
    public struct StartedUpload {
        let create: StartedCall
        let followUp: FollowUp
        let part: Part
    }

    /// `createMultipartUpload` of `key`, and `part` sent into the new upload the moment S3
    /// answers, both returning before their answers: the part (a copy the server takes long
    /// over) starts as soon as the upload exists, while the caller makes its other round trips,
    /// not a round trip of the caller's later. `finishCreatingUpload` collects the upload.
    public func startCreatingUpload(bucket: String, key: String, contentType: String, thenPart part: Part) -> StartedUpload {
        let create = Self.createCall(bucket: bucket, key: key, contentType: contentType)
        let (first, followUp) = start(create) { response in
            (try? Self.uploadID(response, of: create)).map { Self.partCall(bucket: bucket, key: key, uploadID: $0, part: part) }
        }
        return StartedUpload(create: first, followUp: followUp, part: part)
    }

    /// The id of the upload `startCreatingUpload` created (retried as any call) and its part,
    /// still in flight (`finishUploadPart` collects it): sent now when it could not be sent
    /// with the first answer (a retried creation).
    public func finishCreatingUpload(_ started: StartedUpload) -> Result<(uploadID: String, part: StartedCall), S3Error> {
        let call = started.create.call
        let created = finish(started.create).flatMap { response in Result { () throws(S3Error) in try Self.uploadID(response, of: call) } }
        let sent = started.followUp.call.flatMap { call in started.followUp.request.map { StartedCall(call: call, request: $0) } }
        if sent == nil, let request = started.followUp.request { _ = transport.finish(request) }    // not sent: its answer says so
        return created.map { id in
            (id, sent ?? startUploadPart(bucket: call.bucket, key: call.key ?? "", uploadID: id, part: started.part))
        }
    }

    static func createCall(bucket: String, key: String, contentType: String) -> Call {
        Call(operation: "CreateMultipartUpload", method: "POST", bucket: bucket, key: key,
             query: [(name: "uploads", value: "")], headers: [HTTPHeader(name: "Content-Type", value: contentType)])
    }

    static func uploadID(_ response: HTTPResponse, of call: Call) throws(S3Error) -> String {
        guard let id = XMLExtractor.firstText("UploadId", in: response.body[...]), !id.isEmpty else {
            throw S3Error(operation: call.operation, bucket: call.bucket, key: call.key,
                          kind: .invalidResponse(status: response.status, reason: "no <UploadId>"))
        }
        return id
    }

    /// `UploadPart` and `UploadPartCopy` for many parts at once (concurrently, like every batch):
    /// each part's ETag, quoted, or its error. A copy whose source is no longer the version
    /// named fails with 412 (`isPreconditionFailed`).
    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [Part]) -> [Result<String, S3Error>] {
        uploadParts(bucket: bucket, key: key, uploadID: uploadID, parts: parts, reading: []).parts
    }

    /// `uploadParts` and `getObjectRanges` sent at the same time: a writer learns what decides
    /// whether it may complete while its last part goes up, one round trip rather than two.
    public func uploadParts(bucket: String, key: String, uploadID: String, parts: [Part],
                            reading reads: [RangeGet]) -> (parts: [Result<String, S3Error>], reads: [Result<S3RangeRead, S3Error>]) {
        let calls = parts.map { Self.partCall(bucket: bucket, key: key, uploadID: uploadID, part: $0) }
        let gets = reads.map { Self.getObjectCall(bucket: bucket, $0) }
        let answers = performAll(calls + gets)
        return (zip(calls, answers).map(Self.partETag), Self.rangeReads(reads, answers.dropFirst(calls.count), bucket: bucket))
    }

    /// `uploadParts` of one part, returning before S3 answers: a copy the server takes long over
    /// (the unchanged first 176 MB of a catalog: a second or more) goes on while the caller
    /// makes its other round trips. Every started part must be finished.
    public func startUploadPart(bucket: String, key: String, uploadID: String, part: Part) -> StartedCall {
        start(Self.partCall(bucket: bucket, key: key, uploadID: uploadID, part: part))
    }

    /// The ETag of a part `startUploadPart` sent, or its error (retried as in `uploadParts`).
    public func finishUploadPart(_ part: StartedCall) -> Result<String, S3Error> {
        Self.partETag(part.call, finish(part))
    }

    static func partCall(bucket: String, key: String, uploadID: String, part: Part) -> Call {
        var call = Call(operation: "UploadPart", method: "PUT", bucket: bucket, key: key,
                        query: [(name: "partNumber", value: String(part.number)), (name: "uploadId", value: uploadID)])
        switch part.source {
        case .bytes(let body):
            call.body = body
            call.carriesObjectBytes = true
        case .copy(let source, let range, let ifMatch):
            call.operation = "UploadPartCopy"
            call.errorInBody = true
            call.headers = [
                HTTPHeader(name: "x-amz-copy-source", value: "/" + URIEncoding.encodePath(bucket) + "/" + URIEncoding.encodePath(source)),
                HTTPHeader(name: "x-amz-copy-source-if-match", value: ifMatch),
                HTTPHeader(name: "x-amz-copy-source-range", value: range.headerValue),
            ]
        }
        return call
    }

    /// A part's ETag, quoted, from its answer: a copy's is in the body, an upload's in a header.
    static func partETag(_ call: Call, _ result: Result<HTTPResponse, S3Error>) -> Result<String, S3Error> {
        result.flatMap { response -> Result<String, S3Error> in
            let etag = call.operation == "UploadPartCopy"
                ? XMLExtractor.firstText("ETag", in: response.body[...]) : response.header("etag")
            guard let etag, !etag.isEmpty else {
                return .failure(S3Error(operation: call.operation, bucket: call.bucket, key: call.key,
                                        kind: .invalidResponse(status: response.status, reason: "no ETag for the part")))
            }
            return .success(etag)
        }
    }

    /// `CompleteMultipartUpload` of parts 1…n with these ETags (quoted), as a compare-and-swap:
    /// `condition` as for `putObject`. Returns the new object's ETag, quoted. Losing is 412 (or
    /// 409 while another conditional write is in flight): `isConditionalWriteLost`.
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, partETags: [String],
                                        condition: S3WriteCondition?) throws(S3Error) -> String {
        let call = Self.completeCall(bucket: bucket, key: key, uploadID: uploadID, partETags: partETags, condition: condition)
        return try Self.completeResult(try perform(call), of: call)
    }

    /// `completeMultipartUpload` and an unconditional `putObject` of a small object beside it,
    /// sent at the same time: one round trip for both rather than one after the other (a big
    /// catalog's index goes with the version it describes). Each gets its own result.
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, partETags: [String],
                                        condition: S3WriteCondition?, putting companion: String, body: [UInt8],
                                        contentType: String) -> (completed: Result<String, S3Error>, put: Result<S3PutObjectResult, S3Error>) {
        let complete = Self.completeCall(bucket: bucket, key: key, uploadID: uploadID, partETags: partETags, condition: condition)
        let put = Self.putObjectCall(bucket: bucket, key: companion, body: body, contentType: contentType, condition: nil)
        let answers = performAll([complete, put])
        return (answers[0].flatMap { response in Result { () throws(S3Error) in try Self.completeResult(response, of: complete) } },
                answers[1].flatMap { response in Result { () throws(S3Error) in try Self.putObjectResult(response, of: put) } })
    }

    static func completeCall(bucket: String, key: String, uploadID: String, partETags: [String],
                             condition: S3WriteCondition?) -> Call {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (i, etag) in partETags.enumerated() {
            body += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLExtractor.escaped(etag))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        var call = Call(operation: "CompleteMultipartUpload", method: "POST", bucket: bucket, key: key,
                        query: [(name: "uploadId", value: uploadID)],
                        headers: [HTTPHeader(name: "Content-Type", value: "application/xml")], body: Array(body.utf8))
        call.errorInBody = true
        if let condition { call.headers.append(condition.header) }
        return call
    }

    static func completeResult(_ response: HTTPResponse, of call: Call) throws(S3Error) -> String {
        guard let etag = XMLExtractor.firstText("ETag", in: response.body[...]) ?? response.header("etag"), !etag.isEmpty else {
            throw S3Error(operation: call.operation, bucket: call.bucket, key: call.key,
                          kind: .invalidResponse(status: response.status, reason: "no <ETag> in the answer"))
        }
        return etag
    }

    /// `AbortMultipartUpload`: frees the parts of an upload that will not be completed. An upload
    /// that is not there (404 `NoSuchUpload`) is what an abort is for: a retry whose first attempt
    /// landed, its answer lost, gets that answer, and its caller must not take the upload for
    /// one still in progress.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) throws(S3Error) {
        do {
            _ = try perform(Call(operation: "AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key,
                                 query: [(name: "uploadId", value: uploadID)]))
        } catch where error.code == "NoSuchUpload" {
            return
        }
    }

    /// `ListMultipartUploads` under `prefix`: the uploads started and neither completed nor
    /// aborted yet, one page (up to 1,000), in the server's order (S3: by key, then by start time;
    /// SeaweedFS: by key, then by id). Writers read it to see who else is writing the same object.
    public func listMultipartUploads(bucket: String, prefix: String) throws(S3Error) -> [S3UploadListing] {
        let call = Self.listUploadsCall(bucket: bucket, prefix: prefix)
        return try Self.uploadListings(try perform(call), of: call)
    }

    /// `getObjectRanges` and `listMultipartUploads` under `prefix` sent at the same time: a
    /// writer learns who else is writing and whether the version it read is still current in one
    /// round trip. Each gets its own result.
    public func getObjectRanges(bucket: String, reads: [RangeGet], listingUploadsUnder prefix: String)
        -> (reads: [Result<S3RangeRead, S3Error>], uploads: Result<[S3UploadListing], S3Error>) {
        let calls = reads.map { Self.getObjectCall(bucket: bucket, $0) }
        let list = Self.listUploadsCall(bucket: bucket, prefix: prefix)
        let answers = performAll(calls + [list])
        let uploads = answers.last!.flatMap { response in Result { () throws(S3Error) in try Self.uploadListings(response, of: list) } }
        return (Self.rangeReads(reads, answers.dropLast(), bucket: bucket), uploads)
    }

    static func listUploadsCall(bucket: String, prefix: String) -> Call {
        Call(operation: "ListMultipartUploads", method: "GET", bucket: bucket, key: nil,
             query: [(name: "prefix", value: prefix), (name: "uploads", value: "")])
    }

    static func uploadListings(_ response: HTTPResponse, of call: Call) throws(S3Error) -> [S3UploadListing] {
        func invalid(_ reason: String) -> S3Error {
            S3Error(operation: call.operation, bucket: call.bucket, key: nil, kind: .invalidResponse(status: response.status, reason: reason))
        }
        guard let result = XMLExtractor.elements("ListMultipartUploadsResult", in: response.body[...]).first else {
            throw invalid("no <ListMultipartUploadsResult> element")
        }
        var uploads: [S3UploadListing] = []
        for item in XMLExtractor.elements("Upload", in: result) {
            guard let key = XMLExtractor.firstText("Key", in: item), let id = XMLExtractor.firstText("UploadId", in: item),
                  let initiated = XMLExtractor.firstText("Initiated", in: item) else {
                throw invalid("<Upload> without <Key>, <UploadId> or <Initiated>")
            }
            uploads.append(S3UploadListing(key: key, uploadID: id, initiated: initiated))
        }
        return uploads
    }

    /// The ETag S3 gives an object stored by one PutObject of `body` (without SSE-KMS): its MD5.
    public static func predictedETag(ofBody body: ArraySlice<UInt8>) -> String {
        "\"" + Hex.encode(Digest.md5(body)) + "\""
    }

    /// The ETag S3 gives an object completed from parts with these ETags (without SSE-KMS): the
    /// MD5 of their 16-byte digests, then `-` and the number of parts. A part's digest is its ETag's
    /// 32 hex digits (SeaweedFS answers a copied part with `<digest>-<n>`: the digits before the
    /// `-` are what it combines). `nil` if a part's ETag has no such digest.
    public static func predictedETag(ofParts partETags: [String]) -> String? {
        var digests: [UInt8] = []
        for etag in partETags {
            let hex = Array(etag.utf8.filter { $0 != UInt8(ascii: "\"") }.prefix { $0 != UInt8(ascii: "-") })
            guard hex.count == 32 else { return nil }
            for i in stride(from: 0, to: 32, by: 2) {
                guard let high = ASCII.hexValue(hex[i]), let low = ASCII.hexValue(hex[i + 1]) else { return nil }
                digests.append(high << 4 | low)
            }
        }
        return "\"" + Hex.encode(Digest.md5(digests[...])) + "-\(partETags.count)\""
    }
}
