/// Percent-decoding with or without form rules (`+` is a space). S3 event keys and query strings
/// are form-encoded; decoding `+` before `%XX` keeps `a+b` (sent as `a%2Bb`) and `a b` (sent as
/// `a+b`) distinct.
public enum PercentDecoding {
    /// The decoded text, or `nil` when the encoding is malformed (a stray `%`, or bytes that are
    /// not UTF-8).
    public static func decode(_ text: some StringProtocol, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var input = text.utf8.makeIterator()
        while let byte = input.next() {
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace: bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = input.next().flatMap(ASCII.hexValue), let low = input.next().flatMap(ASCII.hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
