import JSON

/// The catalog file cannot be used as it is. The handler must then leave the file alone (never
/// overwrite or "repair" it) and report this message, which says what is wrong and where.
public enum CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not valid JSON at all.
    case syntax(JSONError)
    /// Valid JSON, but the top-level value is not an array; `found` is e.g. "an object".
    case notAnArray(found: String)
    /// Entry `index` (1-based, in file order; `0` when not known, for an entry read in a stretch
    /// of a big catalog: `offset` says where) is not a valid entry.
    case invalidEntry(index: Int, offset: Int, line: Int, column: Int, problem: String)
    /// Valid so far, but not in the form imagecat writes (sorted, one entry per line) at `offset`
    /// of the stretch read: what an index promised is not there. Not corrupt: read it whole.
    case layout(offset: Int, problem: String)

    public var description: String {
        switch self {
        case .syntax(let error):
            "catalog is not valid JSON: \(error)"
        case .notAnArray(let found):
            "catalog is not an array (found \(found))"
        case .invalidEntry(let index, let offset, let line, let column, let problem) where line > 0:
            "entry \(index) (line \(line), column \(column), offset \(offset)): \(problem)"
        case .invalidEntry(0, let offset, _, _, let problem):
            "the entry at offset \(offset): \(problem)"
        case .invalidEntry(let index, let offset, _, _, let problem):
            "entry \(index) (offset \(offset)): \(problem)"
        case .layout(let offset, let problem):
            "catalog is not in imagecat's sorted form at offset \(offset): \(problem)"
        }
    }
}
