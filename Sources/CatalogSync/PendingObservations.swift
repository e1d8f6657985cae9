import Catalog
import JSON

/// One invocation's observations, published under the catalog's reserved pending prefix
/// (`<catalog key>.pending/`) once its own conditional write has lost: whoever commits next merges
/// them into its write (a group commit), re-checks them and deletes them. The prefix lies outside
/// every notification filter and is never cataloged (the catalog function skips it like the
/// catalog's own key).
///
/// `{"version":1,"observations":[{"key":…,"etag":…|null,"lastModified":…|null,"keyOnly":false,"entry":{…}|null}]}`
struct PendingObservations {
    var observations: [ObservedKey]

    func serialized() -> [UInt8] {
        JSONValue.object([
            "version": .int(1),
            "observations": .array(observations.map { item in
                .object([
                    "key": .string(item.key),
                    "etag": item.version.map { .string($0.etag) } ?? .null,
                    "lastModified": item.version?.lastModified.map(JSONValue.string) ?? .null,
                    "keyOnly": .bool(item.fromKeyAlone),
                    "entry": item.entry?.jsonValue ?? .null,
                ])
            }),
        ]).serialized()
    }

    /// `nil` when the bytes are not pending observations (they are then dropped like merged ones).
    init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONValue(parsing: bytes), value["version"]?.int64Value == 1,
              let items = value["observations"]?.arrayValue else { return nil }
        observations = []
        for item in items {
            guard let key = item["key"]?.stringValue else { return nil }
            var observed = ObservedKey(key: key, version: nil, entry: nil, fromKeyAlone: item["keyOnly"]?.boolValue == true)
            if let etag = item["etag"]?.stringValue {
                observed.version = ObjectVersion(etag: etag, lastModified: item["lastModified"]?.stringValue)
            }
            if let entry = item["entry"]?.objectValue {
                guard let type = entry["type"]?.stringValue, let size = entry["size"]?.int64Value, size >= 0 else { return nil }
                observed.entry = CatalogEntry(name: key, type: type, size: size, extra: entry)
            }
            observations.append(observed)
        }
    }

    init(_ observations: [ObservedKey]) { self.observations = observations }
}
