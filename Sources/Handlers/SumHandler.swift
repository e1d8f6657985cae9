import JSON
import LambdaRuntime

/// `_HANDLER=sum`, the lab's warm-up: `{"key1":1,"key2":2}` → `{"statusCode":200,"body":3}`.
///
/// Integers are added exactly (as `Int64`); anything else (`1.5`, `1e3`, an integer sum that
/// overflows) is added as `Double` and printed in Swift's shortest round-trip form (`3.5`).
/// Other members of the event are ignored, as the lab's Python version does.
public struct SumHandler: LambdaHandler {
    public init() {}

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(event)
        } catch {
            throw SumError.notJSON(error)
        }
        guard let object = value.objectValue else { throw SumError.notAnObject(found: value.kindDescription) }
        let sum = try SumHandler.operand(object, "key1").adding(SumHandler.operand(object, "key2"))
        var out: [UInt8] = []
        out.reserveCapacity(48)
        out.append(contentsOf: #"{"statusCode":200,"body":"#.utf8)
        out.append(contentsOf: try sum.jsonText().utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func operand(_ object: JSONObject, _ key: String) throws(SumError) -> Number {
        guard let value = object[key] else { throw SumError.missing(key) }
        if let int = value.int64Value { return .int(int) }
        guard case .number(let literal) = value else { throw SumError.notANumber(key, found: value.kindDescription) }
        guard let double = Double(literal), double.isFinite else { throw SumError.outOfRange(key, literal) }
        return .double(double)
    }

    enum Number {
        case int(Int64)
        case double(Double)

        var double: Double {
            switch self {
            case .int(let i): Double(i)
            case .double(let d): d
            }
        }

        func adding(_ other: Number) -> Number {
            if case .int(let a) = self, case .int(let b) = other {
                let (sum, overflow) = a.addingReportingOverflow(b)
                if !overflow { return .int(sum) }
            }
            return .double(double + other.double)
        }

        func jsonText() throws(SumError) -> String {
            switch self {
            case .int(let i): return String(i)
            case .double(let d):
                // JSON has no literal for infinity: 1e308 + 1e308 cannot be answered.
                guard d.isFinite else { throw SumError.sumOutOfRange }
                return String(d)
            }
        }
    }
}

