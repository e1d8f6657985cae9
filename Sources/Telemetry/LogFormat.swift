/// How log lines are written (`AWS_LAMBDA_LOG_FORMAT`).
public enum LogFormat: Sendable, Equatable {
    /// One tab-separated line, as Lambda's managed runtimes write text:
    /// `timestamp  requestId  LEVEL  message`. Lambda passes text lines through unfiltered, so the
    /// logger drops those below its level itself.
    case text
    /// One JSON object per line: `timestamp` (RFC 3339, milliseconds, UTC), `level`, `message`,
    /// `requestId` and the line's facts as fields. Lambda reads `level` and drops what is below
    /// the function's application log level (the logger drops those too, saving the write).
    case json

    /// `Text` or `JSON`, in any case; `nil` otherwise.
    public init?(name: String) {
        switch name.lowercased() {
        case "text": self = .text
        case "json": self = .json
        default: return nil
        }
    }
}
