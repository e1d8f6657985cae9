import JSON
import SigV4

extension SignJob {
    /// Signs with the same `SigV4Signer` calls `S3Client` makes (`signHeaders` for its requests,
    /// `presign` for presigned URLs) and reports every step, so a difference from another signer
    /// shows where it starts.
    func signed() -> JSONValue {
        var out: JSONObject
        switch mode {
        case .header:
            let signature = signer.signHeaders(request)
            out = ["canonical_request": .string(signature.canonicalRequest), "string_to_sign": .string(signature.stringToSign),
                   "signature": .string(signature.signature), "authorization": .string(signature.authorization),
                   "added_headers": Self.pairs(signature.headers)]
        case .query(let expires):
            let signature = signer.presign(request, expiresInSeconds: expires)
            out = ["canonical_request": .string(signature.canonicalRequest), "string_to_sign": .string(signature.stringToSign),
                   "signature": .string(signature.signature), "query_string": .string(signature.queryString),
                   "added_query": Self.pairs(signature.addedQuery)]
        }
        out["encoded_path"] = .string(request.encodedPath)
        return .object(out)
    }

    private static func pairs(_ pairs: [(name: String, value: String)]) -> JSONValue {
        .array(pairs.map { .array([.string($0.name), .string($0.value)]) })
    }
}
