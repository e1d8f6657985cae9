#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the runtime writes its own diagnostics: one line per failure, so that each is one
/// CloudWatch event. Injectable so tests can read what would have been logged.
///
/// Lines name the request id, the error type and the message; never payloads or environment
/// values, which may hold personal data or credentials.
public struct RuntimeLog: Sendable {
    private let sink: @Sendable (String) -> Void

    public init(_ sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Standard error, which Lambda forwards to CloudWatch Logs.
    public static var standardError: RuntimeLog {
        RuntimeLog { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }

    /// Writes `message` as a single line (embedded line breaks become spaces).
    public func callAsFunction(_ message: String) {
        if message.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            sink(String(decoding: message.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self))
        } else {
            sink(message)
        }
    }
}
