import Basics
import SigV4
import Storage
import TestSupport
@testable import API

/// The in-memory store as the API tests see it: bucket `b` holding the catalog and users'
/// records, and its request log in the API's words (`catalog -> 200`,
/// `user <digest> if-none-match E -> 304`, `put user <digest> if-none-match * -> 412`,
/// `legacy user auth0|x -> 200`), so each test can prove which objects a request touched (and
/// that a refused request touched none). `MemoryStore.digest(sub)` is the `<digest>` of a sub.
extension MemoryStore {
    static let apiBucket = "b"

    func setCatalog(_ text: String) { put(Self.apiBucket, "images.json", text) }

    func setUser(_ sub: String, _ text: String) { put(Self.apiBucket, Self.userKey(sub), text) }

    /// Where the API keeps the record of `sub`: under the SHA-256 of the sub, never the sub.
    static func userKey(_ sub: String) -> String { ImageAPI.hashedUsersPrefix + digest(sub) + ".json" }

    /// Where an older imagecat kept it.
    static func legacyUserKey(_ sub: String) -> String { ImageAPI.usersPrefix + sub + ".json" }

    static func digest(_ sub: String) -> String { Digest.sha256Hex(Array(sub.utf8)) }

    func setLegacyUser(_ sub: String, _ text: String) { put(Self.apiBucket, Self.legacyUserKey(sub), text) }

    func legacyUser(_ sub: String) -> (bytes: [UInt8], etag: String)? {
        object(Self.apiBucket, Self.legacyUserKey(sub)).map { ($0.bytes, $0.etag) }
    }

    var catalog: (bytes: [UInt8], etag: String)? {
        get { object(Self.apiBucket, "images.json").map { ($0.bytes, $0.etag) } }
        set {
            if let newValue { put(Self.apiBucket, "images.json", bytes: newValue.bytes, etag: newValue.etag) }
            else { delete(Self.apiBucket, "images.json") }
        }
    }

    func user(_ sub: String) -> (bytes: [UInt8], etag: String)? {
        object(Self.apiBucket, Self.userKey(sub)).map { ($0.bytes, $0.etag) }
    }

    func setUser(_ sub: String, bytes: [UInt8], etag: String) { put(Self.apiBucket, Self.userKey(sub), bytes: bytes, etag: etag) }

    func removeUsers() {
        for key in buckets[Self.apiBucket, default: [:]].keys where key.hasPrefix(ExactKey(ImageAPI.usersPrefix)) {
            buckets[Self.apiBucket]?[key] = nil
        }
    }

    /// Reads, whole or ranged, in the API's words: `catalog 0-1048575 -> 206`.
    var reads: [String] {
        requests.filter { $0.hasPrefix("GET ") || $0.hasPrefix("RANGE ") }
            .map { Self.apiWords(String($0.drop { $0 != " " }.dropFirst())) }
    }

    /// Writes, in the API's words.
    var writes: [String] {
        requests.filter { $0.hasPrefix("PUT ") }.map { "put " + Self.apiWords(String($0.dropFirst(4))) }
    }

    /// Deletions, in the API's words.
    var deletes: [String] {
        requests.filter { $0.hasPrefix("DELETE ") }.map { "delete " + Self.apiWords(String($0.dropFirst(7))) }
    }

    /// `b/images.json …` → `catalog …`, `b/users/sha256/D.json …` → `user D …`,
    /// `b/users/X.json …` → `legacy user X …`; index objects keep their key.
    private static func apiWords(_ line: String) -> String {
        let catalog = apiBucket + "/images.json"
        if line.hasPrefix(catalog + " ") { return "catalog" + line.dropFirst(catalog.count) }
        for (prefix, word) in [(ImageAPI.hashedUsersPrefix, "user "), (ImageAPI.usersPrefix, "legacy user ")] {
            let users = apiBucket + "/" + prefix
            guard line.hasPrefix(users), let end = line.range(of: ".json") else { continue }
            return word + line[line.index(line.startIndex, offsetBy: users.count)..<end.lowerBound] + line[end.upperBound...]
        }
        return line
    }
}
