@testable import API

/// An in-memory `ObjectStore`: the routing tests need no server. It keeps every read, so a test can
/// prove which objects a request touched (and that a refused request touched none).
/// The same handler runs against a real S3 server in Tests/integration/test_local_api.py.
final class APIMemoryStore: ObjectStore {
    var catalog: (bytes: [UInt8], etag: String)?
    var users: [String: (bytes: [UInt8], etag: String)] = [:]
    /// `catalog`, `catalog if-none-match E -> 304`, `user auth0|x`, ...
    var reads: [String] = []
    var failure: (any Error)?

    func setCatalog(_ text: String) {
        let bytes = Array(text.utf8)
        catalog = (bytes, ResponseETag.hexDigest(bytes))
    }

    func setUser(_ sub: String, _ text: String) {
        let bytes = Array(text.utf8)
        users[sub] = (bytes, ResponseETag.hexDigest(bytes))
    }

    func read(_ object: StoredObject, ifNoneMatch: String?) throws -> StoreRead {
        let stored: (bytes: [UInt8], etag: String)?
        var line: String
        switch object {
        case .catalog:
            stored = catalog
            line = "catalog"
        case .user(let subject):
            stored = users[subject.value]
            line = "user \(subject.value)"
        }
        if let ifNoneMatch { line += " if-none-match \(ifNoneMatch)" }
        if let failure {
            reads.append(line + " -> error")
            throw failure
        }
        guard let stored else {
            reads.append(line + " -> 404")
            return .missing
        }
        if stored.etag == ifNoneMatch {
            reads.append(line + " -> 304")
            return .notModified(etag: stored.etag)
        }
        reads.append(line + " -> 200")
        return .found(bytes: stored.bytes, etag: stored.etag)
    }

    /// `put user auth0|x if-match E -> 200`, `... if-none-match * -> 412`, ...
    var writes: [String] = []
    /// Runs once, right before the next record write is evaluated: where a test puts the other
    /// writer of a scripted interleaving.
    var beforeWrite: (() -> Void)?
    /// Answer this many writes with `.conflict` whatever the condition.
    var forcedConflicts = 0

    func writeRecord(of subject: Subject, bytes: [UInt8], ifMatch: String?) throws -> RecordWrite {
        if let hook = beforeWrite {
            beforeWrite = nil
            hook()
        }
        var line = "put user \(subject.value) " + (ifMatch.map { "if-match \($0)" } ?? "if-none-match *")
        if let failure {
            writes.append(line + " -> error")
            throw failure
        }
        if forcedConflicts > 0 {
            forcedConflicts -= 1
            writes.append(line + " -> 409")
            return .conflict
        }
        guard users[subject.value]?.etag == ifMatch else {
            writes.append(line + " -> 412")
            return .conflict
        }
        line += " -> 200"
        writes.append(line)
        users[subject.value] = (bytes, ResponseETag.hexDigest(bytes))
        return .written(etag: ResponseETag.hexDigest(bytes))
    }
}
