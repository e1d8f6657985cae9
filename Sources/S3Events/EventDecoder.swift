import Basics
import JSON

/// Recognises the shapes S3 changes arrive in and reduces each to `ObjectNotification`s.
/// Unknown shapes are an `EventError`, never a guess.
public enum EventDecoder {
    public static func decode(_ event: JSONValue) throws(EventError) -> DeliveredEvent {
        guard let object = event.objectValue else {
            throw EventError("", "expected an S3, SQS or EventBridge event object, found \(event.kindDescription)")
        }
        if object["source"] != nil || object["detail-type"] != nil {
            return .eventBridge(try eventBridge(event, path: ""))
        }
        // S3 sends it once when a notification is configured; delivered directly it has no
        // `Records`, only `Service`, `Event`, `Bucket`... It names no object: nothing to do.
        if isTestEvent(event) { return .s3(records: [testEventOutcome]) }
        guard let records = object["Records"]?.arrayValue else {
            throw EventError("", "not an S3, SQS or EventBridge event: no \"Records\" array and no \"source\"")
        }
        if records.first?["eventSource"]?.stringValue == "aws:sqs" {
            return .sqs(messages: try records.enumerated().map { i, record throws(EventError) in
                try sqsMessage(record, path: "Records[\(i)]")
            })
        }
        return .s3(records: try s3Records(records, path: "Records"))
    }

    // MARK: S3 notification records

    static func s3Records(_ records: [JSONValue], path: String) throws(EventError) -> [RecordOutcome] {
        try records.enumerated().map { i, record throws(EventError) in try s3Record(record, path: "\(path)[\(i)]") }
    }

    static func s3Record(_ record: JSONValue, path: String) throws(EventError) -> RecordOutcome {
        let source = record["eventSource"]?.stringValue
        guard source == "aws:s3" else {
            throw EventError("\(path).eventSource", "expected \"aws:s3\", found \(describe(record["eventSource"]))")
        }
        let version = try string(record, "eventVersion", path)
        guard version.split(separator: ".").first == "2" else {
            throw EventError("\(path).eventVersion", "unsupported major version \"\(version)\" (expected 2.x)")
        }
        let name = try string(record, "eventName", path)
        let bucket = try string(record["s3"]?["bucket"], "name", "\(path).s3.bucket")
        let rawKey = try string(record["s3"]?["object"], "key", "\(path).s3.object")
        guard let key = PercentDecoding.decode(rawKey, plusIsSpace: true) else {
            throw EventError("\(path).s3.object.key", "malformed URL encoding in \"\(rawKey)\"")
        }
        let object = record["s3"]?["object"]
        guard let kind = kind(ofS3EventName: name) else {
            return .ignored(key: key, reason: "event \(name) does not change the catalog")
        }
        return .change(ObjectNotification(bucket: bucket, key: key, kind: kind, eventName: name,
                                          size: object?["size"]?.int64Value,
                                          sequencer: object?["sequencer"]?.stringValue,
                                          eventTime: record["eventTime"]?.stringValue.flatMap(UTCTime.epochMilliseconds(iso8601:))))
    }

    /// `ObjectCreated:*` adds; `ObjectRemoved:*` (Delete, DeleteMarkerCreated) and
    /// `LifecycleExpiration:*` remove; anything else (tagging, restore, replication, ACL,
    /// lifecycle transitions) leaves the catalog alone.
    static func kind(ofS3EventName name: String) -> ObjectNotification.Kind? {
        if name.hasPrefix("ObjectCreated:") { return .created }
        if name.hasPrefix("ObjectRemoved:") || name.hasPrefix("LifecycleExpiration:") { return .removed }
        return nil
    }

    // MARK: SQS (and SNS inside SQS)

    static func sqsMessage(_ record: JSONValue, path: String) throws(EventError) -> SQSMessage {
        let id = try string(record, "messageId", path)
        let body = try string(record, "body", path)
        do throws(EventError) {
            return SQSMessage(messageID: id, records: .success(try notificationBody(body, path: "\(path).body")))
        } catch {
            return SQSMessage(messageID: id, records: .failure(error))
        }
    }

    /// An SQS body holds an S3 notification, an EventBridge event (EventBridge → SQS), an SNS
    /// envelope around either (S3 → SNS → SQS), or S3's one-off `s3:TestEvent`. One envelope:
    /// each nested one was parsed again whole (CPU growing with depth × size).
    static func notificationBody(_ text: String, path: String, inEnvelope: Bool = false) throws(EventError) -> [RecordOutcome] {
        let value: JSONValue
        do { value = try JSONValue(parsing: Array(text.utf8)) } catch {
            throw EventError(path, "not JSON: \(error)")
        }
        if isTestEvent(value) { return [testEventOutcome] }
        if value["Type"]?.stringValue == "Notification", let message = value["Message"]?.stringValue {
            guard !inEnvelope else { throw EventError(path, "an SNS envelope inside another: S3 → SNS → SQS wraps once") }
            return try notificationBody(message, path: "\(path).Message", inEnvelope: true)
        }
        if value["source"] != nil { return [try eventBridge(value, path: path)] }
        guard let records = value["Records"]?.arrayValue else {
            throw EventError(path, "not an S3 notification: no \"Records\" array")
        }
        return try s3Records(records, path: "\(path).Records")
    }

    // MARK: EventBridge

    static func eventBridge(_ event: JSONValue, path: String) throws(EventError) -> RecordOutcome {
        let prefix = path.isEmpty ? "" : "\(path)."
        let source = try string(event, "source", path)
        guard source == "aws.s3" else {
            throw EventError("\(prefix)source", "expected \"aws.s3\", found \"\(source)\"")
        }
        let type = try string(event, "detail-type", path)
        let detail = event["detail"]
        let bucket = try string(detail?["bucket"], "name", "\(prefix)detail.bucket")
        // EventBridge keys are not URL-encoded.
        let key = try string(detail?["object"], "key", "\(prefix)detail.object")
        let kind: ObjectNotification.Kind
        switch type {
        case "Object Created": kind = .created
        case "Object Deleted": kind = .removed
        default: return .ignored(key: key, reason: "EventBridge \(type) does not change the catalog")
        }
        return .change(ObjectNotification(bucket: bucket, key: key, kind: kind, eventName: type,
                                          size: detail?["object"]?["size"]?.int64Value,
                                          sequencer: detail?["object"]?["sequencer"]?.stringValue,
                                          eventTime: event["time"]?.stringValue.flatMap(UTCTime.epochMilliseconds(iso8601:))))
    }

    // MARK: helpers

    /// S3's `s3:TestEvent`, the same bare object whether invoked directly or inside SQS/SNS.
    static func isTestEvent(_ value: JSONValue) -> Bool {
        value["Event"]?.stringValue == "s3:TestEvent" && value["Records"] == nil
    }

    static let testEventOutcome = RecordOutcome.ignored(
        key: nil, reason: "s3:TestEvent (sent once when the notification is configured)")

    private static func string(_ container: JSONValue?, _ member: String, _ path: String) throws(EventError) -> String {
        let at = path.isEmpty ? member : "\(path).\(member)"
        guard let container, container.objectValue != nil else {
            throw EventError(path, "missing (expected an object with \"\(member)\")")
        }
        guard let value = container[member] else { throw EventError(at, "missing") }
        guard let text = value.stringValue, !text.isEmpty else {
            throw EventError(at, "expected a non-empty string, found \(describe(value))")
        }
        return text
    }

    private static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "nothing" }
        if let s = value.stringValue { return "\"\(s)\"" }
        return value.kindDescription
    }
}
