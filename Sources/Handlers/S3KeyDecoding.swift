/// S3 event notifications carry object keys form-URL-encoded: a space arrives as `+`, everything
/// else percent-encoded. Decoding `+` first and then `%XX` gives the real key, so `a+b.jpg`
/// (sent as `a%2Bb.jpg`) and `a b.jpg` (sent as `a+b.jpg`) stay distinct.
enum S3KeyDecoding {
    /// Returns `nil` when the encoding is malformed (a stray `%`, or bytes that are not UTF-8).
    static func decode(_ encoded: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.utf8.count)
        var input = encoded.utf8.makeIterator()
        while let byte = input.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = input.next().flatMap(hexValue), let low = input.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
