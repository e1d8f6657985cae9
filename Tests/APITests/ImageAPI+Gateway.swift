import API
import Basics
import JSON

extension ImageAPI {
    /// What the `api` Lambda handler does with an event, without the runtime: event bytes in,
    /// payload 2.0 response bytes out, so these tests cover the gateway encoding too. The Lambda
    /// adapter itself (`APIHandler`, its errors and configuration) is tested in HandlersTests.
    func handle(_ event: [UInt8], requestID: String, deadline: Deadline? = nil) throws -> [UInt8] {
        let request = try GatewayRequest(event: JSONValue(parsing: event))
        return respond(to: request, requestID: requestID, deadline: deadline).serialized()
    }
}
