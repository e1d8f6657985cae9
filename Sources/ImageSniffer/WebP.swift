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
