/// SigV4's two date forms (`20150830T123600Z` and `20150830`) from epoch seconds, via `gmtime_r`:
/// no Foundation, and no dependence on the process time zone.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct AMZDate: Equatable {
    /// `YYYYMMDD'T'HHMMSS'Z'`, the `x-amz-date` value.
    var timestamp: String
    /// `YYYYMMDD`, the credential scope's date.
    var day: String { String(timestamp.prefix(8)) }

    init(epochSeconds: Int64) {
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        timestamp = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }
}
