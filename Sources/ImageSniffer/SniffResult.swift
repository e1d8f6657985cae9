/// The answer to one call of `ImageSniffer.sniff`.
public enum SniffResult: Equatable, Sendable {
    /// The format and size are known.
    case image(ImageInfo)
    /// The prefix is too short: call again with the file's bytes `0..<upTo` (a caller may read
    /// further ahead; `upTo` never exceeds the known file size or the read limit).
    case needMore(upTo: Int)
    /// The bytes are not one of the supported image formats; the reason names what they look
    /// like instead ("a PDF document", "empty file").
    case notImage(reason: String)
    /// The signature announced an image but its header is truncated, malformed or too deep.
    case corrupt(SniffFailure)
}
