/// One header field, of a request or of a response. Names keep the case they were given (a
/// request is sent, and signed, exactly as built); `HTTPResponse` lower-cases the names it holds
/// so that lookups need no case folding on the hot path.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
