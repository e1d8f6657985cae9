/// S3 answers `Last-Modified: Wed, 25 Nov 2026 16:00:00 GMT`; the catalog stores ISO 8601
/// (`2026-11-25T16:00:00Z`), which sorts as text and parses everywhere.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `nil` when the text is not an RFC 7231 IMF-fixdate.
    static func iso8601(_ text: String) -> String? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]), parts[3].count == 4
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && Int($0) != nil }) else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month + 1))-\(two(day))T\(time[0]):\(time[1]):\(time[2])Z"
    }
}
