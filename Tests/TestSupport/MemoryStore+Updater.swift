import Basics
import Catalog
import CatalogFile
import CatalogSync

extension MemoryStore {
    /// An updater of this store's `images.json` that never sleeps: each backoff goes to `sleep`
    /// instead and is drawn at its ceiling, so a test can assert the schedule.
    public func updater(sleep: @escaping (Int) -> Void = { _ in }) -> CatalogUpdater {
        var updater = CatalogUpdater(store: self, catalogKey: "images.json")
        updater.sleepMs = sleep
        updater.random = { $0 }
        return updater
    }

    /// An updater whose catalog file has tiny sizes (`CatalogFile.tiny`), so that a few hundred
    /// entries take every path of a big catalog; the store accepts parts of 1 KiB from then on.
    public func tinyUpdater() -> CatalogUpdater {
        minPartSize = 1024
        var updater = updater()
        updater.layout = CatalogFile.tiny(store: self, bucket: "", key: "images.json")
        return updater
    }

    /// The key of the `i`-th image of `preloadImages`.
    public static func imageKey(_ i: Int) -> String { "images/" + String(100_000 + i) + ".png" }

    /// `count` images in bucket `b`, all cataloged by a `tinyUpdater`.
    public func preloadImages(_ count: Int) throws {
        for i in 0..<count { put("b", Self.imageKey(i), bytes: Self.png(width: i % 9 + 1, height: 2)) }
        _ = try tinyUpdater().sync(bucket: "b", keys: (0..<count).map(Self.imageKey))
    }

    /// The stored catalog of `bucket`, parsed (a test fails on a missing or corrupt one).
    public func catalog(_ bucket: String = "b") throws -> Catalog {
        try Catalog(parsing: buckets[bucket]?[ExactKey("images.json")]?.bytes ?? [])
    }
}
