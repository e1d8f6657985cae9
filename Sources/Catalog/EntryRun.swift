import Basics
import JSON

/// The entries of a stretch of a catalog in imagecat's form (sorted by name, one compact entry
/// per line: see `CatalogIndex`), every one read and checked. What a writer reads before it
/// rewrites a window, and what the API reads to answer a page.
///
/// The stretch runs from the start of an entry (or of the file) to the start of another entry
/// (or the end of the file): `[\n` first when it starts the file, then each entry followed by
/// `,\n`, except that the file's last is followed by `\n]\n`. Other framing, or names that do
/// not rise strictly, is `CatalogError.layout`: the stretch is not what an index promised; an
/// entry that is not valid JSON (or is cut short) is `CatalogError.invalidEntry`.
public struct EntryRun: Sendable {
    public struct Item: Sendable {
        /// Where the entry's name (decoded) is in `names`.
        var name: Range<Int>
        /// The entry's compact JSON, in `bytes`.
        public var range: Range<Int>
        public var type: String
    }

    public let bytes: [UInt8]
    /// Every entry's decoded name, concatenated: one buffer instead of an array per name.
    private var names: [UInt8] = []
    public private(set) var items: [Item] = []

    /// A run of no entries.
    public init() { bytes = [] }

    /// The whole of an empty catalog, `[]\n`.
    public static let emptyCatalog = EntryRun(emptyFile: Array("[]\n".utf8))

    private init(emptyFile: [UInt8]) { bytes = emptyFile }

    /// Reads `bytes`, which start at byte `offset` of the catalog (for messages).
    public init(_ bytes: [UInt8], atFileStart: Bool, atFileEnd: Bool, offset: Int64 = 0) throws(CatalogError) {
        self.bytes = bytes
        if atFileStart && atFileEnd && bytes.elementsEqual("[]\n".utf8) { return }
        var names: [UInt8] = []
        var items: [Item] = []
        try bytes.withUnsafeBufferPointer { (buffer) throws(CatalogError) in
            func layout(_ at: Int, _ problem: String) -> CatalogError { .layout(offset: Int(offset) + at, problem: problem) }
            func starts(_ literal: String, at position: Int) -> Bool {
                let text = Array(literal.utf8)
                return position + text.count <= buffer.count && buffer[position..<(position + text.count)].elementsEqual(text)
            }
            var position = 0
            if atFileStart {
                guard starts("[\n", at: 0) else { throw layout(0, "the file does not start with [ and a line break") }
                position = 2
            }
            while position < buffer.count {
                guard buffer[position] == UInt8(ascii: "{") else { throw layout(position, "an entry line does not start with {") }
                var reader = JSONReader(UnsafeBufferPointer(rebasing: buffer[position...]))
                let nameStart = names.count
                let fields: EntryReader.Fields
                do throws(CatalogError) {
                    fields = try EntryReader.read(&reader, number: items.count + 1, collectExtras: false, name: &names)
                } catch {
                    throw Self.relocated(error, by: Int(offset) + position, numbered: atFileStart ? items.count + 1 : 0)
                }
                guard reader.whitespaceSkipped == 0 else { throw layout(position, "an entry is not compact") }
                let end = position + reader.offset
                if let previous = items.last,
                   !names[previous.name].lexicographicallyPrecedes(names[nameStart...]) {
                    throw layout(position, "names do not rise strictly")
                }
                items.append(Item(name: nameStart..<names.count, range: position..<end, type: fields.type))
                if starts(",\n", at: end) {
                    position = end + 2
                    if position == buffer.count && atFileEnd { throw layout(end, "the file ends after a comma") }
                } else if atFileEnd && end + 3 == buffer.count && starts("\n]\n", at: end) {
                    position = buffer.count
                } else {
                    throw layout(end, "an entry is not followed by a comma and a line break")
                }
            }
            if atFileEnd && items.isEmpty { throw layout(position, "no entry before the end of the file") }
        }
        self.names = names
        self.items = items
    }

    public var count: Int { items.count }

    /// The name of item `i`, as bytes.
    public func nameBytes(_ i: Int) -> ArraySlice<UInt8> { names[items[i].name] }

    public func name(_ i: Int) -> String { String(decoding: nameBytes(i), as: UTF8.self) }

    /// The entry's compact JSON.
    public func entryBytes(_ i: Int) -> ArraySlice<UInt8> { bytes[items[i].range] }

    /// Item `i`, parsed whole (only for entries a change touches or a page shows).
    public func entry(_ i: Int) -> CatalogEntry {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(UnsafeBufferPointer(rebasing: buffer[items[i].range]))
            do throws(CatalogError) { return try EntryReader.entry(&reader, number: i + 1) } catch {
                preconditionFailure("an entry read once no longer parses: \(error)")
            }
        }
    }

    /// The first item whose name is not before `name` (`count` when every name is before it).
    public func firstIndex(notBefore name: some Collection<UInt8>) -> Int {
        var low = 0, high = items.count
        while low < high {
            let mid = (low + high) / 2
            if nameBytes(mid).lexicographicallyPrecedes(name) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// An entry error's offset made relative to the file rather than to the entry's own buffer,
    /// and its number in the file (`0` when the run does not start the file: not known).
    private static func relocated(_ error: CatalogError, by base: Int, numbered number: Int) -> CatalogError {
        switch error {
        case .invalidEntry(_, let offset, _, _, let problem):
            .invalidEntry(index: number, offset: base + offset, line: 0, column: 0, problem: problem)
        case .syntax(let json):
            .invalidEntry(index: number, offset: base, line: 0, column: 0, problem: "\(json)")
        default:
            error
        }
    }
}
