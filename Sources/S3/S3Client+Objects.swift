import HTTPClient

/// Object operations: GetObject, HeadObject, PutObject, DeleteObject, with the conditional
/// headers the catalog's compare-and-swap relies on.
extension S3Client {
    /// Fetches an object, or part of it. With `ifNoneMatch` (an ETag), an unchanged object gives
    /// `.notModified` instead of its bytes; with `ifMatch`, a changed one fails with 412.
    public func getObject(bucket: String, key: String, range: S3ByteRange? = nil,
                          ifNoneMatch: String? = nil, ifMatch: String? = nil) throws(S3Error) -> S3GetObjectResult {
        Self.getObjectResult(try perform(Self.getObjectCall(bucket: bucket, key: key, range: range,
                                                            ifNoneMatch: ifNoneMatch, ifMatch: ifMatch)))
    }

    static func getObjectCall(bucket: String, key: String, range: S3ByteRange?,
                              ifNoneMatch: String?, ifMatch: String?) -> Call {
        var call = Call(operation: "GetObject", method: "GET", bucket: bucket, key: key)
        if let range {
            call.headers.append(HTTPHeader(name: "Range", value: range.headerValue))
            // A server that ignores the range must not fill memory with the whole object; room
            // is left for an error's body.
            if let length = range.length { call.maxBodyBytes = Int(clamping: max(length, 64 * 1024)) }
        }
        if let ifMatch { call.headers.append(HTTPHeader(name: "If-Match", value: ifMatch)) }
        if let ifNoneMatch {
            call.headers.append(HTTPHeader(name: "If-None-Match", value: ifNoneMatch))
            call.accept = { (200..<300).contains($0) || $0 == 304 }
        }
        return call
    }

    /// An accepted GetObject answer: the object, or 304 "unchanged".
    static func getObjectResult(_ response: HTTPResponse) -> S3GetObjectResult {
        if response.status == 304 { return .notModified(etag: response.header("etag")) }
        return .object(S3Object(info: S3ObjectInfo(response: response), body: response.body))
    }

    /// An object's metadata, or `nil` when HEAD answers 404 (HEAD has no body, so a missing
    /// bucket looks the same as a missing key).
    public func headObject(bucket: String, key: String) throws(S3Error) -> S3ObjectInfo? {
        try Self.headObjectResult(performAll([Self.headObjectCall(bucket: bucket, key: key)])[0])
    }

    static func headObjectCall(bucket: String, key: String) -> Call {
        Call(operation: "HeadObject", method: "HEAD", bucket: bucket, key: key)
    }

    /// A HEAD's outcome: the metadata, `nil` for a 404, else the error.
    static func headObjectResult(_ result: Result<HTTPResponse, S3Error>) throws(S3Error) -> S3ObjectInfo? {
        switch result {
        case .success(let response): return S3ObjectInfo(response: response)
        case .failure(let error) where error.isNotFound: return nil
        case .failure(let error): throw error
        }
    }

    /// Stores `body` under `key` and returns the new ETag. `condition` makes the write a
    /// compare-and-swap: `.ifMatch(etag)` or `.ifNoneExists`; losing gives 412 (or 409 when
    /// another conditional write is in flight), see `S3Error.isPreconditionFailed`/`isConflict`.
    public func putObject(bucket: String, key: String, body: [UInt8],
                          contentType: String = "application/octet-stream",
                          condition: S3WriteCondition? = nil) throws(S3Error) -> S3PutObjectResult {
        let call = Self.putObjectCall(bucket: bucket, key: key, body: body, contentType: contentType, condition: condition)
        return try Self.putObjectResult(try perform(call), of: call)
    }

    static func putObjectCall(bucket: String, key: String, body: [UInt8], contentType: String,
                              condition: S3WriteCondition?) -> Call {
        // Always name the content type: libcurl would otherwise send a form-encoded one.
        var call = Call(operation: "PutObject", method: "PUT", bucket: bucket, key: key,
                        headers: [HTTPHeader(name: "Content-Type", value: contentType)], body: body)
        call.carriesObjectBytes = true
        if let condition { call.headers.append(condition.header) }
        return call
    }

    static func putObjectResult(_ response: HTTPResponse, of call: Call) throws(S3Error) -> S3PutObjectResult {
        guard let etag = response.header("etag") else {
            throw S3Error(operation: call.operation, bucket: call.bucket, key: call.key,
                          kind: .invalidResponse(status: response.status, reason: "no ETag header"))
        }
        return S3PutObjectResult(status: response.status, etag: etag)
    }

    /// Deletes an object. S3 answers 204 whether or not it existed.
    public func deleteObject(bucket: String, key: String) throws(S3Error) {
        _ = try perform(Self.deleteCall(bucket: bucket, key: key))
    }

    /// `deleteObject`, sent and left in flight (see `HTTPTransport.start`) while the caller
    /// makes other calls; `finishDeleteObject` collects it.
    public func startDeleteObject(bucket: String, key: String) -> StartedCall {
        start(Self.deleteCall(bucket: bucket, key: key))
    }

    /// The answer to a delete `startDeleteObject` sent. Not retried: a best-effort delete is not
    /// worth the time, and a retry would land later than its caller expects.
    public func finishDeleteObject(_ delete: StartedCall) throws(S3Error) {
        _ = try finish(delete, retrying: false).get()
    }

    static func deleteCall(bucket: String, key: String) -> Call {
        Call(operation: "DeleteObject", method: "DELETE", bucket: bucket, key: key)
    }
}

/// Conditions for PutObject: S3's compare-and-swap.
public enum S3WriteCondition: Sendable, Equatable {
    /// Write only if the object's current ETag is this one (`If-Match`).
    case ifMatch(String)
    /// Write only if no object exists under the key (`If-None-Match: *`).
    case ifNoneExists

    var header: HTTPHeader {
        switch self {
        case .ifMatch(let etag): HTTPHeader(name: "If-Match", value: etag)
        case .ifNoneExists: HTTPHeader(name: "If-None-Match", value: "*")
        }
    }
}

/// What a successful PutObject returns.
public struct S3PutObjectResult: Sendable, Equatable {
    public var status: Int
    /// The new object's ETag, quotes included.
    public var etag: String

    public init(status: Int, etag: String) {
        self.status = status
        self.etag = etag
    }
}
