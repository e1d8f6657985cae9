/// Small byte builders for image headers, shared by every test target: headers no encoder at
/// hand writes (rare SOF markers, every EXIF orientation, HEIF irot/imir combinations, BigTIFF...).
/// Values in the tests come from what these builders are told to write.
public enum Build {
    public static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    public static func be32(_ v: Int) -> [UInt8] { be16(v >> 16) + be16(v) }
    public static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    public static func le32(_ v: Int) -> [UInt8] { le16(v) + le16(v >> 16) }
    public static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    // MARK: PNG

    /// A PNG as far as any header reader can tell: signature and IHDR (8-bit RGB), then
    /// `padding` zero bytes.
    public static func png(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + ascii("IHDR") + be32(width) + be32(height)
            + [8, 2, 0, 0, 0] + be32(0) + [UInt8](repeating: 0, count: padding)
    }

    // MARK: JPEG

    public static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + be16(payload.count + 2) + payload
    }

    public static func frame(_ marker: UInt8 = 0xC0, width: Int, height: Int) -> [UInt8] {
        segment(marker, [8] + be16(height) + be16(width) + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    }

    public static func jpeg(_ segments: [UInt8]...) -> [UInt8] { [0xFF, 0xD8] + segments.flatMap { $0 } + [0xFF, 0xD9] }

    /// A TIFF structure whose IFD0 holds `entries` (tag, type, value), inline values only.
    public static func tiff(littleEndian: Bool, _ entries: [(tag: Int, type: Int, value: Int)]) -> [UInt8] {
        let u16 = littleEndian ? le16 : be16, u32 = littleEndian ? le32 : be32
        var out = littleEndian ? ascii("II") + le16(42) + le32(8) : ascii("MM") + be16(42) + be32(8)
        out += u16(entries.count)
        for e in entries {
            out += u16(e.tag) + u16(e.type) + u32(1)
            out += e.type == 3 ? u16(e.value) + [0, 0] : u32(e.value)
        }
        return out + u32(0)
    }

    public static func exif(orientation: Int, littleEndian: Bool) -> [UInt8] {
        segment(0xE1, ascii("Exif") + [0, 0] + tiff(littleEndian: littleEndian, [(0x0112, 3, orientation)]))
    }

    // MARK: ISO BMFF

    public static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { be32(payload.count + 8) + ascii(type) + payload }
    public static func fullBox(_ type: String, version: UInt8 = 0, flags: Int = 0, _ payload: [UInt8]) -> [UInt8] {
        box(type, [version, UInt8(flags >> 16 & 0xFF), UInt8(flags >> 8 & 0xFF), UInt8(flags & 0xFF)] + payload)
    }
    public static func ftyp(_ major: String, _ compatible: [String]) -> [UInt8] {
        box("ftyp", ascii(major) + be32(0) + compatible.flatMap(ascii))
    }
    public static func ispe(_ w: Int, _ h: Int) -> [UInt8] { fullBox("ispe", be32(w) + be32(h)) }
    public static func irot(_ quarterTurnsAnticlockwise: UInt8) -> [UInt8] { box("irot", [quarterTurnsAnticlockwise]) }
    public static func imir(_ mode: UInt8) -> [UInt8] { box("imir", [mode]) }
    public static func clap(_ w: Int, _ h: Int) -> [UInt8] {
        box("clap", be32(w) + be32(1) + be32(h) + be32(1) + be32(0) + be32(1) + be32(0) + be32(1))
    }

    /// A HEIF file: `properties` in ipco, `associations` item → 1-based property indices.
    public static func heif(brand: String = "heic", compatible: [String] = ["mif1", "heic"], primary: Int = 1,
                     properties: [[UInt8]], associations: [(item: Int, indices: [Int])],
                     wideIndices: Bool = false, pitmVersion: UInt8 = 0) -> [UInt8] {
        var ipma = be32(associations.count)
        for a in associations {
            ipma += be16(a.item) + [UInt8(a.indices.count)]
            for i in a.indices { ipma += wideIndices ? be16(i | 0x8000) : [UInt8(i | 0x80)] }
        }
        let meta = fullBox("meta",
            fullBox("hdlr", be32(0) + ascii("pict") + [UInt8](repeating: 0, count: 13))
            + fullBox("pitm", version: pitmVersion, pitmVersion == 0 ? be16(primary) : be32(primary))
            + box("iprp", box("ipco", properties.flatMap { $0 }) + fullBox("ipma", flags: wideIndices ? 1 : 0, ipma)))
        return ftyp(brand, compatible) + meta + box("mdat", [1, 2, 3, 4])
    }
}
