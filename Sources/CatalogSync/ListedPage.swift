/// One page of a listing.
public struct ListedPage: Equatable, Sendable {
    public var objects: [ListedObject]
    /// More objects follow the last one listed.
    public var isTruncated: Bool

    public init(objects: [ListedObject], isTruncated: Bool) {
        self.objects = objects
        self.isTruncated = isTruncated
    }
}
