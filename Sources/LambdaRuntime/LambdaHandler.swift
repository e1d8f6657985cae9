/// The function's code: one event in, one response out, both raw bytes (usually JSON), so the
/// runtime never parses or re-encodes a payload the handler may not even need to read whole.
///
/// Called on the runtime's only thread, one invocation at a time. A thrown error is reported to
/// Lambda through `/invocation/{id}/error` and the loop goes on to the next invocation.
public protocol LambdaHandler {
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8]
}
