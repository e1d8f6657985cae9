extension Unicode.Scalar {
    /// C0 and C1 controls, DEL, line/paragraph separators, the bidirectional marks, overrides and
    /// isolates (which can make `gnp.exe` display as `exe.png`) and the byte-order mark: what
    /// text shown to a person or put in a key must not hold.
    var isHiddenOrControl: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0xFEFF:
            true
        default:
            false
        }
    }
}
