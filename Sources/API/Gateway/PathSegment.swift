/// The one check for `.` and `..` path segments, which the router refuses in request paths and
/// the upload rules refuse in object names and prefixes (S3 keeps them literally, but browsers
/// and proxies resolve them, so such a key would be shown or fetched as another one).
enum PathSegment {
    /// `.` or `..`. With `percentEncoded` (a raw request path), `%2e`/`%2E` count as dots too:
    /// that is what a double-decoding proxy would turn into a dot segment.
    static func isDot(_ segment: ArraySlice<UInt8>, percentEncoded: Bool = false) -> Bool {
        var dots = 0
        var i = segment.startIndex
        while i < segment.endIndex {
            if segment[i] == UInt8(ascii: ".") {
                i += 1
            } else if percentEncoded, segment[i] == UInt8(ascii: "%"), segment.endIndex - i >= 3,
                      segment[i + 1] == UInt8(ascii: "2"), segment[i + 2] | 0x20 == UInt8(ascii: "e") {
                i += 3
            } else {
                return false
            }
            dots += 1
            if dots > 2 { return false }
        }
        return dots == 1 || dots == 2
    }
}
