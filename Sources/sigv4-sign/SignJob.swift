import Basics
import JSON
import SigV4

/// One request to sign, read from one JSON object. Every field is checked and unknown ones are
/// refused, so a mistake in the generator fails loudly instead of signing something else.
///
///     method             "GET"
///     path               the path before encoding; encoded with `URIEncoding.encodePath`, as
///                        `S3Addressing` does for bucket and key   (or:)
///     encoded_path       the path to sign, used as it is
///     query              [[name, value], ...], not encoded (optional)
///     headers            [[name, value], ...], repeated names allowed, Host included
///     body_base64        the body; hashed as `S3Client` hashes bodies   (or:)
///     payload_hash       used as it is, e.g. "UNSIGNED-PAYLOAD"
///     credentials        {"access_key_id", "secret_access_key", "session_token" (optional)}
///     region, service    the credential scope
///     time               signing time, epoch seconds
///     mode               "header" (Authorization) or "query" (presigned, with "expires" seconds)
///     options            {"normalize_path", "add_content_sha256_header", "sign_session_token"},
///                        each optional, defaults `SigV4Options.s3`
struct SignJob {
    enum Mode {
        case header
        case query(expiresInSeconds: Int)
    }

    var request: SigV4Request
    var signer: SigV4Signer
    var mode: Mode

    static let fields: Set<String> = ["method", "path", "encoded_path", "query", "headers", "body_base64", "payload_hash",
                                      "credentials", "region", "service", "time", "mode", "expires", "options"]

    init(json: JSONValue) throws(SignJobError) {
        guard let object = json.objectValue else { throw SignJobError(field: "request", problem: "not an object") }
        if let unknown = object.members.first(where: { !Self.fields.contains($0.key) }) {
            throw SignJobError(field: unknown.key, problem: "unknown field")
        }

        let encodedPath: String
        switch (object["path"], object["encoded_path"]) {
        case (let path?, nil): encodedPath = URIEncoding.encodePath(try Self.string(path, "path"))
        case (nil, let path?): encodedPath = try Self.string(path, "encoded_path")
        default: throw SignJobError(field: "path", problem: "give exactly one of path and encoded_path")
        }

        let payloadHash: String
        switch (object["body_base64"], object["payload_hash"]) {
        case (let body?, nil):
            guard let bytes = Base64.decode(try Self.string(body, "body_base64")) else {
                throw SignJobError(field: "body_base64", problem: "not base64")
            }
            payloadHash = Digest.payloadHash(bytes)
        case (nil, let hash?): payloadHash = try Self.string(hash, "payload_hash")
        default: throw SignJobError(field: "body_base64", problem: "give exactly one of body_base64 and payload_hash")
        }

        request = SigV4Request(method: try Self.string(object["method"], "method"), encodedPath: encodedPath,
                               query: try Self.pairs(object["query"] ?? .array([]), "query"),
                               headers: try Self.pairs(object["headers"], "headers"), payloadHash: payloadHash)

        guard let credentials = object["credentials"]?.objectValue else {
            throw SignJobError(field: "credentials", problem: "missing or not an object")
        }
        let token = try credentials["session_token"].map { (v) throws(SignJobError) in
            try Self.string(v, "credentials.session_token")
        }
        guard let time = object["time"]?.int64Value else {
            throw SignJobError(field: "time", problem: "missing or not an integer")
        }
        signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: try Self.string(credentials["access_key_id"], "credentials.access_key_id"),
                                        secretAccessKey: try Self.string(credentials["secret_access_key"],
                                                                         "credentials.secret_access_key"),
                                        sessionToken: token),
            region: try Self.string(object["region"], "region"), service: try Self.string(object["service"], "service"),
            options: try Self.options(object["options"]), clock: { time })

        switch try Self.string(object["mode"], "mode") {
        case "header":
            if object["expires"] != nil { throw SignJobError(field: "expires", problem: "only for mode query") }
            mode = .header
        case "query":
            guard let expires = object["expires"]?.int64Value, let seconds = Int(exactly: expires) else {
                throw SignJobError(field: "expires", problem: "missing or not an integer (mode query)")
            }
            mode = .query(expiresInSeconds: seconds)
        case let other:
            throw SignJobError(field: "mode", problem: "\"\(other)\" is neither header nor query")
        }
    }

    private static func string(_ value: JSONValue?, _ field: String) throws(SignJobError) -> String {
        guard let value else { throw SignJobError(field: field, problem: "missing") }
        guard let string = value.stringValue else { throw SignJobError(field: field, problem: "not a string") }
        return string
    }

    /// `[[name, value], ...]`, as the signer takes query parameters and headers.
    private static func pairs(_ value: JSONValue?, _ field: String) throws(SignJobError) -> [(name: String, value: String)] {
        guard let items = value?.arrayValue else { throw SignJobError(field: field, problem: "missing or not an array") }
        var pairs: [(name: String, value: String)] = []
        for item in items {
            guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue, let value = pair[1].stringValue
            else { throw SignJobError(field: field, problem: "each item must be [name, value], two strings") }
            pairs.append((name: name, value: value))
        }
        return pairs
    }

    private static func options(_ value: JSONValue?) throws(SignJobError) -> SigV4Options {
        var options = SigV4Options.s3
        guard let value else { return options }
        guard let object = value.objectValue else { throw SignJobError(field: "options", problem: "not an object") }
        for (key, flag) in object.members {
            guard let flag = flag.boolValue else { throw SignJobError(field: "options.\(key)", problem: "not a boolean") }
            switch key {
            case "normalize_path": options.normalizePath = flag
            case "add_content_sha256_header": options.addContentSHA256Header = flag
            case "sign_session_token": options.signSessionToken = flag
            default: throw SignJobError(field: "options.\(key)", problem: "unknown option")
            }
        }
        return options
    }
}
