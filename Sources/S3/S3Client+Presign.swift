/// Presigned URLs: let a browser or another process GET or PUT one object without credentials,
/// for a limited time (uploads go through these rather than a public-write bucket).
extension S3Client {
    /// A URL that performs `method` on the object until `expiresInSeconds` from now. `headers`
    /// (e.g. `Content-Type` for a PUT) are signed, so the user of the URL must send them unchanged.
    /// The body is not signed (`UNSIGNED-PAYLOAD`).
    public func presignedURL(method: String, bucket: String, key: String, expiresInSeconds: Int,
                             headers: [(name: String, value: String)] = []) -> String {
        let location = addressing.location(bucket: bucket, key: key)
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region,
                                 clock: hooks.signingClock)
        let signed = signer.presign(SigV4Request(method: method, encodedPath: location.encodedPath,
                                                 headers: [(name: "Host", value: location.host)] + headers,
                                                 payloadHash: SigV4Signer.unsignedPayload),
                                    expiresInSeconds: expiresInSeconds)
        return location.url + "?" + signed.queryString
    }
}
