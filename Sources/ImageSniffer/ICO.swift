/// ICO: a directory of icon images; the catalog records the largest. A stored 0 means 256.
enum ICO {
    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        try input.require(6, "ICO header", at: 0)
        let count = try input.u16le(4)
        // 00 00 01 00 is a weak signature; an empty directory is no icon either.
        guard count > 0 else { throw .notImage("starts like an ICO file but lists no images") }
        let directoryEnd = 6 + 16 * count
        try input.require(directoryEnd, "ICO directory of \(count) entries", at: 6)
        var best: (width: Int, height: Int)? = nil
        input.progress.steps += count  // at most 65,535, and the directory must be present
        for i in 0..<count {
            let e = 6 + 16 * i
            let w = Int(try input.u8(e)), h = Int(try input.u8(e + 1))
            let size = (width: w == 0 ? 256 : w, height: h == 0 ? 256 : h)
            let dataSize = try input.u32le(e + 8), dataOffset = try input.u32le(e + 12)
            guard dataSize > 0, dataOffset >= directoryEnd else {
                throw .malformed(offset: e, "ICO entry \(i) at offset \(e) points to \(dataSize) bytes at offset \(dataOffset), "
                    + "inside the directory or empty")
            }
            if best.map({ size.width * size.height > $0.width * $0.height }) ?? true { best = size }
        }
        return ImageInfo(format: .ico, width: best?.width, height: best?.height)
    }
}
