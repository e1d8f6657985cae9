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
