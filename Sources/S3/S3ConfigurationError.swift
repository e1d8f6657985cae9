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
