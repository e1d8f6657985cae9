import Basics
import S3

extension S3ObjectStore {
    /// A conditional PutObject of `users/<sub>.json`, as the catalog is written: `If-Match` with
    /// the version read, or `If-None-Match: *` when there was none.
    public func writeRecord(of subject: Subject, bytes: [UInt8], ifMatch: String?) throws -> RecordWrite {
        do {
            let result = try client.putObject(bucket: bucket, key: key(for: .user(subject)), body: bytes,
                                              contentType: "application/json",
                                              condition: ifMatch.map { .ifMatch("\"\($0)\"") } ?? .ifNoneExists)
            return .written(etag: ETag.unquoted(result.etag))
        } catch {
            if error.isConditionalWriteLost { return .conflict }
            throw error
        }
    }
}
