import Basics
import JSON

/// What one reconcile run leaves for the next, in a small object beside the catalog
/// (`<catalog key>.reconcile`; the catalog function skips that key like the catalog's own):
/// - where an unfinished pass stopped (`startAfter`: the last key it listed), so a bucket too big
///   for one invocation's deadline is finished by the next runs instead of restarted;
/// - the objects found not to be images, with the ETag they had (at most `maxRemembered`), so
///   an unchanged non-image is not fetched again on every run.
public struct ReconcileState: Equatable, Sendable {
    public var startAfter: String?
    public var refused: [ExactKey: String] = [:]
    /// Keys a catalog writer changed but could not confirm before it had to give up (its
    /// re-check found them changed and no round was left): the next reconcile observes them
    /// first. At most `maxSuspects`, the newest.
    public var suspects: [String] = []

    /// ~100 bytes each: the state object stays under ~2 MB. Refusals past this many are simply
    /// looked at again on the next run.
    public static let maxRemembered = 20_000
    public static let maxSuspects = 10_000

    /// Adds `keys` to `suspects`, each key once (byte for byte), after those there.
    public mutating func addSuspects(_ keys: [String]) {
        var known = Set(suspects.map(ExactKey.init))
        for key in keys where known.insert(ExactKey(key)).inserted { suspects.append(key) }
    }

    public init(startAfter: String? = nil, refused: [ExactKey: String] = [:]) {
        self.startAfter = startAfter
        self.refused = refused
    }

    /// `{"version":1,"startAfter":…,"refused":[[key, etag], …]}`: pairs, not an object, because
    /// JSON member names would merge keys that differ only in Unicode normalization.
    public init(parsing bytes: [UInt8]) {
        guard let value = try? JSONValue(parsing: bytes), value["version"]?.int64Value == 1 else { return }
        startAfter = value["startAfter"]?.stringValue
        for pair in value["refused"]?.arrayValue ?? [] {
            guard let items = pair.arrayValue, items.count == 2,
                  let key = items[0].stringValue, let etag = items[1].stringValue else { continue }
            refused[ExactKey(key)] = etag
        }
        suspects = (value["suspects"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    public func serialized() -> [UInt8] {
        let pairs = refused.sorted { $0.key < $1.key }.prefix(Self.maxRemembered).map {
            JSONValue.array([.string(String(decoding: $0.key.bytes, as: UTF8.self)), .string($0.value)])
        }
        return JSONValue.object([
            "version": .int(1),
            "startAfter": startAfter.map(JSONValue.string) ?? .null,
            "refused": .array(pairs),
            // The newest kept: writers append, and the oldest are the likeliest settled since.
            "suspects": .array(suspects.suffix(Self.maxSuspects).map(JSONValue.string)),
        ]).serialized()
    }
}
