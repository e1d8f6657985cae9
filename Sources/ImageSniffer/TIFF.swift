/// TIFF files: ImageWidth (256) and ImageLength (257) from IFD0, plus its Orientation (274); no
/// size when IFD0 is a reduced-resolution preview (NewSubfileType 254, bit 0: a camera raw file).
enum TIFF {
    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        let ifd0 = try TIFFDirectory(input, base: 0, end: nil)
        // NewSubfileType (254) bit 0: IFD0 is a reduced-resolution copy of the image (a camera
        // raw file's preview: NEF, DNG, ARW…): its size is not the image's, so none is given.
        if let subfileType = try ifd0.integer(254), subfileType & 1 == 1 {
            return ImageInfo(format: .tiff, width: nil, height: nil)
        }
        guard let width = try ifd0.integer(256), width > 0 else {
            throw .malformed(offset: 0, "TIFF IFD0 has no usable ImageWidth (tag 256)")
        }
        guard let height = try ifd0.integer(257), height > 0 else {
            throw .malformed(offset: 0, "TIFF IFD0 has no usable ImageLength (tag 257)")
        }
        return .oriented(.tiff, stored: width, height, try ifd0.orientation())
    }
}
