/// A display transform in the dihedral group: an optional left-right flip of the stored image,
/// then `quarterTurns` clockwise turns. Composes HEIF's irot/imir sequence into one EXIF value.
struct Transform {
    var flipped = false
    var quarterTurns = 0

    mutating func rotateClockwise(_ turns: Int) { quarterTurns = (quarterTurns + turns) % 4 }
    /// Mirroring after a rotation equals the opposite rotation after the mirror.
    mutating func flipHorizontally() { flipped.toggle(); quarterTurns = (4 - quarterTurns) % 4 }
    /// A top-bottom flip is a left-right flip followed by a half turn.
    mutating func flipVertically() { flipHorizontally(); rotateClockwise(2) }

    var orientation: Orientation {
        switch (flipped, quarterTurns) {
        case (false, 0): .normal
        case (false, 1): .rotate90
        case (false, 2): .rotate180
        case (false, _): .rotate270
        case (true, 0): .mirrorHorizontal
        case (true, 1): .transverse
        case (true, 2): .mirrorVertical
        case (true, _): .transpose
        }
    }
}
