import Basics
import SigV4

/// Where and as whom the client talks to S3, read from the standard AWS environment variables so
/// the same binary runs on Lambda (role credentials) and against a local server (custom endpoint).
public struct S3Configuration: Sendable, Equatable, CustomStringConvertible {
    public var region: String
    public var credentials: AWSCredentials
    /// A custom endpoint such as `http://127.0.0.1:8333`, without a trailing slash. When set, URLs
    /// are path-style (`endpoint/bucket/key`); when `nil`, AWS virtual-hosted URLs are used.
    public var endpoint: String?

    public init(region: String, credentials: AWSCredentials, endpoint: String? = nil) {
        self.region = region
        self.credentials = credentials
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Reads `AWS_REGION` (else `AWS_DEFAULT_REGION`, else `us-east-1`), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL_S3` (else
    /// `AWS_ENDPOINT_URL`). Empty values count as unset.
    public static func fromEnvironment(_ env: Environment) throws(S3ConfigurationError) -> S3Configuration {
        let value = env.get
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1"
        let missing = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter { value($0) == nil }
        guard missing.isEmpty, let accessKey = value("AWS_ACCESS_KEY_ID"),
              let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw .missingCredentials(missing)
        }
        var endpoint: String?
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            guard let url = value(name) else { continue }
            guard S3Addressing.isValidEndpoint(url) else { throw .invalidEndpoint(variable: name, value: url) }
            endpoint = url
            break
        }
        return S3Configuration(
            region: region,
            credentials: AWSCredentials(accessKeyId: accessKey, secretAccessKey: secret,
                                       sessionToken: value("AWS_SESSION_TOKEN")),
            endpoint: endpoint)
    }

    public var description: String {
        "S3Configuration(region: \(region), endpoint: \(endpoint ?? "AWS"), credentials: \(credentials))"
    }
}

import Basics
import SigV4

public enum S3ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The named variables are unset or empty.
    case missingCredentials([String])
    /// An endpoint variable that is not an `http://` or `https://` URL with a host.
    case invalidEndpoint(variable: String, value: String)

    public var description: String {
        switch self {
        case .missingCredentials(let names):
            "S3 credentials missing: \(names.joined(separator: " and ")) not set in the environment"
        case .invalidEndpoint(let variable, let value):
            "\(variable)=\(value) is not an http:// or https:// URL with a host"
        }
    }
}
