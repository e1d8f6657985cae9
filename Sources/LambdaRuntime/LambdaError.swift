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
