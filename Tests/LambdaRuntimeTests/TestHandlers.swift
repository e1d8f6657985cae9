import LambdaRuntime

/// Handlers for the tests: each does one thing.
struct EchoHandler: LambdaHandler {
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] { event }
}

struct ThrowingHandler: LambdaHandler {
    let error: any Error
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] { throw error }
}

struct FixedSizeHandler: LambdaHandler {
    let size: Int
    func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        [UInt8](repeating: 0x20, count: size)
    }
}

struct TypedError: LambdaError, Equatable {
    var errorType: String
    var errorMessage: String
}

/// Not a `LambdaError`: reported as `Function.UnhandledError`.
enum PlainError: Error { case broken(code: Int) }
