import Basics
import JSON

/// A catalog file of any shape, read whole and checked: what a hand edit or an older imagecat
/// may have left (any order, any whitespace, one line, duplicate names). Every entry is
/// validated; anything that is not a JSON array of valid entries is a `CatalogError`, so the
/// caller leaves the file alone.
///
/// It gives the same catalog in imagecat's form (`canonical`): sorted by name, one compact
/// entry per line, a duplicated name kept once (its last occurrence wins). Entries are kept as
/// their compact byte slices, never re-encoded, so untouched entries keep their escapes, number
/// literals and member order.
///
/// For catalogs small enough to hold whole (the writer's and the API's small path, the
/// conversion of an old or hand-edited file); big ones are read block by block (`EntryRun`).
public struct Catalog: Sendable {
    /// Compact JSON of every entry, in file order.
    private var compact: [UInt8] = []
    /// Decoded names, concatenated.
    private var nameBytes: [UInt8] = []
    private var items: [(name: Range<Int>, entry: Range<Int>)] = []
    /// Positions in `items`, sorted by name, each name once.
    private var order: [Int] = []

    /// Entries in the file, duplicates collapsed.
    public var count: Int { order.count }
    /// How many entries reading dropped because a later entry had the same name.
    public private(set) var duplicatesRemoved = 0
    /// Whether the file was already exactly `canonical()`: nothing to convert.
    public private(set) var isCanonical = false

    /// An empty catalog (the bucket has none yet).
    public init() { isCanonical = true }

    public init(parsing bytes: [UInt8]) throws(CatalogError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(CatalogError) in try load(buffer) }
        var sorted = Array(items.indices)
        // Stable, so that among equal names the last occurrence is last.
        sorted.sort { a, b in
            let x = nameBytes[items[a].name], y = nameBytes[items[b].name]
            return x.lexicographicallyPrecedes(y) || (x.elementsEqual(y) && a < b)
        }
        for position in sorted {
            if let last = order.last, nameBytes[items[last].name].elementsEqual(nameBytes[items[position].name]) {
                order[order.count - 1] = position
                duplicatesRemoved += 1
            } else {
                order.append(position)
            }
        }
        isCanonical = canonical() == bytes
    }

    private mutating func load(_ buffer: UnsafeBufferPointer<UInt8>) throws(CatalogError) {
        var reader = JSONReader(buffer)
        let kind = try syntax { () throws(JSONError) in try reader.peekKind() }
        guard kind == .array else {
            // A syntax error anywhere is the more useful message; else say what it is.
            try syntax { () throws(JSONError) in
                try reader.skipValue()
                try reader.finish()
            }
            throw .notAnArray(found: kind.description)
        }
        try syntax { () throws(JSONError) in try reader.beginArray() }
        compact.reserveCapacity(buffer.count)
        nameBytes.reserveCapacity(buffer.count / 3)
        items.reserveCapacity(buffer.count / 96 + 16)
        while try syntax({ () throws(JSONError) in try reader.nextArrayElement() }) {
            let start = reader.offset
            let whitespaceBefore = reader.whitespaceSkipped
            let nameStart = nameBytes.count
            _ = try EntryReader.read(&reader, number: items.count + 1, collectExtras: false, name: &nameBytes)
            let entryStart = compact.count
            let source = UnsafeBufferPointer(rebasing: buffer[start..<reader.offset])
            if reader.whitespaceSkipped == whitespaceBefore {
                compact.append(contentsOf: source)
            } else {
                JSONReader.appendCompacted(source, to: &compact)     // pretty-printed by hand
            }
            items.append((nameStart..<nameBytes.count, entryStart..<compact.count))
        }
        try syntax { () throws(JSONError) in try reader.finish() }
    }

    private func syntax<T>(_ body: () throws(JSONError) -> T) throws(CatalogError) -> T {
        do throws(JSONError) { return try body() } catch { throw .syntax(error) }
    }

    /// The catalog in imagecat's form: `[\n` + one entry per line, sorted by name, + `\n]\n`;
    /// an empty catalog is `[]\n`.
    public func canonical() -> [UInt8] {
        guard !order.isEmpty else { return Array("[]\n".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(compact.count + 2 * order.count + 4)
        out.append(contentsOf: "[\n".utf8)
        for (n, position) in order.enumerated() {
            if n > 0 { out.append(contentsOf: ",\n".utf8) }
            out.append(contentsOf: compact[items[position].entry])
        }
        out.append(contentsOf: "\n]\n".utf8)
        return out
    }

    /// All names, in name order.
    public var names: [String] { order.map { String(decoding: nameBytes[items[$0].name], as: UTF8.self) } }

    /// All entries, in name order. Parses every entry: meant for tests and small catalogs.
    public var entries: [CatalogEntry] { order.indices.map(entry(at:)) }

    /// The entry named exactly `name` (byte for byte).
    public subscript(name: String) -> CatalogEntry? {
        let key = Array(name.utf8)
        var low = 0, high = order.count
        while low < high {
            let mid = (low + high) / 2
            if nameBytes[items[order[mid]].name].lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        guard low < order.count, nameBytes[items[order[low]].name].elementsEqual(key) else { return nil }
        return entry(at: low)
    }

    private func entry(at n: Int) -> CatalogEntry {
        compact.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(UnsafeBufferPointer(rebasing: buffer[items[order[n]].entry]))
            do throws(CatalogError) { return try EntryReader.entry(&reader, number: n + 1) } catch {
                preconditionFailure("an entry read once no longer parses: \(error)")
            }
        }
    }
}
