/// A part `ObjectStore.startPart` sent: its answer is collected once, by `etag()`, after the
/// caller has made its other round trips.
public typealias StartedPart = Collected<String?>

extension Collected where Value == String? {
    /// The part's ETag, waiting for it if need be; `nil` when a copy's source is no longer the
    /// version it names (as `ObjectStore.uploadParts`); its error, thrown.
    public func etag() throws -> String? { try value() }
}
