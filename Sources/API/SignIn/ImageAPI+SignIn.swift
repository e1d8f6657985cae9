import Basics
import JSON
import Storage
import Telemetry

/// `PUT /me`: the record made or refreshed at sign-in.
extension ImageAPI {
    /// Reads the caller's record (`readRecord`: moved from its legacy key first) with its ETag,
    /// applies the sign-in (`UserRecord.signedIn`) and
    /// writes it back with `If-Match` (`If-None-Match: *` when there was none). A lost race
    /// means another sign-in or an administrator wrote in between: read again and re-apply, so
    /// nobody's members are lost. Answers the stored record, 201 when this request created it.
    /// A body is never read: nothing in the record comes from the client.
    func signIn(_ subject: Subject, request: GatewayRequest, deadline: Deadline?) throws -> GatewayResponse {
        var profile = Profile()
        if let profiles {
            do throws(UserInfoError) {
                profile = try profiles.profile(claims: request.claims ?? JSONObject(), subject: subject,
                                               authorization: request.header("authorization"), deadline: deadline, log: log)
            } catch {
                log.error("PUT /me: \(error)", ["status": .int(502)])
                throw Self.userinfoUnavailable
            }
        }
        let now = UTCTime.iso8601(epochSeconds: nowSeconds)
        let variant = "me\n" + subject.value
        for attempt in 1...max(1, recordAttempts) {
            var existing: JSONObject?
            var version: String?
            switch try readRecord(of: subject, ifNoneMatch: nil) {
            case .missing:
                break
            case .notModified:
                throw StoredDataError(what: "the record at \(key(for: .user(subject)))", problem: "304 to an unconditional read")
            case .found(let bytes, let etag):
                // Never overwrite what cannot be merged: an administrator fixes it by hand.
                guard let object = (try? JSONValue(parsing: bytes))?.objectValue else {
                    throw StoredDataError(what: "the record at \(key(for: .user(subject))) (ETag \(etag))", problem: "not a JSON object; left as it is")
                }
                existing = object
                version = etag
            }
            let bytes = JSONValue.object(UserRecord.signedIn(existing, subject: subject, profile: profile, at: now)).serialized()
            if case .written(let etag) = try writeRecord(of: subject, bytes: bytes, ifMatch: version) {
                var response = GatewayResponse.ok(json: bytes, etag: ResponseETag.make(variant: variant, storeETag: etag))
                if version == nil { response.statusCode = 201 }
                return response
            }
            if attempt >= recordAttempts { break }
            let delay = jitter(recordBackoff.ceiling(afterAttempt: attempt))
            if let deadline, !deadline.allows(waitMilliseconds: delay, now: nowMs()) {
                break
            }
            sleepMs(delay)
        }
        throw StoredDataError(what: "the record at \(key(for: .user(subject)))", problem: "other writers kept changing it; gave up")
    }

    static let userinfoUnavailable = APIError(502, "userinfo_unavailable",
                                              "the identity provider could not confirm your profile; try signing in again")
}
