/// TIFF files: ImageWidth (256) and ImageLength (257) from IFD0, plus its Orientation (274).
enum TIFF {
    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        let ifd0 = try TIFFDirectory(input, base: 0, end: nil)
        guard let width = try ifd0.integer(256), width > 0 else {
            throw .malformed(offset: 0, "TIFF IFD0 has no usable ImageWidth (tag 256)")
        }
        guard let height = try ifd0.integer(257), height > 0 else {
            throw .malformed(offset: 0, "TIFF IFD0 has no usable ImageLength (tag 257)")
        }
        return .oriented(.tiff, stored: width, height, try ifd0.orientation())
    }
}
