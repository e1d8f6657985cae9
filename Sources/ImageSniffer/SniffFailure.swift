/// Why the header could not give an answer although the file looked like an image.
public struct SniffFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file ends before the header does.
        case truncated
        /// The header contradicts itself or the format's rules.
        case malformed
        /// The needed bytes lie past the read limit (`maxBytes`): the file may be fine, but
        /// reading further is not worth it. The format is still known.
        case beyondLimit
    }

    public var kind: Kind
    /// The format the file's signature announced: callers may still record the type. `nil`
    /// only for an ISO base media file cut before its brands tell HEIC from AVIF.
    public var format: ImageFormat?
    /// Byte offset of the structure at fault.
    public var offset: Int
    public var message: String

    public init(_ kind: Kind, _ format: ImageFormat?, at offset: Int, _ message: String) {
        self.kind = kind
        self.format = format
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}
