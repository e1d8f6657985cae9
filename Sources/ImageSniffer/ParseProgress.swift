/// What one sniff of a prefix leaves for the next sniff of a longer prefix of the same file, so
/// a caller feeding the file in rounds pays for each structure once, not once per round (a walk
/// restarted per round costs the square of the file); and how many steps the walks took, so the
/// tests and the fuzzer can hold the cost to the bytes read. Public so that a caller reading
/// many files at once (concurrent ranged GETs) can keep one per file between its rounds.
///
/// A resume point is only recorded where everything before it is decided by bytes already
/// present, so a resumed walk decides exactly what a fresh walk over the longer prefix would.
public final class ParseProgress {
    public init() {}

    /// The format whose parser recorded `resumeAt`; another format starts from the beginning.
    private(set) var format: ImageFormat?
    /// Offset of the first structure not yet walked: a JPEG segment, an ISO BMFF top-level box.
    private(set) var resumeAt = 0
    /// JPEG: the EXIF orientation found before `resumeAt` (`nil`: no EXIF segment yet).
    private(set) var orientation: Orientation?
    /// Structures and bytes visited by the walks, over all rounds.
    var steps = 0

    /// Where `format`'s walk may start, or `nil` to start from the beginning.
    func resumePoint(for format: ImageFormat?) -> (at: Int, orientation: Orientation?)? {
        guard format != nil, format == self.format, resumeAt > 0 else { return nil }
        return (resumeAt, orientation)
    }

    /// Records that `format`'s walk has decided everything before `offset`, which `input` holds.
    func record(_ format: ImageFormat?, at offset: Int, orientation: Orientation? = nil, in input: Input) {
        guard format != nil, offset <= input.count else { return }
        self.format = format
        self.resumeAt = offset
        self.orientation = orientation
    }
}
