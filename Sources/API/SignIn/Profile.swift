import JSON

/// What a trusted source says about the caller besides `sub`: the members `PUT /me` copies into
/// the record. Each is optional: a source sets only what it has (glewlwyd's userinfo, for one,
/// has no `email_verified`), and an absent one leaves the record's value as it was.
public struct Profile: Equatable, Sendable {
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?
    public var picture: String?

    public init(email: String? = nil, emailVerified: Bool? = nil, name: String? = nil, picture: String? = nil) {
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.picture = picture
    }

    public var isEmpty: Bool { self == Profile() }

    /// The profile in `object`, whose member names are `prefix` + the OpenID Connect claim names
    /// (`email`, `email_verified`, `name`, `picture`). Values may be JSON strings or booleans:
    /// API Gateway renders every claim as a string (`"true"`), a userinfo answer does not.
    /// Members of another type are ignored rather than stored.
    init(_ object: JSONObject, prefix: String = "") {
        func text(_ name: String) -> String? {
            guard let value = object[prefix + name]?.stringValue, !value.isEmpty else { return nil }
            return value
        }
        let verified: Bool? = switch object[prefix + "email_verified"] {
        case .bool(let flag): flag
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
        self.init(email: text("email"), emailVerified: verified, name: text("name"), picture: text("picture"))
    }
}
