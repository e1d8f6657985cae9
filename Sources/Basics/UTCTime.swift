/// A UTC calendar time from epoch seconds, by calendar arithmetic: no Foundation, no time zone,
/// no C library call. The one place dates are formatted or parsed: ISO 8601 for the catalog and
/// the API, SigV4's `x-amz-date` forms, S3's `Last-Modified` (RFC 7231 IMF-fixdate), the log
/// lines' RFC 3339 timestamps and the event times of S3 notifications.
public struct UTCTime: Equatable, Sendable {
    public var year: Int64, month: Int64, day: Int64
    public var hour: Int64, minute: Int64, second: Int64

    public init(epochSeconds: Int64) {
        let days = Self.floorDivide(epochSeconds, 86_400)
        let seconds = epochSeconds - days * 86_400
        (year, month, day) = Self.civil(daysSinceEpoch: days)
        hour = seconds / 3600
        minute = seconds / 60 % 60
        second = seconds % 60
    }

    /// `2026-11-25T17:05:00Z`: sorts as text and parses everywhere (browsers' `Date.parse`).
    public var iso8601: String {
        "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))T\(Self.pad(hour, 2)):\(Self.pad(minute, 2)):\(Self.pad(second, 2))Z"
    }

    /// `20261125T170500Z`, SigV4's `x-amz-date`.
    public var compactTimestamp: String {
        "\(Self.pad(year, 4))\(Self.pad(month, 2))\(Self.pad(day, 2))T\(Self.pad(hour, 2))\(Self.pad(minute, 2))\(Self.pad(second, 2))Z"
    }

    /// `20261125`, SigV4's credential-scope date.
    public var compactDay: String { "\(Self.pad(year, 4))\(Self.pad(month, 2))\(Self.pad(day, 2))" }

    public static func iso8601(epochSeconds: Int64) -> String { UTCTime(epochSeconds: epochSeconds).iso8601 }

    /// `2026-11-25T17:05:00.042Z`: RFC 3339 with milliseconds, as Lambda's JSON log lines carry.
    public static func iso8601(epochMilliseconds ms: Int64) -> String {
        let seconds = floorDivide(ms, 1000)
        let text = UTCTime(epochSeconds: seconds).iso8601
        return String(text.dropLast()) + "." + pad(ms - seconds * 1000, 3) + "Z"
    }

    /// Epoch milliseconds of an RFC 3339 time in UTC as S3 and EventBridge write them
    /// (`2026-11-25T17:05:00.042Z`, `2026-11-25T17:05:00Z`; any number of fraction digits, `Z` or
    /// `+00:00`); `nil` for anything else. Event times only feed metrics, so other offsets are
    /// not worth a parser.
    public static func epochMilliseconds(iso8601 text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var n: Int64 = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                n = n * 10 + Int64(b[i] - 48)
            }
            return n
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] | 0x20 == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var millis: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, (48...57).contains(b[i]) {
                if digits < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        let zone = b[i...]
        guard zone.elementsEqual("Z".utf8) || zone.elementsEqual("z".utf8) || zone.elementsEqual("+00:00".utf8) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Wed, 25 Nov 2026 16:00:00 GMT` (S3's `Last-Modified`) as ISO 8601; `nil` when the text
    /// is not an IMF-fixdate.
    public static func iso8601(fromHTTPDate text: String) -> String? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int64(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])), let year = Int64(parts[3]), parts[3].count == 4
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && Int($0) != nil }) else { return nil }
        return "\(year)-\(pad(Int64(month + 1), 2))-\(pad(day, 2))T\(time[0]):\(time[1]):\(time[2])Z"
    }

    /// Howard Hinnant's `civil_from_days` (proleptic Gregorian calendar).
    static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's `days_from_civil`, the inverse of `civil(daysSinceEpoch:)`.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.utf8.count)) + digits
    }
}
