import API
import Basics
import HTTPClient
import JSON
import LambdaRuntime
import S3
import Storage
import Telemetry

/// `_HANDLER=api`: adapts `ImageAPI` to the runtime. An event that is not an HTTP API event at
/// all fails the invocation (`Function.InvalidEvent`); everything else is an HTTP response.
///
/// Each request writes one EMF document: `Requests` (also by `Route`), its status class
/// (`Requests2xx` … `Requests5xx`), `AuthFailures` (401 and 403), `RequestDuration`, the
/// userinfo call's `UserinfoLatency` and the S3 requests it made.
public struct APIHandler: LambdaHandler {
    public var api: ImageAPI
    public var telemetry: HandlerTelemetry

    public init(api: ImageAPI, telemetry: HandlerTelemetry = HandlerTelemetry()) {
        self.api = api
        self.telemetry = telemetry
    }

    /// The real thing: S3 on libcurl, upload and viewing URLs signed by the same client, and the
    /// userinfo calls of `PUT /me` on the same transport (one thread, kept-alive connections).
    /// Only the S3 client sends the trace header: the identity provider never sees it.
    public init(configuration: APIConfiguration, telemetry: HandlerTelemetry) {
        let transport = configuration.transport.makeTransport()
        let client = S3Client(configuration: configuration.s3, transport: transport,
                              hooks: S3ClientHooks(requestDone: { [meter = telemetry.s3] in meter.record($0) }))
        let store = S3ObjectStore(client: client, forbiddenIsMissing: true)   // the role lists nothing
        self.init(api: ImageAPI(store: store, bucket: configuration.bucket, catalogKey: configuration.catalogKey,
                                requiredScope: configuration.requiredScope, log: telemetry.log,
                                uploads: configuration.uploads, presigner: store,
                                profiles: configuration.profileSource(transport: transport)),
                  telemetry: telemetry)
    }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        let started = telemetry.nowMs()
        api.store.traceHeader = telemetry.traceHeader(for: context)
        var document = telemetry.metrics.document()
        defer {
            document.record("RequestDuration", Double(telemetry.nowMs() - started), unit: .milliseconds)
            document.record("UserinfoLatency", api.profiles?.takeUserinfoLatencies() ?? [], unit: .milliseconds)
            telemetry.emit(document, context: context)
        }
        let request: GatewayRequest
        do {
            let value: JSONValue
            do { value = try JSONValue(parsing: event) } catch { throw EventError("", "event is not JSON: \(error)") }
            request = try GatewayRequest(event: value)
        } catch {
            document.count("InvalidEvents")
            throw error
        }
        let response = api.respond(to: request, requestID: context.requestID, deadline: context.workDeadline)
        Self.count(response.statusCode, route: RouteLabel(method: request.method, path: request.path), in: &document)
        return response.serialized()
    }

    /// `Requests` under both dimension sets, and the status class and auth counters at 0 or 1,
    /// so that sums and rates over any period add up.
    static func count(_ status: Int, route: RouteLabel, in document: inout MetricsDocument) {
        document.setDimension("Route", route.rawValue)
        document.addDimensionSet(document.dimensions.map(\.name), for: ["Requests"])
        document.count("Requests")
        for (name, range) in [("Requests2xx", 200..<300), ("Requests3xx", 300..<400), ("Requests4xx", 400..<500), ("Requests5xx", 500..<600)] {
            document.count(name, range.contains(status) ? 1 : 0)
        }
        document.count("AuthFailures", status == 401 || status == 403 ? 1 : 0)
    }
}
