import Basics
import LambdaRuntime

/// Maps `_HANDLER` to the code that serves it. The one place that lists every handler: adding
/// one is a new `case` in `make` and its name in `knownNames`.
public enum HandlerRegistry {
    /// Used when `_HANDLER` is unset or empty (the Runtime Interface Emulator sets none).
    public static let defaultName = "catalog"

    /// Every name `make` accepts, for the error message when `_HANDLER` is wrong.
    public static let knownNames = ["catalog", "reconcile", "sum", "api"]

    /// The handler `_HANDLER` names (surrounding spaces ignored; empty means `defaultName`).
    public static func name(_ environment: Environment) throws(HandlerInitError) -> String {
        let trimmed = ASCII.trimmed(environment["_HANDLER"] ?? "")
        let name = trimmed.isEmpty ? defaultName : trimmed
        guard knownNames.contains(name) else { throw .unknown(trimmed, known: knownNames) }
        return name
    }

    /// How the handler `_HANDLER` names logs and publishes metrics (read first: the runtime
    /// logs through it from then on, start-up failures included).
    public static func telemetry(_ environment: Environment) throws(HandlerInitError) -> HandlerTelemetry {
        let name = try name(environment)
        do throws(ConfigurationError) {
            return try TelemetryConfiguration(environment, handler: name).makeTelemetry()
        } catch {
            throw .configuration(handler: name, message: error.description)
        }
    }

    /// Builds the handler named `_HANDLER`, reading its configuration from `environment` once,
    /// here. Throws a `HandlerInitError`, which the caller reports through `/init/error`.
    public static func make(environment: Environment, telemetry: HandlerTelemetry? = nil) throws(HandlerInitError) -> any LambdaHandler {
        let name = try name(environment)
        let telemetry = if let telemetry { telemetry } else { try Self.telemetry(environment) }
        do throws(ConfigurationError) {
            switch name {
            case "sum":
                return SumHandler()
            case "catalog":
                return CatalogHandler(configuration: try CatalogConfiguration(environment), telemetry: telemetry)
            case "reconcile":
                return ReconcileHandler(configuration: try ReconcileConfiguration(environment), telemetry: telemetry)
            default:
                return APIHandler(configuration: try APIConfiguration(environment), telemetry: telemetry)
            }
        } catch {
            throw .configuration(handler: name, message: error.description)
        }
    }
}
