#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Environment {
    /// The process environment, read from `environ` (Foundation's `ProcessInfo` would pull
    /// Foundation into the binary for this one call). For a name given twice, the first wins, as
    /// with `getenv`.
    public static func current() -> Environment {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(pair[..<equals])
                if result[name] == nil {
                    result[name] = String(pair[pair.utf8.index(after: equals)...])
                }
            }
            cursor += 1
        }
        return Environment(result)
    }
}
