// The errors API tests throw on purpose.

/// A sample event is not shaped like an HTTP API event (a broken fixture fails the test).
struct SampleError: Error { var name: String }

/// A store failure whose text names the bucket, key and S3's XML error: a 500 must show none of it.
struct SimulatedS3Failure: Error, CustomStringConvertible {
    var description: String { "GetObject s3://secret-bucket/images.json: 503 SlowDown <Error><Code>SlowDown</Code></Error>" }
}
