import ImageSniffer
import Storage

/// An object as S3 has it now, and what its first bytes say it is.
public struct ObjectObservation: Equatable, Sendable {
    public var size: Int64
    /// The version these bytes were read from: what the re-check after a write compares.
    public var version: ObjectVersion
    /// The sniffer's verdict on the object's head: never the key's extension.
    public var content: SniffResult
    /// Bytes of the object read to reach that verdict.
    public var bytesRead: Int

    public init(size: Int64, version: ObjectVersion, content: SniffResult, bytesRead: Int = 0) {
        self.size = size
        self.version = version
        self.content = content
        self.bytesRead = bytesRead
    }
}
