/// One small object written beside a multipart completion (`ObjectStore.completeUpload`): a big
/// catalog's index under the new version's ETag, or again as the latest.
public struct CompanionWrite: Equatable, Sendable {
    public var key: String
    /// Written only if the object is still this version (`If-Match`): two writers racing to
    /// describe their versions leave the first one's, which is usually the version that won.
    /// `nil`: written whatever is there.
    public var ifMatch: String?

    public init(key: String, ifMatch: String? = nil) {
        self.key = key
        self.ifMatch = ifMatch
    }
}
