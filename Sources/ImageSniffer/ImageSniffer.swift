/// Decides an image's real format and displayed pixel size from the first bytes of the file,
/// never from its name. Pure: no I/O, no allocation beyond small strings, no global state.
///
/// It is built for ranged reads (S3 `Range: bytes=0-N`): give it what you have, and it either
/// answers or says exactly how far it needs to see. Most formats answer within the first few
/// dozen bytes; a JPEG is walked segment by segment to its frame header, which can sit behind
/// tens of KB of EXIF/ICC/XMP; HEIC/AVIF need their `meta` box; TIFF needs its first IFD.
///
///     var bytes = try read(0..<4096)
///     while case .needMore(let upTo) = ImageSniffer.sniff(prefix: bytes, totalSize: size) {
///         bytes += try read(bytes.count..<upTo)
///     }
///
/// Every result is reached in a bounded number of steps: each `.needMore` asks for strictly
/// more bytes than were given, never past `totalSize` or `maxBytes`.
///
/// Hostile input: no bytes can make it trap (every read is bounds-checked, every number from
/// the file is bounded before arithmetic), no answer gives a side above `maxDimension`, and the
/// work is linear in the bytes read (loops walk structures that each take bytes; the driver
/// resumes walks instead of restarting them each round).
public enum ImageSniffer {
    /// The default read limit: 1 MiB covers every real-world header we know of (the largest are
    /// JPEGs with embedded previews in EXIF, or HEIFs with a `meta` box listing many tiles).
    public static let defaultMaxBytes = 1 << 20

    /// The largest width or height answered, in pixels (2^20 = 1,048,576). Above every real
    /// picture's side (JPEG stops at 65,535, WebP at 16,384; the largest stitched panoramas and
    /// slide scans are a few hundred thousand), far below what overflows arithmetic on it. A
    /// header claiming more is `.corrupt` (`.malformed`), whatever its format.
    public static let maxDimension = 1 << 20

    /// Bytes needed before the signature check: enough for every magic number and for the
    /// fixed headers of PNG and most WebPs, so those answer in one step. (GIF and BMP, whose
    /// signatures are letters, also need the text check's sample: up to 512 bytes.)
    static let signatureBytes = 32

    /// Sniffs the bytes `prefix` (the first `prefix.count` bytes of the file).
    ///
    /// - Parameters:
    ///   - totalSize: the whole file's size when known (S3 gives it in `Content-Range`). When
    ///     `nil`, a short prefix is taken as possibly incomplete and answered with `.needMore`;
    ///     once a read comes back short, pass the bytes seen so far as the size.
    ///   - maxBytes: never ask for bytes past this offset; a header that goes further gives
    ///     `.corrupt` with kind `.beyondLimit`.
    public static func sniff(prefix: [UInt8], totalSize: Int64?, maxBytes: Int = defaultMaxBytes) -> SniffResult {
        sniff(prefix: prefix, totalSize: totalSize, maxBytes: maxBytes, progress: ParseProgress())
    }

    /// As above, resuming the walks `progress` recorded over a shorter prefix of the same file
    /// (pass the same `progress` with each longer prefix, never one of another file).
    public static func sniff(prefix: [UInt8], totalSize: Int64?, maxBytes: Int, progress: ParseProgress) -> SniffResult {
        var fileSize: Int? = nil
        if let totalSize, totalSize >= 0 {
            fileSize = max(Int(clamping: totalSize), prefix.count)
        }
        let limit = max(maxBytes, signatureBytes)
        if fileSize == 0 { return .notImage(reason: "empty file") }

        let wanted = min(signatureBytes, fileSize ?? signatureBytes)
        if prefix.count < wanted { return .needMore(upTo: min(wanted, limit)) }

        var input = Input(bytes: prefix, fileSize: fileSize, limit: limit, progress: progress)
        do throws(Stop) {
            var format = try Signature.detect(input)
            if format == .heic {
                format = try ISOBMFF.format(&input)  // the brands tell HEIC from AVIF
            }
            input.format = format
            let info = try parse(format, input)
            try input.checkSize(info.storedWidth ?? 0, info.storedHeight ?? 0, at: 0, "\(input.name) header")
            try input.checkSize(info.width ?? 0, info.height ?? 0, at: 0, "\(input.name) header")
            return .image(info)
        } catch {
            return resolve(error, input)
        }
    }

    private static func parse(_ format: ImageFormat, _ input: Input) throws(Stop) -> ImageInfo {
        switch format {
        case .jpg: try JPEG.parse(input)
        case .png: try PNG.parse(input)
        case .gif: try GIF.parse(input)
        case .webp: try WebP.parse(input)
        case .bmp: try BMP.parse(input)
        case .tiff: try TIFF.parse(input)
        case .heic, .avif: try ISOBMFF.parse(input)
        case .ico: try ICO.parse(input)
        case .svg: try SVG.parse(input)
        }
    }

    /// Turns a parser's stop into an answer: ask for more, or explain why not.
    private static func resolve(_ stop: Stop, _ input: Input) -> SniffResult {
        switch stop {
        case .notImage(let reason):
            return .notImage(reason: reason)
        case .malformed(let offset, let message):
            return .corrupt(SniffFailure(.malformed, input.format, at: offset, message))
        case .need(let end, let preferred, let offset, let what):
            if let size = input.fileSize, end > size {
                return .corrupt(SniffFailure(
                    .truncated, input.format, at: offset,
                    "\(what) runs past the end of the file (needs \(end) bytes, the file has \(size))"))
            }
            if end > input.limit {
                // Markup is SVG only once its root element says so: text that starts with `<`
                // and runs on past the limit before it (a PHP file, a long comment) is not an
                // image. (An `<svg>` start tag longer than the limit is an SVG, sized or not.)
                if input.format == .svg && !what.hasPrefix(SVG.startTag) {
                    return .notImage(reason: "markup whose \(what) is not within the first \(input.limit) bytes")
                }
                return .corrupt(SniffFailure(
                    .beyondLimit, input.format, at: offset,
                    "\(what) needs \(end) bytes, past the \(input.limit)-byte read limit"))
            }
            let upTo = min(max(preferred, end), input.fileSize ?? Int.max, input.limit)
            // A parser only asks for bytes it lacks; this guard keeps callers' loops finite
            // even if one day it did not.
            guard upTo > input.count else {
                return .corrupt(SniffFailure(
                    .malformed, input.format, at: offset, "\(what): parser asked for bytes it already has"))
            }
            return .needMore(upTo: upTo)
        }
    }
}
