import HTTPClient
import S3
import XCTest
@testable import SigV4

/// Serves recorded fixtures in order and checks that each request the client sends is the
/// recorded one byte for byte: method, URL, every header (Authorization included) and body.
/// A signature that differs by one bit fails here, which is what makes the replay a signer test.
final class ReplayTransport: HTTPTransport {
    private var queue: [Fixture]
    private(set) var served: [String] = []
    private(set) var requests: [HTTPRequest] = []
    let file: StaticString
    let line: UInt

    init(_ fixtures: [Fixture], file: StaticString = #filePath, line: UInt = #line) {
        queue = fixtures
        self.file = file
        self.line = line
    }

    /// The recorded signing time of the next fixture: the client's signing clock in replays.
    var nextSigningTime: Int64 { queue.first?.signingEpochSeconds ?? 0 }
    var remaining: Int { queue.count }

    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        requests.append(request)
        guard !queue.isEmpty else {
            XCTFail("unexpected extra request \(request.method) \(request.url)", file: file, line: line)
            throw HTTPTransportError(code: 7, message: "no fixture left", method: request.method, url: request.url)
        }
        let fixture = queue.removeFirst()
        served.append(fixture.name)
        XCTAssertEqual(request.method, fixture.method, "\(fixture.name): method", file: file, line: line)
        XCTAssertEqual(request.url, fixture.url, "\(fixture.name): url", file: file, line: line)
        XCTAssertEqual(request.headers.map { "\($0.name): \($0.value)" },
                       fixture.requestHeaders.map { "\($0.name): \($0.value)" },
                       "\(fixture.name): headers (signature included)", file: file, line: line)
        XCTAssertEqual(request.body, fixture.requestBody, "\(fixture.name): body", file: file, line: line)
        return fixture.response
    }
}

/// Scripted time for the client's retry loop: `now` advances only by what the client sleeps.
final class FakeTime {
    var nowMs: Int64
    private(set) var sleeps: [Int] = []
    private(set) var jitterCeilings: [Int] = []
    /// Picks the jitter from the ceiling; the default takes the ceiling itself.
    var jitter: (Int) -> Int = { $0 }

    init(nowMs: Int64 = 1_000_000) { self.nowMs = nowMs }

    func hooks(signingClock: @escaping () -> Int64 = { 1_440_938_160 }) -> S3ClientHooks {
        S3ClientHooks(signingClock: signingClock,
                      now: { self.nowMs },
                      sleep: { self.sleeps.append($0); self.nowMs += Int64($0) },
                      random: { self.jitterCeilings.append($0); return self.jitter($0) })
    }
}

extension XCTestCase {
    /// A client wired to replay `names` with the recorded identity, endpoint and signing times.
    func replay(_ names: [String], secret: String = RecordedIdentity.secretAccessKey,
                file: StaticString = #filePath, line: UInt = #line) throws -> (S3Client, ReplayTransport, FakeTime) {
        let fixtures = try names.map(Fixture.load)
        let transport = ReplayTransport(fixtures, file: file, line: line)
        let time = FakeTime()
        let configuration = S3Configuration(
            region: RecordedIdentity.region,
            credentials: AWSCredentials(accessKeyId: RecordedIdentity.accessKeyId, secretAccessKey: secret),
            endpoint: fixtures[0].endpoint)
        let client = S3Client(configuration: configuration, transport: transport,
                              hooks: time.hooks(signingClock: { [unowned transport] in transport.nextSigningTime }))
        return (client, transport, time)
    }
}
