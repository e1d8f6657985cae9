/// Names of catalog entries, as bytes, with an open-addressing hash table over them.
///
/// A `[String: Int]` for 100,000 names costs a heap object per name and a retain/release per
/// probe; here all names share one byte buffer and a probe is an integer compare. Names are
/// compared as bytes, not by Unicode equivalence: `é` and `e` + `◌́` are different S3 keys.
struct NameIndex: Sendable {
    /// UTF-8 of every name ever added, concatenated (loading appends a name here, then calls
    /// `addName(startingAt:)`). Slot `i`'s name is
    /// `bytes[starts[i] ..< starts[i] + lengths[i]]`.
    var bytes: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var hashes: [Int] = []
    /// Power-of-two sized; `empty`, `deleted` or a slot number.
    private var buckets: [Int32] = []
    private var used = 0  // buckets that are not empty (live or deleted)

    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    var slotCount: Int { starts.count }

    mutating func reserveCapacity(_ slots: Int, nameBytes: Int) {
        bytes.reserveCapacity(nameBytes)
        starts.reserveCapacity(slots)
        lengths.reserveCapacity(slots)
        hashes.reserveCapacity(slots)
        if buckets.count < slots * 2 { rehash(capacity: slots * 2) }
    }

    /// Appends the name of the next slot: its bytes are already at the end of `bytes`, from
    /// `start`. Returns the slot that already has this name, if any;
    /// then nothing is added and the appended bytes are dropped.
    mutating func addName(startingAt start: Int) -> Int? {
        let length = bytes.count - start
        let hash = bytes.withUnsafeBufferPointer { NameIndex.hash(UnsafeBufferPointer(rebasing: $0[start...])) }
        if let existing = find(hash: hash, start: start, length: length) {
            bytes.removeSubrange(start...)
            return existing
        }
        let slot = starts.count
        starts.append(start)
        lengths.append(Int32(length))
        hashes.append(hash)
        insert(slot: slot, hash: hash)
        return nil
    }

    /// Adds the bytes of a name for the next slot; see `addName(startingAt:)`.
    mutating func add(_ name: String) -> Int? {
        let start = bytes.count
        bytes.append(contentsOf: name.utf8)
        return addName(startingAt: start)
    }

    /// The live slot named `name`.
    func slot(named name: String) -> Int? {
        var name = name
        return name.withUTF8 { lookup($0) }
    }

    func lookup(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let hash = NameIndex.hash(name)
        return bytes.withUnsafeBufferPointer { all in
            probe(hash: hash) { slot in
                lengths[slot] == name.count
                    && UnsafeBufferPointer(rebasing: all[starts[slot]..<(starts[slot] + name.count)]).elementsEqual(name)
            }?.slot
        }
    }

    /// Forgets `slot` (its entry was removed); a later entry of the same name gets a new slot.
    mutating func remove(slot: Int) {
        guard let bucket = probe(hash: hashes[slot], { $0 == slot })?.bucket else { return }
        buckets[bucket] = NameIndex.deleted
    }

    func name(ofSlot slot: Int) -> String {
        String(decoding: bytes[starts[slot]..<(starts[slot] + Int(lengths[slot]))], as: UTF8.self)
    }

    // MARK: Hash table

    private func find(hash: Int, start: Int, length: Int) -> Int? {
        guard !buckets.isEmpty else { return nil }
        return bytes.withUnsafeBufferPointer { all in
            let name = UnsafeBufferPointer(rebasing: all[start..<(start + length)])
            return probe(hash: hash) { slot in
                lengths[slot] == length
                    && UnsafeBufferPointer(rebasing: all[starts[slot]..<(starts[slot] + length)]).elementsEqual(name)
            }?.slot
        }
    }

    /// Walks the probe sequence of `hash` until `matches` accepts a slot or an empty bucket ends it.
    private func probe(hash: Int, _ matches: (Int) -> Bool) -> (slot: Int, bucket: Int)? {
        let mask = buckets.count - 1
        var bucket = hash & mask
        while true {
            let entry = buckets[bucket]
            if entry == NameIndex.empty { return nil }
            if entry >= 0 && hashes[Int(entry)] == hash && matches(Int(entry)) { return (Int(entry), bucket) }
            bucket = (bucket + 1) & mask
        }
    }

    private mutating func insert(slot: Int, hash: Int) {
        if (used + 1) * 2 > buckets.count { rehash(capacity: max(16, buckets.count * 2)) }
        let mask = buckets.count - 1
        var bucket = hash & mask
        while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
        if buckets[bucket] == NameIndex.empty { used += 1 }
        buckets[bucket] = Int32(slot)
    }

    private mutating func rehash(capacity: Int) {
        var size = 16
        while size < capacity { size *= 2 }
        let old = buckets
        buckets = Array(repeating: NameIndex.empty, count: size)
        used = 0
        let mask = size - 1
        for entry in old where entry >= 0 {
            var bucket = hashes[Int(entry)] & mask
            while buckets[bucket] != NameIndex.empty { bucket = (bucket + 1) & mask }
            buckets[bucket] = entry
            used += 1
        }
    }

    /// Seeded (SipHash via `Hasher`), so names chosen to collide cannot make loading quadratic.
    private static func hash(_ name: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(name))
        return hasher.finalize()
    }
}
