import Basics
import LambdaRuntime

/// Maps `_HANDLER` to the code that serves it. The one place that lists every handler: adding
/// one is a new `case` in `make` and its name in `knownNames`.
public enum HandlerRegistry {
    /// Used when `_HANDLER` is unset or empty (the Runtime Interface Emulator sets none).
    public static let defaultName = "catalog"

    /// Every name `make` accepts, for the error message when `_HANDLER` is wrong.
    public static let knownNames = ["catalog", "reconcile", "sum", "api"]

    /// Builds the handler named `_HANDLER` (surrounding spaces ignored; empty means
    /// `defaultName`), reading its configuration from `environment` once, here.
    /// Throws a `HandlerInitError`, which the caller reports through `/init/error`.
    public static func make(environment: Environment) throws(HandlerInitError) -> any LambdaHandler {
        let trimmed = ASCII.trimmed(environment["_HANDLER"] ?? "")
        let name = trimmed.isEmpty ? defaultName : trimmed
        guard knownNames.contains(name) else { throw .unknown(trimmed, known: knownNames) }
        do throws(ConfigurationError) {
            switch name {
            case "sum":
                return SumHandler()
            case "catalog":
                return CatalogHandler(configuration: try CatalogConfiguration(environment))
            case "reconcile":
                return ReconcileHandler(configuration: try ReconcileConfiguration(environment))
            default:
                return APIHandler(configuration: try APIConfiguration(environment))
            }
        } catch {
            throw .configuration(handler: name, message: error.description)
        }
    }
}
