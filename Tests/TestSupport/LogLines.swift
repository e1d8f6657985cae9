import LambdaRuntime

/// Collects what a handler or the loop logs, so tests can assert on log lines (and on what must
/// never be in them: credentials, tokens, presigned URLs).
public final class LogLines: @unchecked Sendable {
    private var storage: [String] = []
    public init() {}
    public var lines: [String] { storage }
    public func append(_ line: String) { storage.append(line) }
    public var log: RuntimeLog { RuntimeLog { [self] in self.append($0) } }
}
