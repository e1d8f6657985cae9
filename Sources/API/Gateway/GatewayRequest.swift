import Basics
import JSON

/// The parts of an API Gateway HTTP API event (payload format 2.0) the API uses.
///
/// API Gateway hands `rawPath` over already percent-decoded (a request for `/a%2Fb` arrives as
/// `/a/b`), and `queryStringParameters` decoded with duplicates joined by commas. Neither is
/// decoded again here: decoding twice is how `%252e%252e` would turn into `..`.
public struct GatewayRequest: Equatable, Sendable {
    /// Upper-case HTTP method, from `requestContext.http.method`.
    public var method: String
    /// `rawPath`, as API Gateway decoded it.
    public var path: String
    /// `queryStringParameters` (or, when absent, `rawQueryString` form-decoded).
    public var query: [String: String]
    /// Header names lower-cased (API Gateway already sends them so).
    public var headers: [String: String]
    /// `requestContext.authorizer.jwt.claims`: what the JWT authorizer verified. API Gateway
    /// renders every claim as a string.
    public var claims: JSONObject?
    /// `requestContext.authorizer.jwt.scopes`, when API Gateway sends them.
    public var scopes: [String]?
    /// `requestContext.requestId`, for log lines.
    public var requestID: String?
    /// `body` as the event carries it: text, or base64 when `isBase64Encoded`. Decoded only by a
    /// route that reads a body (`bodyBytes()`), so a stray body on a `GET` cannot fail it.
    public var body: String?
    public var isBase64Encoded: Bool

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                claims: JSONObject? = nil, scopes: [String]? = nil, requestID: String? = nil,
                body: String? = nil, isBase64Encoded: Bool = false) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.claims = claims
        self.scopes = scopes
        self.requestID = requestID
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    /// Reads a payload 2.0 event. Anything else (a 1.0 payload, an S3 event sent to the wrong
    /// function) is an `EventError`: a deployment mistake for the logs, not a client's error.
    public init(event: JSONValue) throws(EventError) {
        guard let root = event.objectValue else {
            throw EventError("", "expected an API Gateway HTTP API event (an object), found \(event.kindDescription)")
        }
        guard let version = root["version"]?.stringValue, version == "2.0" else {
            let found = root["version"]?.stringValue.map { "\"\($0)\"" } ?? "none"
            throw EventError("version", "expected \"2.0\" (HTTP API payload format 2.0), found \(found)")
        }
        guard let method = root["requestContext"]?["http"]?["method"]?.stringValue, !method.isEmpty else {
            throw EventError("requestContext.http.method", "missing: not an HTTP API event")
        }
        guard let path = root["rawPath"]?.stringValue ?? root["requestContext"]?["http"]?["path"]?.stringValue else {
            throw EventError("rawPath", "missing: not an HTTP API event")
        }
        if let body = root["body"], body != .null, body.stringValue == nil {
            throw EventError("body", "expected a string, found \(body.kindDescription)")
        }
        var headers: [String: String] = [:]
        for member in root["headers"]?.objectValue?.members ?? [] {
            if let value = member.value.stringValue { headers[ASCII.lowercased(member.key)] = value }
        }
        var query: [String: String] = [:]
        if let parameters = root["queryStringParameters"]?.objectValue {
            for member in parameters.members {
                if let value = member.value.stringValue { query[member.key] = value }
            }
        } else if let raw = root["rawQueryString"]?.stringValue {
            query = Self.formDecodedQuery(raw)
        }
        let jwt = root["requestContext"]?["authorizer"]?["jwt"]
        self.init(method: ASCII.uppercased(method), path: path, query: query, headers: headers,
                  claims: jwt?["claims"]?.objectValue,
                  scopes: jwt?["scopes"]?.arrayValue.map { $0.compactMap(\.stringValue) },
                  requestID: root["requestContext"]?["requestId"]?.stringValue,
                  body: root["body"]?.stringValue, isBase64Encoded: root["isBase64Encoded"]?.boolValue == true)
    }

    public func header(_ name: String) -> String? { headers[ASCII.lowercased(name)] }

    /// `a=1&b=x+y&a=2` → `["a": "1,2", "b": "x y"]`, as API Gateway fills
    /// `queryStringParameters` (used only when an event has `rawQueryString` alone).
    static func formDecodedQuery(_ raw: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusIsSpace: true), !name.isEmpty else { continue }
            let value = parts.count > 1 ? PercentDecoding.decode(parts[1], plusIsSpace: true) : ""
            guard let value else { continue }
            result[name] = result[name].map { $0 + "," + value } ?? value
        }
        return result
    }
}
