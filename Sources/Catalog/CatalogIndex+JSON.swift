import Basics
import JSON

extension CatalogIndex {
    /// `{"version":1,"etag":…,"parent":…,"ancestors":[…],"prefix":{"anchor":…,"length":…,"base":…},"size":…,"types":[…],"blocks":[[firstName, offset, count, "bits"], …]}`:
    /// plain JSON so anyone can read what it says; the bits are 16 hex digits (a JSON number
    /// would lose bit 63 in many readers).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(blocks.count * 64 + 256)
        out.append(contentsOf: #"{"version":1,"etag":"#.utf8)
        JSONValue.writeString(etag, to: &out)
        if let parent {
            out.append(contentsOf: #","parent":"#.utf8)
            JSONValue.writeString(parent, to: &out)
            out.append(contentsOf: #","ancestors":"#.utf8)
            JSONValue.array(ancestors.map(JSONValue.string)).write(to: &out)
        }
        if let prefix {
            out.append(contentsOf: #","prefix":{"anchor":"#.utf8)
            JSONValue.writeString(prefix.anchor, to: &out)
            out.append(contentsOf: ",\"length\":\(prefix.length)".utf8)
            if let base = prefix.base {
                out.append(contentsOf: #","base":"#.utf8)
                JSONValue.writeString(base, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","size":"#.utf8)
        out.append(contentsOf: String(size).utf8)
        out.append(contentsOf: #","types":"#.utf8)
        JSONValue.array(types.map(JSONValue.string)).write(to: &out)
        out.append(contentsOf: #","blocks":["#.utf8)
        for (i, block) in blocks.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            JSONValue.writeString(String(decoding: block.firstName.bytes, as: UTF8.self), to: &out)
            out.append(contentsOf: ",\(block.offset),\(block.count),\"\(Hex.padded(block.typeBits))\"]".utf8)
        }
        out.append(contentsOf: "]}\n".utf8)
        return out
    }

    /// Reads an index; `nil` for anything that is not one this version wrote and trusts: blocks
    /// must start at 0, rise strictly in offset and name, and end within `size`, and count no
    /// more entries than `size` has bytes; a prefix must end where a block other than the first
    /// starts.
    public init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONValue(parsing: bytes), value["version"]?.int64Value == 1,
              let etag = value["etag"]?.stringValue, let size = value["size"]?.int64Value, size >= 0,
              let typeValues = value["types"]?.arrayValue, typeValues.count < 64,
              let rows = value["blocks"]?.arrayValue, !rows.isEmpty else { return nil }
        var types: [String] = []
        for type in typeValues {
            // Each type once: a block's bits name types by position, and a repeated one would
            // merge with its twin in the writer's table, shifting every later type's bit.
            guard let text = type.stringValue, !types.contains(text) else { return nil }
            types.append(text)
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(rows.count)
        var entries: Int64 = 0                               // at most a byte each: no sum of counts overflows
        for row in rows {
            guard let cells = row.arrayValue, cells.count == 4, let name = cells[0].stringValue,
                  let offset = cells[1].int64Value, let count = cells[2].int64Value, count > 0, count <= size - entries,
                  let hex = cells[3].stringValue, let bits = UInt64(hex, radix: 16) else { return nil }
            entries += count
            let block = Block(firstName: ExactKey(name), offset: offset, count: Int(count), typeBits: bits)
            if let last = blocks.last {
                guard last.offset < offset, last.firstName < block.firstName else { return nil }
            } else {
                guard offset == 0 else { return nil }
            }
            guard offset < size else { return nil }
            blocks.append(block)
        }
        self.init(etag: etag, size: size, blocks: blocks, types: types, parent: value["parent"]?.stringValue)
        if let listed = value["ancestors"]?.arrayValue {
            let etags = listed.compactMap(\.stringValue)
            guard etags.count == listed.count, etags.first == parent else { return nil }
            ancestors = Array(etags.prefix(Self.maxAncestors))
        }
        if let claim = value["prefix"] {
            guard let anchor = claim["anchor"]?.stringValue, !anchor.isEmpty, let length = claim["length"]?.int64Value,
                  length > 0, (block(startingAt: length) ?? 0) > 0 else { return nil }
            prefix = Prefix(anchor: anchor, length: length, base: claim["base"]?.stringValue)
        }
    }
}
