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
