/// HEIC/HEIF and AVIF: ISO base media files (ISO/IEC 14496-12) holding still images as items
/// (ISO/IEC 23008-12). The brands in `ftyp` tell HEIC from AVIF; the size is the primary item's
/// `ispe` (image spatial extents) property, found through `meta` → `iprp` → `ipco`/`ipma`, then
/// changed by its transformative properties (`clap` crop, `irot` rotation, `imir` mirror) in the
/// order `ipma` lists them, as a reader must apply them.
///
/// Bounded against hostile files: the box tree is read to a fixed depth (top level, `meta`,
/// `iprp`, `ipco`/`ipma`), every box takes at least 8 bytes and every association at least
/// one, so the walks are linear in the bytes; the top-level walk resumes across rounds
/// (`ParseProgress`); `ispe` sizes are checked against `ImageSniffer.maxDimension` before
/// their areas are compared.
enum ISOBMFF {
    struct Box {
        let type: String
        let start: Int
        /// First byte after the header (size, type, optional 64-bit size).
        let payload: Int
        let end: Int
    }

    static let avifBrands: Set<String> = ["avif", "avis"]
    static let heicBrands: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]
    /// Brands of HEIF files in general, whatever the codec: counted as HEIC.
    static let heifBrands: Set<String> = ["mif1", "msf1", "mif2", "miaf"]

    /// Reads the box header at `at`. `parentEnd` bounds the box; `nil` for top-level boxes, which
    /// the file's end bounds: overrunning that is truncation, overrunning a parent is corruption.
    static func box(_ input: Input, at: Int, parentEnd: Int?) throws(Stop) -> Box {
        try input.require(at + 8, "\(input.name) box header at offset \(at)", at: at)
        let size32 = try input.u32be(at)
        let type = try input.fourCC(at + 4)
        var payload = at + 8
        var end: Int
        switch size32 {
        case 0:  // extends to the end of its container
            guard let container = parentEnd ?? input.fileSize else {
                // A top-level box "to end of file" with the end unknown: we only need its start.
                return Box(type: type, start: at, payload: payload, end: Int.max / 4)
            }
            end = container
        case 1:
            try input.require(at + 16, "\(input.name) box '\(type)' 64-bit size at offset \(at)", at: at)
            let large = try input.u64be(at + 8)
            guard large < 1 << 62 else {
                throw .malformed(offset: at, "\(input.name) box '\(type)' at offset \(at) claims size \(large)")
            }
            payload = at + 16
            end = at + Int(large)
        default:
            end = at + size32
        }
        guard end >= payload else {
            throw .malformed(offset: at, "\(input.name) box '\(type)' at offset \(at) has size \(end - at), "
                + "smaller than its header")
        }
        if parentEnd == nil, let size = input.fileSize, end > size {
            throw .need(end: end, preferred: end, offset: at,
                        what: "\(input.name) box '\(type)' at offset \(at) (size \(end - at))")
        }
        if let parentEnd, end > parentEnd {
            throw .malformed(offset: at, "\(input.name) box '\(type)' at offset \(at) (size \(end - at)) "
                + "runs past its container's end at \(parentEnd)")
        }
        return Box(type: type, start: at, payload: payload, end: end)
    }

    /// The boxes directly inside `start..<end`.
    static func children(_ input: Input, from start: Int, to end: Int) throws(Stop) -> [Box] {
        var boxes: [Box] = []
        var at = start
        while at + 8 <= end {
            input.progress.steps += 1
            let b = try box(input, at: at, parentEnd: end)
            boxes.append(b)
            at = b.end
        }
        return boxes
    }

    /// HEIC or AVIF from the `ftyp` brands (major brand first), or not an image at all. Sets
    /// `input.format` as soon as the major brand settles it, so a truncated `ftyp` still reports it.
    static func format(_ input: inout Input) throws(Stop) -> ImageFormat {
        if input.count >= 12 {
            let major = try input.fourCC(8)
            if avifBrands.contains(major) { input.format = .avif }
            if heicBrands.contains(major) { input.format = .heic }
        }
        let ftyp = try box(input, at: 0, parentEnd: nil)
        guard ftyp.end - ftyp.start <= 4096, ftyp.end >= 16 else {
            throw .malformed(offset: 0, "ISO base media 'ftyp' box has size \(ftyp.end - ftyp.start)")
        }
        try input.require(ftyp.end, "ISO base media 'ftyp' box", at: 0)
        let major = try input.fourCC(ftyp.payload)
        var compatible: Set<String> = []
        var at = ftyp.payload + 8
        while at + 4 <= ftyp.end {
            compatible.insert(try input.fourCC(at))
            at += 4
        }
        if avifBrands.contains(major) { return .avif }
        if heicBrands.contains(major) { return .heic }
        if !compatible.isDisjoint(with: avifBrands) { return .avif }
        if !compatible.isDisjoint(with: heicBrands) { return .heic }
        if heifBrands.contains(major) || !compatible.isDisjoint(with: heifBrands) { return .heic }
        throw .notImage("an ISO base media file with brand '\(major)' (video or audio, not a still image)")
    }

    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        let name = input.name
        // Top level: find `meta`, skipping whatever comes first (usually nothing, sometimes mdat).
        var at = input.progress.resumePoint(for: input.format)?.at ?? 0
        var meta: Box? = nil
        while meta == nil {
            // Every box before `at` is present and skipped: a longer prefix resumes here.
            input.progress.record(input.format, at: at, in: input)
            input.progress.steps += 1
            if let size = input.fileSize, at >= size {
                throw .need(end: at + 8, preferred: at + 8, offset: at, what: "\(name) file, with no 'meta' box up to offset \(at),")
            }
            let b = try box(input, at: at, parentEnd: nil)
            if b.type == "meta" {
                meta = b
            } else if b.end >= Int.max / 4 {
                throw .malformed(offset: at, "\(name) box '\(b.type)' at offset \(at) runs to the end of the file, with no 'meta' box before it")
            } else {
                at = b.end
            }
        }
        guard let meta else { throw .malformed(offset: at, "\(name) file has no 'meta' box") }
        try input.require(meta.end, "\(name) 'meta' box at offset \(meta.start) (size \(meta.end - meta.start))", at: meta.start)

        // `meta` is a full box: 4 bytes of version and flags before its children.
        var primary: Int? = nil
        var properties: [Box] = []
        var associations: [Int: [Int]] = [:]
        for child in try children(input, from: meta.payload + 4, to: meta.end) {
            switch child.type {
            case "pitm":
                let version = try input.u8(child.payload)
                // Version 0 holds a 2-byte item id, later ones a 4-byte one.
                guard child.end - child.payload >= (version == 0 ? 6 : 8) else {
                    throw .malformed(offset: child.start, "\(name) 'pitm' at offset \(child.start) is too short")
                }
                primary = try (version == 0 ? input.u16be(child.payload + 4) : input.u32be(child.payload + 4))
            case "iprp":
                for sub in try children(input, from: child.payload, to: child.end) {
                    if sub.type == "ipco" {
                        properties = try children(input, from: sub.payload, to: sub.end)
                    } else if sub.type == "ipma" {
                        try readAssociations(input, sub, into: &associations)
                    }
                }
            default:
                break
            }
        }

        // Property indices are 1-based; 0 means "none".
        var chosen: [Box] = []
        if let primary, let indices = associations[primary] {
            chosen = indices.compactMap { $0 >= 1 && $0 <= properties.count ? properties[$0 - 1] : nil }
        }
        var extents: (width: Int, height: Int)? = nil
        for p in chosen where p.type == "ispe" {
            extents = try spatialExtents(input, p)
            break
        }
        if extents == nil {
            // No usable association: the largest ispe is the main image (the rest are
            // thumbnails or tiles); without the transforms, orientation stays unknown (normal).
            chosen = []
            for p in properties where p.type == "ispe" {
                let e = try spatialExtents(input, p)
                // Both sides are at most 2^20 (`spatialExtents`), so the areas fit easily.
                if extents.map({ e.width * e.height > $0.width * $0.height }) ?? true { extents = e }
            }
        }
        guard let extents else {
            throw .malformed(offset: meta.start, "\(name) 'meta' box has no 'ispe' (image size) property")
        }

        var width = extents.width, height = extents.height
        var transform = Transform()
        for p in chosen {
            switch p.type {
            case "irot" where p.end > p.payload:
                let angle = Int(try input.u8(p.payload) & 3)  // anticlockwise quarter turns
                transform.rotateClockwise((4 - angle) % 4)
                if angle % 2 == 1 { swap(&width, &height) }
            case "imir" where p.end > p.payload:
                // ISO/IEC 23008-12:2017/AMD 2 "mode": 0 exchanges top and bottom, 1 left and right.
                if try input.u8(p.payload) & 1 == 0 { transform.flipVertically() } else { transform.flipHorizontally() }
            case "clap":
                if let cropped = try cleanAperture(input, p), cropped.width <= width, cropped.height <= height {
                    (width, height) = cropped
                }
            default:
                break
            }
        }
        return ImageInfo(format: input.format ?? .heic, width: width, height: height,
                         storedWidth: extents.width, storedHeight: extents.height,
                         orientation: transform.orientation)
    }

    private static func spatialExtents(_ input: Input, _ p: Box) throws(Stop) -> (width: Int, height: Int) {
        guard p.end - p.payload >= 12 else {
            throw .malformed(offset: p.start, "\(input.name) 'ispe' at offset \(p.start) is too short")
        }
        let width = try input.u32be(p.payload + 4), height = try input.u32be(p.payload + 8)
        guard width > 0, height > 0 else {
            throw .malformed(offset: p.start, "\(input.name) 'ispe' at offset \(p.start) gives size \(width)x\(height)")
        }
        try input.checkSize(width, height, at: p.start, "\(input.name) 'ispe' at offset \(p.start)")
        return (width, height)
    }

    /// `clap` gives the crop size as fractions; a zero denominator or a non-positive result is ignored.
    private static func cleanAperture(_ input: Input, _ p: Box) throws(Stop) -> (width: Int, height: Int)? {
        guard p.end - p.payload >= 32 else { return nil }
        let wN = try input.u32be(p.payload), wD = try input.u32be(p.payload + 4)
        let hN = try input.u32be(p.payload + 8), hD = try input.u32be(p.payload + 12)
        guard wD > 0, hD > 0, wN / wD > 0, hN / hD > 0 else { return nil }
        return (wN / wD, hN / hD)
    }

    /// `ipma`: for each item, the 1-based indices of its properties in `ipco`, in order.
    private static func readAssociations(_ input: Input, _ ipma: Box, into map: inout [Int: [Int]]) throws(Stop) {
        let name = "\(input.name) 'ipma' at offset \(ipma.start)"
        var at = ipma.payload
        func take(_ n: Int) throws(Stop) -> Int {
            guard at + n <= ipma.end else { throw .malformed(offset: ipma.start, "\(name) runs past its end") }
            let v: Int
            switch n {
            case 1: v = Int(try input.u8(at))
            case 2: v = try input.u16be(at)
            default: v = try input.u32be(at)
            }
            at += n
            return v
        }
        let version = try take(1)
        let flags = try take(1) << 16 | (try take(2))
        let entries = try take(4)
        // Each entry takes at least 3 bytes, so the box's size bounds the loop whatever `entries` says.
        for _ in 0..<min(entries, (ipma.end - at) / 3 + 1) {
            let item = try take(version < 1 ? 2 : 4)
            let count = try take(1)
            var indices: [Int] = []
            input.progress.steps += 1 + count
            for _ in 0..<count {
                let v = try take(flags & 1 == 1 ? 2 : 1)
                indices.append(flags & 1 == 1 ? v & 0x7FFF : v & 0x7F)  // top bit: "essential"
            }
            map[item, default: []] += indices
        }
    }
}
