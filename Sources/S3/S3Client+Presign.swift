import HTTPClient
import SigV4

/// Presigned URLs: let a browser or another process GET or PUT one object without credentials,
/// for a limited time (uploads go through these rather than a public-write bucket).
extension S3Client {
    /// A URL that performs `method` on the object until `expiresInSeconds` after `signedAt` (epoch
    /// seconds; default: the hooks' signing clock, now). `headers` (e.g. `Content-Type` for a PUT)
    /// are signed, so the user of the URL must send them unchanged. The body is not signed
    /// (`UNSIGNED-PAYLOAD`). An explicit `signedAt` lets a caller hand out identical URLs within a
    /// time window.
    public func presignedURL(method: String, bucket: String, key: String, expiresInSeconds: Int,
                             query: [(name: String, value: String)] = [],
                             headers: [HTTPHeader] = [], signedAt: Int64? = nil) -> String {
        let location = addressing.location(bucket: bucket, key: key)
        let clock = signedAt.map { time in { time } } ?? hooks.signingClock
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, clock: clock)
        let signed = signer.presign(SigV4Request(method: method, encodedPath: location.encodedPath, query: query,
                                                 headers: [(name: "Host", value: location.host)] + headers.map { ($0.name, $0.value) },
                                                 payloadHash: SigV4Signer.unsignedPayload),
                                    expiresInSeconds: expiresInSeconds)
        return location.url + "?" + signed.queryString
    }
}
