import HTTPClient

/// CreateBucket, for tests, demos and local servers: the Lambda itself never creates buckets.
extension S3Client {
    /// Creates `bucket` in the configured region. Outside us-east-1 S3 needs the region in a
    /// `CreateBucketConfiguration` body; in us-east-1 it must be absent.
    @discardableResult
    public func createBucket(_ bucket: String) throws(S3Error) -> S3CreateBucketResult {
        var call = Call(operation: "CreateBucket", method: "PUT", bucket: bucket, key: nil)
        if configuration.region != "us-east-1" {
            call.headers.append(HTTPHeader(name: "Content-Type", value: "application/xml"))
            call.body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        do {
            _ = try perform(call)
            return .created
        } catch where error.code == "BucketAlreadyOwnedByYou" {
            return .alreadyOwnedByYou
        }
    }
}

public enum S3CreateBucketResult: Sendable, Equatable {
    case created
    /// 409 BucketAlreadyOwnedByYou: fine for setup scripts and tests.
    case alreadyOwnedByYou
}
