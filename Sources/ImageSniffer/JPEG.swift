/// JPEG: walks the marker segments from SOI to the first frame header (SOFn), following each
/// segment's length, and reads the EXIF orientation from the first APP1 "Exif" segment on the
/// way. Entropy-coded data is never entered: every SOFn precedes the first scan (SOS).
///
/// The walk costs one step per segment, marker or skipped byte, and resumes where the previous
/// round stopped (`ParseProgress`): a file of a million empty segments fed in small reads costs
/// what it costs read at once. Messages are built only when thrown.
enum JPEG {
    /// Bytes to ask for at a segment start: marker (2), length (2), and a frame header's
    /// precision (1), height (2) and width (2), so reaching the frame costs no extra read.
    static let headerLookahead = 9

    static let exifSignature: [UInt8] = Array("Exif".utf8)

    /// The most bytes of garbage between two segments taken as a JPEG's: decoders skip any
    /// amount, but a file whose 1 MiB held only its signature and filler was cataloged as a
    /// JPEG (its size "too deep to read"), so past this it is malformed. (Fill bytes, 0xFF, are
    /// the standard's own, in any number: not bounded.)
    static let maxBetweenSegments = 64 * 1024

    static func parse(_ input: Input) throws(Stop) -> ImageInfo {
        let bytes = input.bytes
        let progress = input.progress
        var pos = 2  // after SOI
        var orientation: Orientation? = nil
        if let resume = progress.resumePoint(for: .jpg) {
            (pos, orientation) = resume
        }

        while true {
            // Everything before `pos` is decided: a longer prefix resumes here.
            progress.record(.jpg, at: pos, orientation: orientation, in: input)
            progress.steps += 1
            // Ask for a whole segment header at once (one round trip, not three), and for the
            // frame header's size fields with it, in case this is the frame.
            try input.require(min(pos + headerLookahead, input.fileSize ?? pos + headerLookahead), "JPEG segment header", at: pos)
            guard pos < bytes.count else {
                throw .need(end: pos + 1, preferred: pos + headerLookahead, offset: pos, what: "JPEG segment header")
            }
            // Garbage between segments: decoders (libjpeg's next_marker) skip to the next 0xFF.
            // (The same verdict read at once or in rounds: past the bound whether or not the
            // end of the garbage has been read yet.)
            if bytes[pos] != 0xFF {
                let start = pos
                guard let ff = bytes[pos...].firstIndex(of: 0xFF) else {
                    progress.steps += bytes.count - start
                    try betweenSegments(bytes.count - start, at: start)
                    throw input.needScanChunk("JPEG marker search", at: start)
                }
                progress.steps += ff - start
                try betweenSegments(ff - start, at: start)
                pos = ff
            }
            // Any number of 0xFF fill bytes may precede the marker code.
            var code = pos + 1
            while code < bytes.count && bytes[code] == 0xFF { code += 1 }
            progress.steps += code - pos
            guard code < bytes.count else {
                if code - pos > headerLookahead {
                    throw input.needScanChunk("JPEG fill bytes at offset \(pos)", at: pos)
                }
                throw .need(end: code + 1, preferred: code + headerLookahead - 1, offset: pos, what: "JPEG marker")
            }
            let marker = bytes[code]
            let markerAt = code - 1
            pos = code + 1

            switch marker {
            case 0x00:
                continue  // a stuffed 0xFF00 belongs to data, not a marker: keep searching
            case 0x01, 0xD0...0xD8:
                continue  // TEM, RSTn and a stray SOI stand alone, with no length
            case 0xD9:
                throw .malformed(offset: markerAt, "JPEG ends (EOI at offset \(markerAt)) before any frame header (SOFn)")
            case 0xDA:
                throw .malformed(offset: markerAt, "JPEG scan (SOS at offset \(markerAt)) comes before any frame header (SOFn)")
            default:
                break
            }

            func name() -> String { "JPEG segment 0x\(hex(marker)) at offset \(markerAt)" }
            try input.require(pos + 2, "\(name()) length", at: markerAt)
            let length = try input.u16be(pos)
            guard length >= 2 else {
                throw .malformed(offset: markerAt, "\(name()) has length \(length), less than its own 2 length bytes")
            }
            let segmentEnd = pos + length
            if let size = input.fileSize, segmentEnd > size {
                throw .need(end: segmentEnd, preferred: segmentEnd, offset: markerAt,
                            what: "\(name()) with length \(length)")
            }

            if isStartOfFrame(marker) {
                guard length >= 8 else {
                    throw .malformed(offset: markerAt, "JPEG frame header at offset \(markerAt) has length \(length), less than 8")
                }
                try input.require(pos + 7, "JPEG frame header at offset \(markerAt)", at: markerAt)
                let height = try input.u16be(pos + 3)
                let width = try input.u16be(pos + 5)
                guard width > 0 else {
                    throw .malformed(offset: markerAt, "JPEG frame header at offset \(markerAt) has width 0")
                }
                guard height > 0 else {
                    throw .malformed(offset: markerAt,
                                     "JPEG frame header at offset \(markerAt) has height 0 (set later by a DNL marker: not supported)")
                }
                return .oriented(.jpg, stored: width, height, orientation ?? .normal)
            }

            if marker == 0xE1 && orientation == nil && length >= 8 + 2 {
                // Ask for the next segment's header along with this one: one round trip, not two.
                try input.require(min(segmentEnd + headerLookahead, input.fileSize ?? segmentEnd + headerLookahead), name(), at: markerAt)
                if input.matches(exifSignature, at: pos + 2) && bytes[pos + 7] == 0 {
                    // EXIF that does not parse is ignored, as viewers do: it cannot hide the picture.
                    orientation = (try? TIFFDirectory(input, base: pos + 8, end: segmentEnd).orientation()) ?? .normal  // EXIF: a TIFF block
                }
            }
            pos = segmentEnd
        }
    }

    /// SOF0–3, 5–7, 9–11, 13–15: baseline, extended, progressive, lossless, hierarchical and
    /// arithmetic-coded frames. 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not frames.
    static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }

    /// Refuses `count` bytes of garbage between segments past `maxBetweenSegments`.
    static func betweenSegments(_ count: Int, at offset: Int) throws(Stop) {
        guard count <= maxBetweenSegments else {
            throw .malformed(offset: offset, "JPEG has over \(maxBetweenSegments) bytes of garbage between segments at offset \(offset)")
        }
    }
}
