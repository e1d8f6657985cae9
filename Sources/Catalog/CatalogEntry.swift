import JSON

/// One object in the catalog: the S3 key, its content type and size, and any other members
/// (etag, lastModified, width, a caption someone added by hand...) kept in their order.
public struct CatalogEntry: Equatable, Sendable {
    /// The S3 key, exactly (compared byte for byte, not by Unicode equivalence).
    public var name: String
    /// The format sniffed from the bytes, e.g. `png`, `jpg` (`ImageFormat`).
    public var type: String
    /// Size in bytes; never negative.
    public var size: Int64
    /// Every member other than `name`, `type` and `size`, in order. Serialised after those three
    /// (members named `name`, `type` or `size` here are never written).
    public var extra: JSONObject

    /// `extra` must not contain `name`, `type` or `size`: such members are dropped, the typed
    /// fields win. A negative `size` is a programming error (it would make the catalog unreadable).
    public init(name: String, type: String, size: Int64, extra: JSONObject = JSONObject()) {
        precondition(size >= 0, "catalog entry size must not be negative")
        self.name = name
        self.type = type
        self.size = size
        self.extra = JSONObject(extra.members.filter { !CatalogEntry.isCoreKey($0.key) })
    }

    /// The entry as a JSON object: `name`, `type`, `size`, then the extra members.
    public var jsonValue: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)), ("type", .string(type)), ("size", .int(size)),
        ]
        members.append(contentsOf: extra.members)
        return .object(JSONObject(members))
    }

    /// Compact JSON, as written on the entry's line of the catalog.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    public func write(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"name":"#.utf8)
        JSONValue.writeString(name, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONValue.writeString(type, to: &out)
        out.append(contentsOf: #","size":"#.utf8)
        out.append(contentsOf: String(size).utf8)
        // `extra` is a public var, so it may have gained a "size" after init: writing it would
        // make a catalog this module then refuses to read.
        for member in extra.members where !CatalogEntry.isCoreKey(member.key) {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            member.value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Entries are equal when they serialise to the same bytes: names and strings compare by
    /// their UTF-8, so `é` and `e`+`◌́` (two different S3 keys) are different entries.
    public static func == (a: CatalogEntry, b: CatalogEntry) -> Bool {
        a.size == b.size && a.name.utf8.elementsEqual(b.name.utf8) && a.type.utf8.elementsEqual(b.type.utf8)
            && a.serialized() == b.serialized()
    }

    static func isCoreKey(_ key: String) -> Bool { key == "name" || key == "type" || key == "size" }
}
