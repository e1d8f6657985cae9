import Basics
import LambdaRuntime

/// An event the function cannot read is the caller's mistake, reported with its JSON path.
extension EventError: LambdaError {
    public var errorType: String { "Function.InvalidEvent" }
    public var errorMessage: String { description }
}
