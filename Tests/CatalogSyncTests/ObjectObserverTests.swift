import Basics
import HTTPClient
import ImageSniffer
import S3
import SigV4
import Storage
import XCTest
import TestSupport
@testable import CatalogSync

/// The observer on the production store over scripted S3 answers: the batch observation's
/// rounds, `If-Match` on follow-up reads, an object replaced mid-read, per-key refusals, the
/// empty-object HEAD.
final class ObjectObserverTests: XCTestCase {
    /// Records each `sendAll` round.
    final class RoundTransport: HTTPTransport {
        let stub: ScriptedTransport
        private(set) var rounds: [[HTTPRequest]] = []
        init(_ answers: [ScriptedTransport.Reply]) { stub = ScriptedTransport(answers) }
        func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
            rounds.append([request])
            return try stub.send(request)
        }
        func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
            rounds.append(requests)
            return stub.sendAll(requests, maxConcurrent: maxConcurrent)
        }
    }

    func observer(_ transport: RoundTransport) -> ObjectObserver {
        let client = S3Client(configuration: S3Configuration(region: "us-east-1",
                                                             credentials: AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, retryPolicy: .none)
        return ObjectObserver(store: S3ObjectStore(client: client))
    }

    static func part(_ bytes: [UInt8], from: Int, total: Int, etag: String) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: 206, headers: [
            HTTPHeader(name: "ETag", value: etag),
            HTTPHeader(name: "Last-Modified", value: "Wed, 25 Nov 2026 16:00:09 GMT"),
            HTTPHeader(name: "Content-Length", value: String(bytes.count)),
            HTTPHeader(name: "Content-Range", value: "bytes \(from)-\(from + bytes.count - 1)/\(total)"),
        ], body: bytes))
    }

    static func error(_ status: Int, _ code: String) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: status, body: Array(s3ErrorXML(code).utf8)))
    }

    /// A JPEG whose frame header sits behind 6,000 bytes of APP1: past the first 4 KiB.
    static let deepJPEG: [UInt8] = {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x17, 0x72] + [UInt8](repeating: 0, count: 6_000)
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        bytes += [0xFF, 0xD9]
        return bytes
    }()

    func testOneConcurrentRoundThenFollowUpsWithIfMatch() throws {
        let jpeg = Self.deepJPEG
        let transport = RoundTransport([
            // Round 1: every key's first 4 KiB at once.
            Self.part(Array(jpeg[0..<4096]), from: 0, total: jpeg.count, etag: "\"v1\""),
            Self.error(404, "NoSuchKey"),
            Self.error(403, "AccessDenied"),
            Self.error(416, "InvalidRange"),
            // The empty object's HEAD, for its ETag.
            .response(HTTPResponse(status: 200, headers: [HTTPHeader(name: "ETag", value: "\"z\""),
                                                          HTTPHeader(name: "Content-Length", value: "0")], body: [])),
            // Round 2: the JPEG's rest, but it was replaced meanwhile.
            Self.error(412, "PreconditionFailed"),
            // Round 3: read again from the start; round 4: the rest, from the same version.
            Self.part(Array(jpeg[0..<4096]), from: 0, total: jpeg.count, etag: "\"v2\""),
            Self.part(Array(jpeg[4096...]), from: 4096, total: jpeg.count, etag: "\"v2\""),
        ])
        let results = observer(transport).observe(bucket: "b", keys: ["deep.jpg", "gone.png", "denied.png", "empty.png"])

        let deep = try XCTUnwrap(try results[0].get())
        XCTAssertEqual(deep.version, ObjectVersion(etag: "v2", lastModified: "2026-11-25T16:00:09Z"))
        XCTAssertEqual(deep.content, .image(ImageInfo(format: .jpg, width: 640, height: 480)))
        XCTAssertNil(try results[1].get())
        guard case .failure(.refused(let reason)) = results[2] else { return XCTFail("\(results[2])") }
        XCTAssertTrue(reason.hasPrefix("S3 refuses it: GetObject s3://b/denied.png: 403 AccessDenied"), reason)
        let empty = try XCTUnwrap(try results[3].get())
        XCTAssertEqual(empty.version.etag, "z")
        XCTAssertEqual(empty.content, .notImage(reason: "empty file"))

        XCTAssertEqual(transport.rounds.map(\.count), [4, 1, 1, 1, 1])
        let followUps = transport.rounds.suffix(3).map { $0[0] }
        XCTAssertEqual(followUps.map { $0.headers.first { $0.name == "If-Match" }?.value }, ["\"v1\"", nil, "\"v2\""])
        XCTAssertEqual(followUps.map { $0.headers.first { $0.name == "Range" }?.value },
                       ["bytes=4096-\(jpeg.count - 1)", "bytes=0-4095", "bytes=4096-\(jpeg.count - 1)"])
    }

    /// A server that ignores `If-Match` on a ranged read answers a follow-up with the new
    /// version's bytes: the key is read again from the start, never one version's header
    /// finished with another's.
    func testAFollowUpFromAnotherVersionReadsTheKeyAgain() throws {
        let jpeg = Self.deepJPEG
        let transport = RoundTransport([
            Self.part(Array(jpeg[0..<4096]), from: 0, total: jpeg.count, etag: "\"v1\""),
            Self.part(Array(jpeg[4096...]), from: 4096, total: jpeg.count, etag: "\"v2\""),   // If-Match ignored
            Self.part(Array(jpeg[0..<4096]), from: 0, total: jpeg.count, etag: "\"v2\""),
            Self.part(Array(jpeg[4096...]), from: 4096, total: jpeg.count, etag: "\"v2\""),
        ])
        let observed = try XCTUnwrap(try observer(transport).observe(bucket: "b", keys: ["deep.jpg"])[0].get())
        XCTAssertEqual(observed.version.etag, "v2")
        XCTAssertEqual(transport.rounds.count, 4, "the first version's header was read again, from the start")
    }

    func testAKeyThatKeepsChangingIsSkippedNotTheBucketFailed() {
        let jpeg = Self.deepJPEG
        var answers: [ScriptedTransport.Reply] = []
        for i in 0..<3 {
            answers.append(Self.part(Array(jpeg[0..<4096]), from: 0, total: jpeg.count, etag: "\"v\(i)\""))
            answers.append(Self.error(412, "PreconditionFailed"))
        }
        let results = observer(RoundTransport(answers)).observe(bucket: "b", keys: ["busy.jpg"])
        guard case .failure(.refused(let reason)) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertEqual(reason, "s3://b/busy.jpg changed on every read of its header; the event of its latest change catalogs it")
    }

    /// Keys whose headers lie deep are read a few at a time: what the observation holds (each
    /// unfinished key's bytes so far, after every round) stays within its budget. Before, 24
    /// JPEGs with their frame header behind ~900 KB of APP1 segments were read side by side,
    /// ~21 MB at once; 100 of them (one SQS batch) are past a 128 MB function.
    func testDeepHeadersAreReadWithinTheByteBudget() throws {
        let app1 = Build.segment(0xE1, [UInt8](repeating: 0, count: 65_000))
        let deep = [0xFF, 0xD8] + Array([[UInt8]](repeating: app1, count: 14).joined())
            + Build.frame(width: 640, height: 480) + [0xFF, 0xD9]
        let store = MemoryStore()
        let keys = (0..<24).map { "deep-\($0).jpg" } + ["small.png"]
        for key in keys.dropLast() { store.put("b", key, bytes: deep) }
        store.put("b", "small.png", bytes: MemoryStore.png(width: 2, height: 2))
        var reach: [String: (first: Int, last: Int, upTo: [Int: Int])] = [:]     // per key, by round
        store.onRequest = { line in
            let words = line.split(separator: " ")
            guard words[0] == "RANGE", let end = Int(words[2].split(separator: "-")[1]) else { return }
            let key = String(words[1].dropFirst("b/".count)), round = store.roundTrips
            var r = reach[key] ?? (round, round, [:])
            r.last = round
            r.upTo[round] = end + 1
            reach[key] = r
        }
        var observer = ObjectObserver(store: store)
        observer.byteBudget = 8 * 1024 * 1024
        let results = observer.observe(bucket: "b", keys: keys)
        for (key, result) in zip(keys, results) {
            let observation = try XCTUnwrap(try result.get(), key)
            XCTAssertEqual(observation.content, key == "small.png" ? .image(ImageInfo(format: .png, width: 2, height: 2))
                                                                    : .image(ImageInfo(format: .jpg, width: 640, height: 480)), key)
        }
        let rounds = reach.values.map(\.last).max()!
        let held = (1...rounds).map { round in
            reach.values.filter { $0.first <= round && round <= $0.last }
                .map { r in r.upTo.filter { $0.key <= round }.values.max()! }.reduce(0, +)
        }
        XCTAssertGreaterThan(deep.count * 24, 20_000_000)
        // The budget, plus what the one read that always goes may add: at most a sniff's limit.
        XCTAssertLessThanOrEqual(held.max()!, observer.byteBudget + ImageSniffer.defaultMaxBytes, "held per round: \(held)")
    }
}
