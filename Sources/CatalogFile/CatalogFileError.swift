import Catalog

/// Why a catalog version could not be read or written.
public enum CatalogFileError: Error, CustomStringConvertible {
    /// The stored catalog is not a JSON array of valid entries: left exactly as it is.
    case corrupt(CatalogError)
    /// The version read changed while its blocks were read, or its index was found not to
    /// describe its bytes (and was dropped): read the current one and go again.
    case changed
    /// A big version without an index, which this reader does not index itself
    /// (`CatalogFile.maxReindexBytes`).
    case notIndexed(size: Int64)
    /// Not in imagecat's form and too big to convert in memory.
    case tooBigToConvert(size: Int64, limit: Int)
    /// S3 failed (after the client's own retries).
    case storage(any Error)

    public var description: String {
        switch self {
        case .corrupt(let error): "\(error)"
        case .changed: "the catalog changed while it was read"
        case .notIndexed(let size): "the catalog (\(size) bytes) has no index yet: the catalog function or the reconcile writes one"
        case .tooBigToConvert(let size, let limit):
            "the catalog (\(size) bytes) is not sorted by name in imagecat's one-entry-per-line form, and is bigger than "
                + "the \(limit) bytes that can be converted in one invocation; sort it once (e.g. `jq -c 'sort_by(.name)[]'`)"
        case .storage(let error): "\(error)"
        }
    }
}
