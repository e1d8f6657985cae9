import JSON

/// The bucket's `images.json`: a JSON array of entries, one per S3 object, kept in file order.
///
/// Built for large catalogs in a 128 MB Lambda: loading validates every entry but keeps each one
/// as its compact byte slice of the input, plus a name index. Only entries that are looked up
/// or changed are parsed into `CatalogEntry` values, and untouched entries are written back
/// byte for byte (same escapes, same number literals, same member order).
///
/// Output format (`serialized()`): one entry per line so diffs stay readable,
/// `[\n{...},\n{...}\n]\n`; an empty catalog is `[]\n`.
public struct Catalog: Sendable {
    /// Where an entry's compact JSON lives: in the loaded file or in `written`.
    struct Slot: Sendable {
        var start: Int
        var length: Int
        var inSource: Bool
        /// Removed entries keep their slot (so `remove` is O(1)) and are skipped on output.
        var isRemoved = false
    }

    /// The file as loaded; never modified (so loading never copies it).
    var source: [UInt8] = []
    /// Compact JSON of entries added or changed since loading (and of loaded entries that had
    /// whitespace to strip).
    var written: [UInt8] = []
    /// Slot `i` is slot `i` of `nameIndex` too.
    var slots: [Slot] = []
    var nameIndex = NameIndex()

    /// Number of entries.
    public internal(set) var count = 0
    /// How many entries loading dropped because a later entry had the same name. Non-zero means
    /// the file must be rewritten even when nothing else changes.
    public internal(set) var duplicatesRemoved = 0
    /// Whether `serialized()` differs in content from the file this catalog was parsed from:
    /// an entry was added, changed or removed, or duplicates were collapsed.
    public internal(set) var isModified = false

    /// An empty catalog (the bucket has no `images.json` yet).
    public init() {}

    public var isEmpty: Bool { count == 0 }

    public func contains(name: String) -> Bool { nameIndex.slot(named: name) != nil }

    /// The entry for S3 key `name` (names compare byte for byte).
    public func entry(named name: String) -> CatalogEntry? {
        nameIndex.slot(named: name).map(entry(at:))
    }

    public subscript(name: String) -> CatalogEntry? { entry(named: name) }

    /// All names, in catalog order. Cheap: no entry is parsed.
    public var names: [String] { slots.indices.compactMap { slots[$0].isRemoved ? nil : nameIndex.name(ofSlot: $0) } }

    /// All entries, in catalog order. Parses every entry: meant for tests and small catalogs.
    public var entries: [CatalogEntry] {
        slots.indices.compactMap { slots[$0].isRemoved ? nil : entry(at: $0) }
    }

    /// The catalog file's new content.
    public func serialized() -> [UInt8] {
        guard count > 0 else { return Array("[]\n".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(source.count + written.count + 2 * slots.count + 4)
        out.append(contentsOf: "[\n".utf8)
        var first = true
        for i in slots.indices where !slots[i].isRemoved {
            if !first { out.append(contentsOf: ",\n".utf8) }
            first = false
            withBytes(of: i) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: "\n]\n".utf8)
        return out
    }

    // MARK: Storage

    func withBytes<R>(of slot: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let s = slots[slot]
        let storage = s.inSource ? source : written
        return storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[s.start..<(s.start + s.length)])) }
    }

    /// Parses a stored entry. Stored bytes were validated when they were stored, so failing here
    /// would be a bug in this module, not bad input.
    func entry(at slot: Int) -> CatalogEntry {
        withBytes(of: slot) { bytes in
            do throws(CatalogError) {
                var reader = JSONReader(bytes)
                return try EntryReader.entry(&reader, number: slot + 1)
            } catch {
                preconditionFailure("stored catalog entry no longer parses: \(error)")
            }
        }
    }

    /// Stores `entry`'s compact JSON and returns where.
    mutating func store(_ entry: CatalogEntry) -> (start: Int, length: Int) {
        let start = written.count
        entry.write(to: &written)
        return (start, written.count - start)
    }
}
