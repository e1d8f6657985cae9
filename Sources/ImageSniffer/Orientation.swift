/// How a stored picture must be turned to be shown upright, as EXIF tag 0x0112 numbers it
/// (TIFF 6.0 "Orientation"). HEIF/AVIF `irot`/`imir` properties are mapped onto the same eight
/// values so callers deal with one vocabulary.
public enum Orientation: Int, Sendable, CaseIterable {
    /// 1: shown as stored.
    case normal = 1
    /// 2: mirrored left to right.
    case mirrorHorizontal = 2
    /// 3: turned 180°.
    case rotate180 = 3
    /// 4: mirrored top to bottom.
    case mirrorVertical = 4
    /// 5: mirrored across the top-left to bottom-right diagonal.
    case transpose = 5
    /// 6: turned 90° clockwise to display.
    case rotate90 = 6
    /// 7: mirrored across the top-right to bottom-left diagonal.
    case transverse = 7
    /// 8: turned 90° anticlockwise (270° clockwise) to display.
    case rotate270 = 8

    /// Orientations 5–8 show the stored width as the displayed height.
    public var swapsWidthAndHeight: Bool { rawValue >= 5 }
}
