/// The EXIF block of a JPEG: a TIFF structure whose IFD0 may hold the orientation.
enum EXIF {
    static func orientation(_ input: Input, tiffAt base: Int, end: Int) throws(Stop) -> Orientation {
        try TIFFDirectory(input, base: base, end: end).orientation()
    }
}
