import Basics

extension GatewayRequest {
    /// The body bytes, base64-decoded when API Gateway says `isBase64Encoded` (it does so for
    /// content types it does not consider text); empty when there is none. Only routes that read
    /// a body call this, so a malformed body fails those routes with 400 and no other.
    public func bodyBytes() throws(APIError) -> [UInt8] {
        guard let body else { return [] }
        guard isBase64Encoded else { return Array(body.utf8) }
        guard let bytes = Base64.decode(body) else {
            throw APIError(400, "invalid_body", "the body is marked base64 but is not base64")
        }
        return bytes
    }
}
