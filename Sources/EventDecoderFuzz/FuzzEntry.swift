// Fuzz target for the event decoder (JSON parser → S3/SQS/SNS/EventBridge shapes → key decoding).
// Built two ways, like Sources/ImageSnifferFuzz:
// - by `scripts/fuzz events`, which compiles JSON, Basics and S3Events as instrumented modules
//   and this file with `swiftc -sanitize=fuzzer`;
// - by a plain `swift build`: a replay tool, `EventDecoderFuzz FILE...`.
import Basics
import JSON
import S3Events

#if canImport(Glibc)
import Glibc
#endif

/// Parses and decodes `bytes` as an invocation payload and traps if a promise is broken: no
/// crash, every decoded key non-empty, every error with a message (libFuzzer reports traps).
func exercise(_ bytes: [UInt8]) {
    guard let value = try? JSONValue(parsing: bytes) else { return }
    // Whatever parses must write back to something that parses to the same value.
    precondition((try? JSONValue(parsing: value.serialized())) == value, "JSON round trip differs")
    do {
        switch try EventDecoder.decode(value) {
        case .s3(let records): records.forEach(check)
        case .eventBridge(let record): check(record)
        case .sqs(let messages):
            for message in messages {
                precondition(!message.messageID.isEmpty, "empty SQS message id")
                switch message.records {
                case .success(let records): records.forEach(check)
                case .failure(let error): precondition(!error.description.isEmpty, "SQS error without a message")
                }
            }
        }
    } catch {
        precondition(!error.problem.isEmpty, "error without a message: \(error)")
    }
}

func check(_ record: RecordOutcome) {
    if case .change(let n) = record {
        precondition(!n.bucket.isEmpty && !n.key.isEmpty, "empty bucket or key in \(n)")
    }
}

#if EVENTDECODER_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: EventDecoderFuzz FILE...  (replays fuzzer inputs through the event decoder)")
            exit(2)
        }
        for path in paths {
            guard let file = fopen(path, "rb") else { print("cannot open \(path)"); exit(1) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while case let n = fread(&buffer, 1, buffer.count, file), n > 0 { bytes += buffer[..<n] }
            fclose(file)
            exercise(bytes)
            print("\(path): ok")
        }
    }
}
#endif
