/// Which stretches of the old catalog a write rewrites, and which it copies server-side
/// (multipart `UploadPartCopy`), so that a change costs the bytes of the windows it touches, not
/// of the whole catalog.
///
/// S3 decides the shape: every part but the last is at least `minPart` (5 MiB), so
/// - each touched block grows into a window of at least `target` bytes (forward, or to the end
///   of the file, where the last part may be small): changes near the end of the name order
///   (new uploads under a time-ordered prefix) rewrite little;
/// - windows that overlap, touch, or leave less than `minPart` between them merge, and a window
///   that starts less than `minPart` from the file's start starts at it;
/// - what lies between windows is copied as it is, in parts of about `copyTarget` (never under
///   `minPart`) that the server copies concurrently: one part per copy would make every write
///   wait for one server-side copy of almost the whole catalog.
/// A window whose output still comes out too small (its entries were removed) is planned again
/// with one more block (`grown`).
public struct SplicePlan: Equatable, Sendable {
    public enum Region: Equatable, Sendable {
        /// Old bytes kept as they are.
        case copy(Range<Int64>)
        /// Old blocks rewritten with the changes that fall in them.
        case rewrite(Range<Int>)
    }

    public let regions: [Region]
    /// The blocks that must be rewritten: those the changes touch, and those added by `grown`.
    public let touched: [Int]
    /// The size copied stretches are cut to.
    public let copyTarget: Int64

    /// Copies larger than this are split (S3's limit for one part is 5 GiB).
    public static let maxCopyPart: Int64 = 4 << 30

    public init(index: CatalogIndex, touched: some Sequence<Int>, minPart: Int64, target: Int64,
                copyTarget: Int64 = maxCopyPart) {
        let touched = Array(Set(touched)).sorted()
        self.touched = touched
        self.copyTarget = copyTarget
        let n = index.blocks.count
        func bytes(_ r: Range<Int>) -> Int64 { r.isEmpty ? 0 : Self.length(index.range(of: r)) }
        var windows: [Range<Int>] = []
        for block in touched {
            var end = block + 1
            while end < n && bytes(block..<end) < target { end += 1 }
            if let last = windows.last, block <= last.upperBound {
                windows[windows.count - 1] = last.lowerBound..<max(last.upperBound, end)
            } else {
                windows.append(block..<end)
            }
        }
        // Gaps too small to be a part of their own join the windows around them.
        var merged: [Range<Int>] = []
        for window in windows {
            if let last = merged.last, bytes(last.upperBound..<window.lowerBound) < minPart {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, window.upperBound)
            } else {
                merged.append(window)
            }
        }
        if let first = merged.first, first.lowerBound > 0, bytes(0..<first.lowerBound) < minPart {
            merged[0] = 0..<first.upperBound
        }
        var regions: [Region] = []
        var position = 0
        for window in merged {
            if position < window.lowerBound {
                regions += Self.copies(index.range(of: position..<window.lowerBound), minPart: minPart, target: copyTarget)
            }
            regions.append(.rewrite(window))
            position = window.upperBound
        }
        if position < n { regions += Self.copies(index.range(of: position..<n), minPart: minPart, target: copyTarget) }
        self.regions = regions
    }

    /// The same plan with `block` rewritten too: for a window whose output came out smaller than
    /// a part may be (grow it forward), or empty at the end of the file (grow it backward).
    public func grown(by block: Int, index: CatalogIndex, minPart: Int64, target: Int64) -> SplicePlan {
        SplicePlan(index: index, touched: touched + [block], minPart: minPart, target: target, copyTarget: copyTarget)
    }

    /// Whether the plan rewrites the whole file: nothing is copied.
    public var rewritesEverything: Bool { regions.count == 1 && { if case .rewrite = regions[0] { true } else { false } }() }

    public static func length(_ range: Range<Int64>) -> Int64 { range.upperBound - range.lowerBound }

    private static func copies(_ range: Range<Int64>, minPart: Int64, target: Int64) -> [Region] {
        let target = min(target, maxCopyPart)
        let pieces = max((length(range) + maxCopyPart - 1) / maxCopyPart,
                         min((length(range) + target - 1) / target, length(range) / max(1, minPart)))
        guard pieces > 1 else { return [.copy(range)] }
        // Even cuts: every piece is ⌊length / pieces⌋ or one byte more, so none is under minPart.
        let cut = { (i: Int64) in range.lowerBound + length(range) * i / pieces }
        return (0..<pieces).map { .copy(cut($0)..<cut($0 + 1)) }
    }
}
