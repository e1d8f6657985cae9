/// The handler's response is over Lambda's 6 MB limit; Lambda would reject it anyway, with a
/// less useful message.
public struct ResponseSizeTooLarge: LambdaError, Sendable, Equatable {
    public var size: Int
    public var limit: Int

    public init(size: Int, limit: Int) {
        self.size = size
        self.limit = limit
    }

    public var errorType: String { "Function.ResponseSizeTooLarge" }
    public var errorMessage: String { "response is \(size) bytes, over Lambda's limit of \(limit) bytes" }
}
