#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Standard output and standard error, which Lambda forwards to CloudWatch Logs line by line.
/// One `write` per line (retried on a short write), so lines from a process never interleave
/// mid-line and nothing waits in a buffer when Lambda freezes the process.
public enum StandardStream: Int32, Sendable {
    case output = 1
    case error = 2

    /// Writes `line` and a line break.
    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                let n = Glibc.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                let n = Musl.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
