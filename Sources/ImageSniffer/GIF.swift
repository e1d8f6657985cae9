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
