import JSON

extension Catalog {
    /// Loads a catalog file, validating all of it.
    ///
    /// Throws `CatalogError` for anything that is not a JSON array of valid entries, so the
    /// caller can refuse to overwrite a file it does not understand. The one normalisation:
    /// entries with the same name collapse into one (the last occurrence wins, at the position
    /// of the first), counted in `duplicatesRemoved` and making `isModified` true.
    public init(parsing bytes: [UInt8]) throws(CatalogError) {
        self.init()
        source = bytes
        try bytes.withUnsafeBufferPointer { (buffer) throws(CatalogError) in try load(buffer) }
        isModified = duplicatesRemoved > 0
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
        // Most catalogs are ~80 bytes an entry: reserving up front avoids regrowing big arrays.
        let estimate = buffer.count / 64 + 16
        slots.reserveCapacity(estimate)
        nameIndex.reserveCapacity(estimate, nameBytes: buffer.count / 3)
        var number = 0
        while try syntax({ () throws(JSONError) in try reader.nextArrayElement() }) {
            number += 1
            let start = reader.offset
            let whitespaceBefore = reader.whitespaceSkipped
            let nameStart = nameIndex.bytes.count
            _ = try EntryReader.read(&reader, number: number, collectExtras: false, name: &nameIndex.bytes)
            let end = reader.offset
            var slot = Slot(start: start, length: end - start, inSource: true)
            if reader.whitespaceSkipped != whitespaceBefore {
                // Pretty-printed by hand: keep the entry, minus its whitespace, on one line.
                let compactStart = written.count
                JSONReader.appendCompacted(UnsafeBufferPointer(rebasing: buffer[start..<end]), to: &written)
                slot = Slot(start: compactStart, length: written.count - compactStart, inSource: false)
            }
            if let existing = nameIndex.addName(startingAt: nameStart) {
                slots[existing] = slot  // the last occurrence wins, at the first one's place
                duplicatesRemoved += 1
            } else {
                slots.append(slot)
            }
        }
        try syntax { () throws(JSONError) in try reader.finish() }
        count = slots.count
    }

    private func syntax<T>(_ body: () throws(JSONError) -> T) throws(CatalogError) -> T {
        do throws(JSONError) { return try body() } catch { throw .syntax(error) }
    }
}
