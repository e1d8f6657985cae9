import Basics
import Catalog
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

    /// The stored catalog of `bucket`, parsed (a test fails on a missing or corrupt one).
    public func catalog(_ bucket: String = "b") throws -> Catalog {
        try Catalog(parsing: buckets[bucket]?[ExactKey("images.json")]?.bytes ?? [])
    }
}
