import JSON
import LambdaRuntime

/// The event is not what `sum` needs. Reported as `Function.InvalidEvent`, like the catalog
/// handler's event errors, with a message that says what to fix.
public enum SumError: Error, LambdaError, Sendable, Equatable, CustomStringConvertible {
    case notJSON(JSONError)
    case notAnObject(found: String)
    case missing(String)
    case notANumber(String, found: String)
    case outOfRange(String, String)
    case sumOutOfRange

    public var errorType: String { "Function.InvalidEvent" }
    public var errorMessage: String { description }

    public var description: String {
        switch self {
        case .notJSON(let error): "event is not JSON: \(error)"
        case .notAnObject(let found): #"sum needs an object with "key1" and "key2", found \#(found)"#
        case .missing(let key): #"sum needs "key1" and "key2": "\#(key)" is missing"#
        case .notANumber(let key, let found): #"sum needs a number in "\#(key)", found \#(found)"#
        case .outOfRange(let key, let literal): #"sum needs a finite number in "\#(key)", found \#(literal)"#
        case .sumOutOfRange: #"the sum of "key1" and "key2" is too large for a JSON number"#
        }
    }
}
