import Basics
import Catalog
import JSON
import Storage

/// The observations of a writer that waits for its turn at a big catalog, left beside the
/// catalog (`<catalog>.waiting/<epoch ms>-<random>`) so that the next writer (a fellow waiter
/// going round, or one that comes later; not the one being waited for, which has read the folder
/// already) writes them with its own: one big write carries several invocations' changes instead
/// of one each (a group commit, without a lock: every writer still writes conditionally, and
/// re-checks what it wrote).
///
/// It is a courtesy, never the truth. The writer that carries them re-checks their keys after
/// its write like its own (so an observation gone stale over its current version's entry is
/// observed again, not kept), and the writer that left them goes round as before: it finds
/// its changes already in the catalog, re-checks them itself (the carrier may have failed
/// before its own re-check) and answers without writing, or writes them itself. A handover
/// lost, unread or unparsable costs only that write.
struct Handover: Equatable {
    /// Keys decided from the key alone are not handed over (they need no re-check, and cost
    /// nothing to write again).
    var observed: [ObservedKey]

    init(_ observed: [ObservedKey]) {
        self.observed = observed.filter { !$0.fromKeyAlone }
    }

    /// Where a writer's handover is kept, named by when it was left and by when its writer
    /// answers at the latest (`untilMs`, its work deadline), so that one nobody needs any more is
    /// known from its listing alone: past that deadline its writer has answered (having
    /// re-checked its keys itself) or died (its records come back). A withdrawal that failed
    /// at the deadline left it to be carried for minutes, by writers nobody answers for.
    static func key(catalog: String, atMs: Int64, nonce: UInt64, untilMs: Int64? = nil) -> String {
        prefix(catalog: catalog) + String(atMs) + "-" + String(nonce, radix: 16) + (untilMs.map { "-" + String($0) } ?? "")
    }

    static func prefix(catalog: String) -> String { catalog + ".waiting/" }

    /// When the handover at `key` was left, and when its writer answers at the latest (`nil`:
    /// not named; an older imagecat's names have no deadline). `nil` for anything not a
    /// handover's name.
    static func times(_ key: String, catalog: String) -> (leftAtMs: Int64, untilMs: Int64?)? {
        let key = ExactKey(key), prefix = ExactKey(prefix(catalog: catalog))
        guard key.hasPrefix(prefix) else { return nil }
        let parts = key.bytes.dropFirst(prefix.bytes.count).split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard let left = Int64(parts[0]) else { return nil }
        return (left, parts.count > 2 ? Int64(parts[2]) : nil)
    }

    /// `{"version":1,"observed":[{"key":…,"etag":…,"lastModified":…,"entry":{…}}, …]}`; `etag`
    /// null: there was no object; `entry` null: none, or not an image.
    func serialized() -> [UInt8] {
        JSONValue.object([
            "version": .int(1),
            "observed": .array(observed.map { key in
                JSONValue.object([
                    "key": .string(key.key),
                    "etag": key.version.map { .string($0.etag) } ?? .null,
                    "lastModified": key.version?.lastModified.map(JSONValue.string) ?? .null,
                    "entry": key.entry?.jsonValue ?? .null,
                ])
            }),
        ]).serialized()
    }

    /// `nil` for anything not written by `serialized()`: a handover is trusted no further than
    /// the re-check of what it carried.
    init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONValue(parsing: bytes), value["version"]?.int64Value == 1,
              let items = value["observed"]?.arrayValue else { return nil }
        var observed: [ObservedKey] = []
        for item in items {
            guard let key = item["key"]?.stringValue, !key.isEmpty else { return nil }
            var version: ObjectVersion?
            if let etag = item["etag"]?.stringValue {
                version = ObjectVersion(etag: etag, lastModified: item["lastModified"]?.stringValue)
            }
            var entry: CatalogEntry?
            if let object = item["entry"]?.objectValue {
                // An entry records the ETag it was built from: it must be the version re-checked.
                guard let version, object["etag"].map({ $0.stringValue == version.etag }) ?? true,
                      let type = object["type"]?.stringValue, let size = object["size"]?.int64Value, size >= 0 else { return nil }
                entry = CatalogEntry(name: key, type: type, size: size, extra: object)
            }
            observed.append(ObservedKey(key: key, version: version, entry: entry))
        }
        self.observed = observed
    }
}
