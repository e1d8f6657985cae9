// Fuzz target for ImageSniffer. Built two ways:
// - by scripts/fuzz, which compiles ImageSniffer and Basics as instrumented modules (testable, so
//   the step counter is visible) and this file with `swiftc -sanitize=fuzzer
//   -DIMAGESNIFFER_LIBFUZZER`: libFuzzer supplies `main` and calls `LLVMFuzzerTestOneInput` with
//   generated inputs. (Not through SwiftPM: it links executables with `main` renamed to
//   `<target>_main`, which libFuzzer's own `main` cannot satisfy.)
// - by a plain `swift build`: a replay tool, `ImageSnifferFuzz FILE...`, that sniffs each file
//   as the fuzzer would, so a crasher can be re-run and debugged without the fuzzer.
#if IMAGESNIFFER_LIBFUZZER
@testable import ImageSniffer
#else
import ImageSniffer
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Sniffs `bytes` whole, and as every kind of prefix the incremental API sees, and traps if a
/// promise is broken (libFuzzer reports a trap as a crash, with the input saved): no trap
/// inside the sniffer, no side above `maxDimension`, `needMore` only forward and within the
/// limit, the incremental driver agreeing with the one-shot answer, and a cost linear in the
/// bytes read (counted in steps in the libFuzzer build).
func exercise(_ bytes: [UInt8]) {
    let complete = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count))
    if case .needMore = complete { fatalError("needMore although the whole file was given") }
    if case .image(let info) = complete {
        for side in [info.width, info.height, info.storedWidth, info.storedHeight] {
            precondition((1...ImageSniffer.maxDimension).contains(side ?? 1), "size out of range: \(info)")
        }
    }
    for limit in [64, 4096, ImageSniffer.defaultMaxBytes] {
        if case .needMore(let upTo) = ImageSniffer.sniff(prefix: bytes, totalSize: nil, maxBytes: limit) {
            precondition(upTo > bytes.count && upTo <= limit, "needMore(upTo: \(upTo)) with \(bytes.count) bytes, limit \(limit)")
        }
    }
    // The driver over this input as a whole file must end, and agree with the one-shot answer:
    // with exact reads from a 16-byte first read (the most rounds, so the most resumed walks),
    // and as the catalog reads (size unknown, 4 KiB first, read-ahead).
    func reader(_ range: Range<Int>) -> [UInt8] {
        Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
    }
    #if IMAGESNIFFER_LIBFUZZER
    let progress = ParseProgress()
    let (driven, read, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count), firstRead: 16, maxBytes: ImageSniffer.defaultMaxBytes,
                                               progress: progress, read: reader)
    // The steps the tests allow the costliest walks (an SVG comment of dashes: 8 per byte).
    precondition(progress.steps <= 8 * read + 1000, "\(progress.steps) steps for \(read) bytes")
    #else
    let (driven, _, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count), firstRead: 16, read: reader)
    #endif
    precondition(driven == complete || bytes.count > ImageSniffer.defaultMaxBytes, "driver and one-shot differ")
    let (unsized, _, _) = ImageSniffer.sniff(totalSize: nil, readAhead: 1024, read: reader)
    if case .image = complete, bytes.count <= ImageSniffer.defaultMaxBytes {
        precondition(unsized == complete, "driver with the size unknown differs: \(unsized) vs \(complete)")
    }
}

#if IMAGESNIFFER_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
enum Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = readFile(path) else {
                print("\(path): cannot read")
                exit(1)
            }
            exercise(bytes)
            print("\(path): \(ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)))")
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }
}
#endif
