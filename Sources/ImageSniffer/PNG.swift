/// PNG: the 8-byte signature, then IHDR, which the specification requires to come first.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        try input.require(8, "PNG signature", at: 0)
        guard input.matches(signature) else {
            let seen = input.bytes[4..<8].map(hex).joined(separator: " ")
            // The signature's CR LF, SUB, LF exist to catch text-mode transfers that rewrite them.
            throw .malformed(offset: 4, "PNG signature is damaged (bytes 4-7 are \(seen), expected 0d 0a 1a 0a): "
                + "the file was probably altered by a text-mode transfer")
        }
        var chunk = 8
        try input.require(chunk + 8, "PNG first chunk header", at: chunk)
        // Apple's "optimised" iPhone PNGs put a CgBI chunk before IHDR; skip it.
        if try input.fourCC(chunk + 4) == "CgBI" {
            chunk += 12 + (try input.u32be(chunk))  // at most 2^32 past offset 8: no overflow
            try input.require(chunk + 8, "PNG chunk header after CgBI", at: chunk)
        }
        let type = try input.fourCC(chunk + 4)
        guard type == "IHDR" else {
            throw .malformed(offset: chunk, "PNG's first chunk (offset \(chunk)) is '\(type)', not IHDR")
        }
        let length = try input.u32be(chunk)
        guard length == 13 else {
            throw .malformed(offset: chunk, "PNG IHDR at offset \(chunk) has length \(length), not 13")
        }
        try input.require(chunk + 16, "PNG IHDR at offset \(chunk)", at: chunk)
        let width = try input.u32be(chunk + 8), height = try input.u32be(chunk + 12)
        // The specification limits both to 1...2^31-1.
        guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
            throw .malformed(offset: chunk + 8, "PNG IHDR gives size \(width)x\(height); each must be 1 to 2^31-1")
        }
        return ImageInfo(format: .png, width: width, height: height)
    }
}

/// GIF: the logical screen size right after the "GIF87a"/"GIF89a" signature.
enum GIF {
    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        try input.require(10, "GIF logical screen descriptor", at: 0)
        guard input.matches(Array("GIF87a".utf8)) || input.matches(Array("GIF89a".utf8)) else {
            let version = fourCCText(input.bytes[0..<6])
            throw .malformed(offset: 0, "GIF signature '\(version)' is neither GIF87a nor GIF89a")
        }
        let width = try input.u16le(6), height = try input.u16le(8)
        guard width > 0, height > 0 else {
            throw .malformed(offset: 6, "GIF logical screen is \(width)x\(height)")
        }
        return ImageInfo(format: .gif, width: width, height: height)
    }
}

/// BMP: the DIB header after the 14-byte file header. Its size tells the version: 12 is the
/// OS/2 BITMAPCOREHEADER (16-bit sizes), 16 to 124 are BITMAPINFOHEADER and its successors
/// (signed 32-bit sizes; a negative height means rows are stored top-down).
enum BMP {
    static let infoHeaderSizes: Set<Int> = [16, 40, 52, 56, 64, 108, 124]

    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        try input.require(18, "BMP file header", at: 0)
        let headerSize = try input.u32le(14)
        if headerSize == 12 {
            try input.require(22, "BMP core header", at: 14)
            let width = try input.u16le(18), height = try input.u16le(20)
            guard width > 0, height > 0 else {
                throw .malformed(offset: 18, "BMP core header gives size \(width)x\(height)")
            }
            return ImageInfo(format: .bmp, width: width, height: height)
        }
        guard infoHeaderSizes.contains(headerSize) else {
            // "BM" is a weak signature (text can start with it): no known header, no BMP.
            throw .notImage("starts with \"BM\" but its DIB header size \(headerSize) is not a BMP one")
        }
        try input.require(26, "BMP info header", at: 14)
        let width = try input.i32le(18), signedHeight = try input.i32le(22)
        guard width > 0, signedHeight != 0, signedHeight != Int(Int32.min) else {
            throw .malformed(offset: 18, "BMP info header gives size \(width)x\(signedHeight)")
        }
        return ImageInfo(format: .bmp, width: width, height: abs(signedHeight))
    }
}

/// WebP: a RIFF file whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended:
/// alpha, animation, metadata), each storing the size differently.
enum WebP {
    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        try input.require(20, "WebP first chunk header", at: 12)
        let chunk = try input.fourCC(12)
        let width: Int, height: Int
        switch chunk {
        case "VP8 ":
            try input.require(30, "WebP VP8 frame header", at: 20)
            guard input.matches([0x9D, 0x01, 0x2A], at: 23) else {
                throw .malformed(offset: 23, "WebP VP8 frame at offset 20 lacks the key frame start code 9d 01 2a")
            }
            // The top two bits of each are an upscaling hint, not part of the size.
            width = try input.u16le(26) & 0x3FFF
            height = try input.u16le(28) & 0x3FFF
        case "VP8L":
            try input.require(25, "WebP VP8L header", at: 20)
            guard try input.u8(20) == 0x2F else {
                throw .malformed(offset: 20, "WebP VP8L header lacks its 0x2f signature byte")
            }
            let bits = try input.u32le(21)
            width = (bits & 0x3FFF) + 1
            height = (bits >> 14 & 0x3FFF) + 1
        case "VP8X":
            try input.require(30, "WebP VP8X header", at: 20)
            width = (try input.u24le(24)) + 1
            height = (try input.u24le(27)) + 1
        default:
            throw .malformed(offset: 12, "WebP's first chunk is '\(chunk)', not VP8, VP8L or VP8X")
        }
        guard width > 0, height > 0 else {
            throw .malformed(offset: 20, "WebP \(chunk) header gives size \(width)x\(height)")
        }
        return ImageInfo(format: .webp, width: width, height: height)
    }
}

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
