/// Why a format parser stopped before reaching an answer. Parsers throw it so that each can be
/// written as a straight walk through its header; `ImageSniffer` turns it into a `SniffResult`.
enum Stop: Error {
    /// Bytes up to `end` are needed. `preferred` (≥ `end`) is what to ask for when the parser is
    /// scanning text of unknown length and one byte more would just mean another round trip.
    case need(end: Int, preferred: Int, offset: Int, what: String)
    case malformed(offset: Int, String)
    case notImage(String)
}
