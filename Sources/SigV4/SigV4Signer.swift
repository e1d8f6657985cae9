import Basics
/// AWS Signature Version 4, header and query (presigned) forms. Hand-written because the Lambda
/// binary carries no AWS SDK; checked against AWS's published test vectors (Tests/SigV4Tests/
/// Vectors), the S3 documentation's worked examples (S3Tests) and, step by step, botocore's
/// signers on thousands of generated requests (Tests/integration/test_sigv4_botocore.py).
public struct SigV4Signer {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// Payload hash for presigned S3 URLs, whose body the signer never sees.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    public var options: SigV4Options
    /// Signing time in epoch seconds; injectable so tests can reproduce recorded signatures.
    public var clock: () -> Int64

    public init(credentials: AWSCredentials, region: String, service: String = "s3",
                options: SigV4Options = .s3, clock: @escaping () -> Int64 = SystemClock.epochSeconds) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
        self.clock = clock
    }

    /// Signs with the `Authorization` header; append `result.headers` to the request.
    public func signHeaders(_ request: SigV4Request) -> SigV4HeaderSignature {
        let date = UTCTime(epochSeconds: clock())
        var added: [(name: String, value: String)] = []
        var signedHeaders = request.headers
        if let token = credentials.sessionToken {
            added.append((name: "X-Amz-Security-Token", value: token))
            if options.signSessionToken { signedHeaders.append((name: "X-Amz-Security-Token", value: token)) }
        }
        added.append((name: "X-Amz-Date", value: date.compactTimestamp))
        signedHeaders.append((name: "X-Amz-Date", value: date.compactTimestamp))
        if options.addContentSHA256Header {
            added.append((name: "x-amz-content-sha256", value: request.payloadHash))
            signedHeaders.append((name: "x-amz-content-sha256", value: request.payloadHash))
        }

        let canonicalHeaders = SigV4Canonical.headers(signedHeaders)
        let canonicalRequest = canonical(request, query: SigV4Canonical.query(request.query), headers: canonicalHeaders)
        let (stringToSign, signature) = sign(canonicalRequest, date: date)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope(date)), "
            + "SignedHeaders=\(canonicalHeaders.signed), Signature=\(signature)"
        added.append((name: "Authorization", value: authorization))
        return SigV4HeaderSignature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                                    signature: signature, authorization: authorization, headers: added)
    }

    /// Signs in the query string (a presigned URL valid for `expiresInSeconds`).
    public func presign(_ request: SigV4Request, expiresInSeconds: Int) -> SigV4QuerySignature {
        let date = UTCTime(epochSeconds: clock())
        let canonicalHeaders = SigV4Canonical.headers(request.headers)
        var signingQuery: [(name: String, value: String)] = [
            (name: "X-Amz-Algorithm", value: Self.algorithm),
            (name: "X-Amz-Credential", value: "\(credentials.accessKeyId)/\(scope(date))"),
            (name: "X-Amz-Date", value: date.compactTimestamp),
            (name: "X-Amz-SignedHeaders", value: canonicalHeaders.signed),
            (name: "X-Amz-Expires", value: String(expiresInSeconds)),
        ]
        let token = credentials.sessionToken
        if let token, options.signSessionToken { signingQuery.append((name: "X-Amz-Security-Token", value: token)) }

        let canonicalQuery = SigV4Canonical.query(request.query + signingQuery)
        let canonicalRequest = canonical(request, query: canonicalQuery, headers: canonicalHeaders)
        let (stringToSign, signature) = sign(canonicalRequest, date: date)

        var queryString = canonicalQuery
        if let token, !options.signSessionToken {
            queryString += "&X-Amz-Security-Token=" + URIEncoding.encodeQueryComponent(token)
            signingQuery.append((name: "X-Amz-Security-Token", value: token))
        }
        queryString += "&X-Amz-Signature=" + signature
        signingQuery.append((name: "X-Amz-Signature", value: signature))
        return SigV4QuerySignature(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                                   signature: signature, addedQuery: signingQuery, queryString: queryString)
    }

    // MARK: - Steps

    private func scope(_ date: UTCTime) -> String {
        "\(date.compactDay)/\(region)/\(service)/aws4_request"
    }

    private func canonical(_ request: SigV4Request, query: String,
                           headers: (block: String, signed: String)) -> String {
        var path = request.encodedPath.isEmpty ? "/" : request.encodedPath
        if options.normalizePath { path = SigV4Canonical.normalizedPath(path) }
        return [request.method, path, query, headers.block, headers.signed, request.payloadHash]
            .joined(separator: "\n")
    }

    private func sign(_ canonicalRequest: String, date: UTCTime) -> (stringToSign: String, signature: String) {
        let stringToSign = [Self.algorithm, date.compactTimestamp, scope(date),
                            Digest.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
        var key = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), Array(date.compactDay.utf8))
        key = Digest.hmacSHA256(key: key, Array(region.utf8))
        key = Digest.hmacSHA256(key: key, Array(service.utf8))
        key = Digest.hmacSHA256(key: key, Array("aws4_request".utf8))
        let signature = Hex.encode(Digest.hmacSHA256(key: key, Array(stringToSign.utf8)))
        return (stringToSign, signature)
    }
}
