import Basics
import JSON

extension LogRecord {
    /// Members of a JSON line that fields may not replace.
    static let reservedFields: Set<String> = ["timestamp", "level", "message", "requestId"]

    /// The record as one line (no line break at the end) in `format`.
    public func line(_ format: LogFormat) -> String {
        switch format {
        case .text: textLine
        case .json: jsonLine
        }
    }

    /// `timestamp\trequestId\tLEVEL\tmessage` (`-` without a request); a line break inside the
    /// message becomes a space, so that one record stays one CloudWatch event.
    var textLine: String {
        var message = message
        if message.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            message = String(decoding: message.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
        }
        return UTCTime.iso8601(epochMilliseconds: timeMs) + "\t" + (requestID ?? "-") + "\t" + level.name + "\t" + message
    }

    /// `{"timestamp":…,"level":…,"message":…,"requestId":…, fields…}`; JSON escapes line breaks.
    var jsonLine: String {
        var object: JSONObject = ["timestamp": .string(UTCTime.iso8601(epochMilliseconds: timeMs)), "level": .string(level.name),
                                  "message": .string(message)]
        if let requestID { object.members.append((key: "requestId", value: .string(requestID))) }
        for member in fields.members where !Self.reservedFields.contains(member.key) {
            object.members.append(member)
        }
        return String(decoding: JSONValue.object(object).serialized(), as: UTF8.self)
    }
}
