/// A dictionary key that compares names by their UTF-8 bytes (used to collapse a batch of
/// observations per key). Swift's `String` equality uses
/// Unicode canonical equivalence, but S3 keys are byte strings: `café` written with `é` and
/// with `e` + combining accent are two different objects and must stay two entries.
struct NameKey: Hashable, Sendable {
    let name: String

    init(_ name: String) {
        var name = name
        name.makeContiguousUTF8()  // so hashing and comparing can use the bytes directly
        self.name = name
    }

    static func == (a: NameKey, b: NameKey) -> Bool {
        a.withBytes { x in b.withBytes { y in x.count == y.count && x.elementsEqual(y) } }
    }

    func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    private func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = name.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(name.utf8).withUnsafeBufferPointer(body)
    }
}
