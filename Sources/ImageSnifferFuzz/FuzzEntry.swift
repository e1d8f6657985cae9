// Fuzz target for ImageSniffer. Built two ways:
// - by scripts/fuzz, which compiles this file and the ImageSniffer sources as one module with
//   `swiftc -sanitize=fuzzer -DIMAGESNIFFER_LIBFUZZER`: libFuzzer supplies `main` and calls
//   `LLVMFuzzerTestOneInput` with generated inputs. (Not through SwiftPM: it links executables
//   with `main` renamed to `<target>_main`, which libFuzzer's own `main` cannot satisfy.)
// - by a plain `swift build`: a replay tool, `ImageSnifferFuzz FILE...`, that sniffs each file
//   as the fuzzer would, so a crasher can be re-run and debugged without the fuzzer.
#if canImport(ImageSniffer)
import ImageSniffer
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Sniffs `bytes` whole, and as every kind of prefix the incremental API sees, and traps if a
/// promise is broken (libFuzzer reports a trap as a crash, with the input saved).
func exercise(_ bytes: [UInt8]) {
    let complete = ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count))
    if case .needMore = complete { fatalError("needMore although the whole file was given") }
    if case .image(let info) = complete {
        precondition((info.width ?? 1) > 0 && (info.height ?? 1) > 0, "non-positive size \(info)")
    }
    for limit in [64, 4096, ImageSniffer.defaultMaxBytes] {
        if case .needMore(let upTo) = ImageSniffer.sniff(prefix: bytes, totalSize: nil, maxBytes: limit) {
            precondition(upTo > bytes.count && upTo <= limit, "needMore(upTo: \(upTo)) with \(bytes.count) bytes, limit \(limit)")
        }
    }
    // The driver over this input as a whole file must end, and agree with the one-shot answer.
    let (driven, _, _) = ImageSniffer.sniff(totalSize: Int64(bytes.count), firstRead: 16) { range in
        Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
    }
    precondition(driven == complete || bytes.count > ImageSniffer.defaultMaxBytes, "driver and one-shot differ")
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
