import JSON

/// How a sign-in changes `users/<sub>.json` (pure, so the merge is tested without a store).
///
/// Every member the record already has stays, in its place: fields a user or an administrator
/// added by hand survive every sign-in. Set are `sub`, the profile's members where the trusted
/// source has them, `createdAt` once and `lastSignInAt` every time. Applied afresh to whatever
/// was read in each round of the conditional write, so a concurrent writer's members are kept.
public enum UserRecord {
    public static func signedIn(_ existing: JSONObject?, subject: Subject, profile: Profile, at now: String) -> JSONObject {
        var record = existing ?? JSONObject()
        set(&record, "sub", .string(subject.value))
        if let email = profile.email { set(&record, "email", .string(email)) }
        if let verified = profile.emailVerified { set(&record, "email_verified", .bool(verified)) }
        if let name = profile.name { set(&record, "name", .string(name)) }
        if let picture = profile.picture { set(&record, "picture", .string(picture)) }
        if record["createdAt"]?.stringValue?.isEmpty ?? true { set(&record, "createdAt", .string(now)) }
        set(&record, "lastSignInAt", .string(now))
        return record
    }

    /// Replaces the first member named `key` (or appends one) and drops any later duplicates,
    /// which the parser keeps: the stored record must not say two things about one member.
    static func set(_ record: inout JSONObject, _ key: String, _ value: JSONValue) {
        var seen = false
        record.members = record.members.compactMap { member in
            guard member.key == key else { return member }
            if seen { return nil }
            seen = true
            return (key: key, value: value)
        }
        if !seen { record.members.append((key: key, value: value)) }
    }
}
