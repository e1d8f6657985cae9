/// One invocation as `/next` delivered it.
public struct Invocation: Sendable {
    public var context: InvocationContext
    public var event: [UInt8]

    public init(context: InvocationContext, event: [UInt8]) {
        self.context = context
        self.event = event
    }
}
