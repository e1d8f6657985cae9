import JSON

/// A payload 2.0 response: `{"statusCode", "headers", "body", "isBase64Encoded": false}`.
///
/// Error bodies are `{"error": code, "message": text}` with fixed, client-facing text: never a
/// bucket or key name, an S3 error document or an internal error description (those go to the
/// function's log, keyed by the request id).
public struct GatewayResponse: Equatable, Sendable {
    public var statusCode: Int
    /// Lower-case names. Serialised in name order, so equal responses are equal bytes.
    public var headers: [String: String]
    /// UTF-8 text (JSON, or empty for 304).
    public var body: [UInt8]

    public init(statusCode: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }

    /// A 200 with a JSON body. Responses depend on the caller's token, so shared caches must not
    /// keep them (`private`) and clients must revalidate (`no-cache`) with the ETag.
    public static func ok(json body: [UInt8], etag: String?) -> GatewayResponse {
        var headers = ["content-type": "application/json", "cache-control": "private, no-cache",
                       "x-content-type-options": "nosniff"]
        if let etag { headers["etag"] = etag }
        return GatewayResponse(statusCode: 200, headers: headers, body: body)
    }

    /// 304: the client's copy (named by `If-None-Match`) is current. Empty body, no content type.
    public static func notModified(etag: String) -> GatewayResponse {
        GatewayResponse(statusCode: 304, headers: ["etag": etag, "cache-control": "private, no-cache"])
    }

    public static func error(_ status: Int, _ code: String, _ message: String,
                             headers extra: [String: String] = [:]) -> GatewayResponse {
        var headers = ["content-type": "application/json", "cache-control": "no-store",
                       "x-content-type-options": "nosniff"]
        for (name, value) in extra { headers[name] = value }
        let body = JSONValue.object(["error": .string(code), "message": .string(message)]).serialized()
        return GatewayResponse(statusCode: status, headers: headers, body: body)
    }

    /// For a failure whose details were logged: the same answer whatever went wrong inside.
    public static let internalError = error(500, "internal_error", "the request could not be completed; try again later")

    /// The body as text (for tests and logs).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The Lambda response payload API Gateway expects.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + body.count / 8 + 160)
        out.append(contentsOf: #"{"statusCode":"#.utf8)
        out.append(contentsOf: String(statusCode).utf8)
        out.append(contentsOf: #","headers":{"#.utf8)
        for (i, name) in headers.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.writeString(headers[name]!, to: &out)
        }
        out.append(contentsOf: #"},"body":"#.utf8)
        JSONValue.writeString(bodyText, to: &out)
        out.append(contentsOf: #","isBase64Encoded":false}"#.utf8)
        return out
    }
}
