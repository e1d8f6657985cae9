import API
import Basics
import HTTPClient
import JSON
import LambdaRuntime
import S3
import Storage

/// `_HANDLER=api`: adapts `ImageAPI` to the runtime. An event that is not an HTTP API event at
/// all fails the invocation (`Function.InvalidEvent`); everything else is an HTTP response.
public struct APIHandler: LambdaHandler {
    public var api: ImageAPI

    public init(api: ImageAPI) { self.api = api }

    /// The real thing: S3 on libcurl, upload and viewing URLs signed by the same client, and the
    /// userinfo calls of `PUT /me` on the same transport (one thread, kept-alive connections).
    public init(configuration: APIConfiguration, log: RuntimeLog = .standardError) {
        let transport = configuration.transport.makeTransport()
        let client = S3Client(configuration: configuration.s3, transport: transport)
        let store = S3ObjectStore(client: client)
        self.init(api: ImageAPI(store: store, bucket: configuration.bucket, catalogKey: configuration.catalogKey,
                                requiredScope: configuration.requiredScope, log: { log($0) },
                                uploads: configuration.uploads, presigner: store,
                                profiles: configuration.profileSource(transport: transport)))
    }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        let value: JSONValue
        do { value = try JSONValue(parsing: event) } catch { throw EventError("", "event is not JSON: \(error)") }
        let request = try GatewayRequest(event: value)
        return api.respond(to: request, requestID: context.requestID, deadline: context.workDeadline).serialized()
    }
}
