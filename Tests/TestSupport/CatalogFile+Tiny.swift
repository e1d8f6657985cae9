import CatalogFile
import Storage

extension CatalogFile {
    /// A catalog file whose sizes are all made tiny (blocks of 256 bytes, parts of 1 KiB, windows
    /// of 2 KiB…), so that a few hundred entries take every path a million take: probe, index,
    /// windows, copies, chunks. The store must accept parts of 1 KiB (`MemoryStore.minPartSize`).
    public static func tiny(store: any ObjectStore, bucket: String = "b", key: String = "images.json") -> CatalogFile {
        var file = CatalogFile(store: store, bucket: bucket, key: key)
        file.smallBytes = 256
        file.blockBytes = 256
        file.minPart = 1024
        file.windowTarget = 2048
        file.partTarget = 2048
        file.copyTarget = 4096
        file.chunkBytes = 4096
        file.singlePutMax = 8192
        file.turnMinBytes = 0
        file.turnPollSteadyMs = 0                            // looks grow at once: short schedules to assert
        file.indexWaits = []
        file.sleepMs = { _ in }
        return file
    }
}
