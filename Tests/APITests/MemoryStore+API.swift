import Basics
import Storage
import TestSupport
@testable import API

/// The in-memory store as the API tests see it: bucket `b` holding the catalog and users'
/// records, and its request log in the API's words (`catalog -> 200`,
/// `user auth0|x if-none-match E -> 304`, `put user auth0|x if-none-match * -> 412`), so each
/// test can prove which objects a request touched (and that a refused request touched none).
extension MemoryStore {
    static let apiBucket = "b"

    func setCatalog(_ text: String) { put(Self.apiBucket, "images.json", text) }

    func setUser(_ sub: String, _ text: String) { put(Self.apiBucket, Self.userKey(sub), text) }

    static func userKey(_ sub: String) -> String { ImageAPI.usersPrefix + sub + ".json" }

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

    /// Whole-object reads, in the API's words.
    var reads: [String] {
        requests.filter { $0.hasPrefix("GET ") }.map { Self.apiWords(String($0.dropFirst(4))) }
    }

    /// Writes, in the API's words.
    var writes: [String] {
        requests.filter { $0.hasPrefix("PUT ") }.map { "put " + Self.apiWords(String($0.dropFirst(4))) }
    }

    /// `b/images.json …` → `catalog …`, `b/users/X.json …` → `user X …`.
    private static func apiWords(_ line: String) -> String {
        let catalog = apiBucket + "/images.json"
        if line.hasPrefix(catalog) { return "catalog" + line.dropFirst(catalog.count) }
        let users = apiBucket + "/" + ImageAPI.usersPrefix
        guard line.hasPrefix(users), let end = line.range(of: ".json") else { return line }
        return "user " + line[line.index(line.startIndex, offsetBy: users.count)..<end.lowerBound] + line[end.upperBound...]
    }
}
