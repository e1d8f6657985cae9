import JSON
import XCTest
@testable import S3Events

/// Decodes the sample events in `events/` (what `scripts/invoke` sends) and hand-made variants.
final class EventDecoderTests: XCTestCase {
    static let eventsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("events")

    func sample(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: Self.eventsDir.appendingPathComponent(name))
        return try JSONValue(parsing: [UInt8](data))
    }

    func decode(_ text: String) throws -> DeliveredEvent {
        try EventDecoder.decode(try JSONValue(parsing: text))
    }

    func testConsoleS3PutTemplate() throws {
        let event = try EventDecoder.decode(sample("s3-put.json"))
        XCTAssertEqual(event, .s3(records: [.change(ObjectNotification(
            bucket: "example-bucket", key: "test/key", kind: .created, eventName: "ObjectCreated:Put",
            size: 1024, sequencer: "0A1B2C3D4E5F678901", eventTime: 0))]))
    }

    /// `eventTime` feeds the catalog's lag metric only: missing or unreadable, it is `nil`, and
    /// the record is applied all the same.
    func testEventTimeIsReadWhenItCanBe() throws {
        func time(_ value: String) throws -> Int64? {
            let record = #"{"eventSource":"aws:s3","eventVersion":"2.1","eventName":"ObjectCreated:Put","#
                + value + #""s3":{"bucket":{"name":"b"},"object":{"key":"k.png"}}}"#
            guard case .s3(let records) = try decode(#"{"Records":["# + record + "]}"),
                  case .change(let n) = records.first else { XCTFail("not a change"); return nil }
            return n.eventTime
        }
        XCTAssertEqual(try time(#""eventTime":"2026-11-25T12:00:00.250Z","#), 1_795_608_000_250)
        XCTAssertNil(try time(""))
        XCTAssertNil(try time(#""eventTime":"yesterday","#))
        XCTAssertNil(try time(#""eventTime":12,"#))
    }

    func testDeleteHasNoSize() throws {
        guard case .s3(let records) = try EventDecoder.decode(sample("s3-delete.json")),
              case .change(let n) = records.first else { return XCTFail("not a change") }
        XCTAssertEqual(n.kind, .removed)
        XCTAssertNil(n.size)
        XCTAssertEqual(n.key, "test/key")
    }

    func testEventKindsByName() {
        XCTAssertEqual(EventDecoder.kind(ofS3EventName: "ObjectCreated:CompleteMultipartUpload"), .created)
        XCTAssertEqual(EventDecoder.kind(ofS3EventName: "ObjectRemoved:DeleteMarkerCreated"), .removed)
        XCTAssertEqual(EventDecoder.kind(ofS3EventName: "LifecycleExpiration:Delete"), .removed)
        XCTAssertNil(EventDecoder.kind(ofS3EventName: "ObjectTagging:Put"))
        XCTAssertNil(EventDecoder.kind(ofS3EventName: "LifecycleTransition"))
    }

    func testSQSWrapperWithTestEventAndDelete() throws {
        guard case .sqs(let messages) = try EventDecoder.decode(sample("sqs.json")) else { return XCTFail("not SQS") }
        XCTAssertEqual(messages.count, 3)
        XCTAssertEqual(try messages[0].records.get(), [.change(ObjectNotification(
            bucket: "example-bucket", key: "photos/cat one.jpg", kind: .created, eventName: "ObjectCreated:Put",
            size: 1460, sequencer: "0A1B2C3D4E5F678901", eventTime: 1_795_608_000_000))])
        guard case .ignored(nil, let reason)? = try messages[1].records.get().first else { return XCTFail("test event") }
        XCTAssertTrue(reason.contains("s3:TestEvent"))
        guard case .change(let removed)? = try messages[2].records.get().first else { return XCTFail("delete") }
        XCTAssertEqual(removed.kind, .removed)
    }

    /// S3 invokes the function once with this bare object when direct delivery is configured.
    func testBareTestEventInvokedDirectlyIsIgnored() throws {
        guard case .s3(let records) = try EventDecoder.decode(sample("s3-test-event.json")) else {
            return XCTFail("not decoded as direct S3 delivery")
        }
        XCTAssertEqual(records.count, 1)
        guard case .ignored(nil, let reason)? = records.first else { return XCTFail("\(records)") }
        XCTAssertTrue(reason.hasPrefix("s3:TestEvent"), reason)
    }

    func testOtherObjectsWithoutRecordsAreStillRefused() {
        XCTAssertThrowsError(try decode(#"{"Service":"Amazon S3","Event":"s3:SomethingElse"}"#)) {
            XCTAssertEqual("\($0)", #"not an S3, SQS or EventBridge event: no "Records" array and no "source""#)
        }
        XCTAssertThrowsError(try decode(#"{"Event":"s3:TestEvent","Records":[{"eventSource":"aws:dynamodb"}]}"#)) {
            XCTAssertEqual("\($0)", #"Records[0].eventSource: expected "aws:s3", found "aws:dynamodb""#)
        }
    }

    func testSQSBadBodiesFailOnlyTheirMessage() throws {
        guard case .sqs(let messages) = try EventDecoder.decode(sample("sqs-partial-failure.json")) else {
            return XCTFail("not SQS")
        }
        XCTAssertNoThrow(try messages[0].records.get())
        XCTAssertThrowsError(try messages[1].records.get()) {
            XCTAssertTrue("\($0)".hasPrefix("Records[1].body: not JSON: "), "\($0)")
        }
        XCTAssertThrowsError(try messages[2].records.get()) {
            XCTAssertEqual("\($0)", "Records[2].body: not an S3 notification: no \"Records\" array")
        }
    }

    func testSNSEnvelopeInsideSQS() throws {
        let s3 = #"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"x.png","size":3}}}]}"#
        let sns = JSONValue.object(["Type": .string("Notification"), "Message": .string(s3)])
        let body = String(decoding: sns.serialized(), as: UTF8.self)
        let sqs = JSONValue.object(["Records": .array([.object([
            "eventSource": .string("aws:sqs"), "messageId": .string("m1"), "body": .string(body)])])])
        guard case .sqs(let messages) = try EventDecoder.decode(sqs) else { return XCTFail("not SQS") }
        XCTAssertEqual(try messages[0].records.get(), [.change(ObjectNotification(
            bucket: "b", key: "x.png", kind: .created, eventName: "ObjectCreated:Put", size: 3))])
    }

    /// S3 → SNS → SQS wraps once: an envelope inside an envelope is that message's error (the
    /// rest of the batch is served). Nested ones were each parsed again whole.
    func testAnSNSEnvelopeInsideAnotherIsRefused() throws {
        let s3 = #"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"x.png","size":3}}}]}"#
        var body = s3
        for _ in 0..<2 {
            body = String(decoding: JSONValue.object(["Type": .string("Notification"), "Message": .string(body)]).serialized(), as: UTF8.self)
        }
        let sqs = JSONValue.object(["Records": .array([.object([
            "eventSource": .string("aws:sqs"), "messageId": .string("m1"), "body": .string(body)])])])
        guard case .sqs(let messages) = try EventDecoder.decode(sqs) else { return XCTFail("not SQS") }
        XCTAssertThrowsError(try messages[0].records.get()) { error in
            XCTAssertTrue("\(error)".contains("an SNS envelope inside another"), "\(error)")
        }
    }

    func testEventBridgeKeysAreNotURLDecoded() throws {
        guard case .eventBridge(.change(let n)) = try EventDecoder.decode(sample("eventbridge-created.json")) else {
            return XCTFail("not EventBridge")
        }
        XCTAssertEqual(n, ObjectNotification(bucket: "example-bucket", key: "photos/cat one.jpg", kind: .created,
                                             eventName: "Object Created", size: 1460, sequencer: "00617F08299329D189",
                                             eventTime: 1_795_608_000_000))
    }

    func testUnknownShapesSayWhatIsWrongAndWhere() {
        XCTAssertThrowsError(try decode("[1,2]")) {
            XCTAssertEqual("\($0)", "expected an S3, SQS or EventBridge event object, found an array")
        }
        XCTAssertThrowsError(try decode(#"{"key1":1}"#)) {
            XCTAssertEqual("\($0)", #"not an S3, SQS or EventBridge event: no "Records" array and no "source""#)
        }
        XCTAssertThrowsError(try decode(#"{"Records":[{"eventSource":"aws:s3","eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"size":1}}}]}"#)) {
            XCTAssertEqual("\($0)", "Records[0].s3.object.key: missing")
        }
        XCTAssertThrowsError(try decode(#"{"Records":[{"eventSource":"aws:s3","eventVersion":"3.0","eventName":"ObjectCreated:Put"}]}"#)) {
            XCTAssertEqual("\($0)", #"Records[0].eventVersion: unsupported major version "3.0" (expected 2.x)"#)
        }
        XCTAssertThrowsError(try decode(#"{"Records":[{"eventSource":"aws:dynamodb"}]}"#)) {
            XCTAssertEqual("\($0)", #"Records[0].eventSource: expected "aws:s3", found "aws:dynamodb""#)
        }
        XCTAssertThrowsError(try decode(#"{"source":"aws.ec2","detail-type":"x"}"#)) {
            XCTAssertEqual("\($0)", #"source: expected "aws.s3", found "aws.ec2""#)
        }
    }

    func testMalformedKeyEncodingIsAnError() {
        XCTAssertThrowsError(try decode(#"{"Records":[{"eventSource":"aws:s3","eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%ZZ.jpg"}}}]}"#)) {
            XCTAssertEqual("\($0)", #"Records[0].s3.object.key: malformed URL encoding in "a%ZZ.jpg""#)
        }
    }
}
