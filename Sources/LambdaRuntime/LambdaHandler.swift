/// The function's code: one event in, one response out, both raw bytes (usually JSON), so the
/// runtime never parses or re-encodes a payload the handler may not even need to read whole.
///
/// Called on the runtime's only thread, one invocation at a time. A thrown error is reported to
/// Lambda through `/invocation/{id}/error` and the loop goes on to the next invocation.
public protocol LambdaHandler {
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8]
}

/// An error that knows how Lambda should report it.
///
/// `errorType` must have the form `Runtime.Xxx` or `Function.Xxx` with letters only after the
/// dot (`(Runtime|Function)\.[A-Z][a-zA-Z]+`): Lambda and its emulator turn any other value into
/// `Runtime.Unknown`, so the runtime reports such an error as `Function.UnhandledError` instead,
/// keeping the rejected type in the message. Errors that do not conform are reported as
/// `Function.UnhandledError` with their description.
public protocol LambdaError: Error {
    var errorType: String { get }
    var errorMessage: String { get }
}
