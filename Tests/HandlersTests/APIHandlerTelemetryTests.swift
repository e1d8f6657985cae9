import API
import Basics
import HTTPClient
import JSON
import LambdaRuntime
import S3
import SigV4
import Storage
import TestSupport
import XCTest
@testable import Handlers

/// The API's trace header and metrics. S3 and the identity provider share one transport in
/// production, so the header's boundary is checked on one scripted transport: the S3 client
/// sends it, the userinfo and discovery calls never do.
final class APIHandlerTelemetryTests: XCTestCase {
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    let metrics = MetricLines()

    func testTraceHeaderGoesToS3AndNeverToTheIdentityProvider() throws {
        let transport = ScriptedTransport([
            ScriptedTransport.status(200, #"{"issuer":"https://tenant.eu.auth0.com/","userinfo_endpoint":"https://tenant.eu.auth0.com/userinfo"}"#),
            .response(HTTPResponse(status: 200, body: Array(#"{"sub":"auth0|64b1f0c2e4","email":"ada@example.com"}"#.utf8), durationMs: 42)),
            ScriptedTransport.status(404, s3ErrorXML("NoSuchKey")),       // users/sha256/<digest>.json
            ScriptedTransport.status(404, s3ErrorXML("NoSuchKey")),       // the legacy users/<sub>.json
            ScriptedTransport.status(200, "", headers: [HTTPHeader(name: "ETag", value: "\"v1\"")]),
        ])
        let telemetry = HandlerTelemetry(metrics: metrics.emitter(handler: "api"), propagatesTrace: true)
        let client = S3Client(configuration: S3Configuration(region: "us-east-1", credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "s"),
                                                             endpoint: "http://127.0.0.1:9"),
                              transport: transport, retryPolicy: S3RetryPolicy(maxAttempts: 1),
                              hooks: S3ClientHooks(requestDone: { [meter = telemetry.s3] in meter.record($0) }))
        let api = ImageAPI(store: S3ObjectStore(client: client), bucket: "pics", nowMs: { 1_800_000_000_000 },
                           profiles: ProfileSource(issuer: APIHandlerSignInTests.issuer, transport: transport))
        let context = InvocationContext(requestID: "r-1", deadline: nil, invokedFunctionARN: "arn", traceID: trace)
        let answer = try JSONValue(parsing: APIHandler(api: api, telemetry: telemetry).handle(APIHandlerSignInTests.event(body: nil), context: context))
        XCTAssertEqual(answer["statusCode"]?.int64Value, 201)

        let requests = transport.requests
        XCTAssertEqual(requests.count, 5)
        for request in requests[..<2] {
            XCTAssertNil(request.header("X-Amzn-Trace-Id"), "the identity provider is not AWS: \(request.url)")
        }
        for request in requests[2...] {
            XCTAssertEqual(request.header("X-Amzn-Trace-Id"), trace, request.url)
        }
        XCTAssertEqual(metrics.value("Requests"), 1)
        XCTAssertEqual(metrics.value("Requests2xx"), 1)
        XCTAssertEqual(metrics.value("Requests5xx"), 0)
        XCTAssertEqual(metrics.value("AuthFailures"), 0)
        XCTAssertEqual(metrics.value("S3Requests"), 3)
        XCTAssertEqual(metrics.values("UserinfoLatency"), [42], "the transport's measure of the userinfo call")
        XCTAssertNotNil(metrics.value("RequestDuration"))
        XCTAssertEqual(metrics.invocations.last?["Route"], .string("signin"))
    }

    func testRequestsByRouteAndStatusClass() throws {
        let store = MemoryStore()
        let handler = APIHandler(api: ImageAPI(store: store, bucket: "pics"),
                                 telemetry: HandlerTelemetry(metrics: metrics.emitter(handler: "api")))
        func call(_ method: String, _ path: String, claims: Bool = true) throws -> Int {
            var context: JSONObject = ["http": .object(["method": .string(method), "path": .string(path)]), "requestId": .string("g")]
            if claims { context["authorizer"] = .object(["jwt": .object(["claims": .object(["sub": .string("user-1")])])]) }
            let event = JSONValue.object(["version": .string("2.0"), "rawPath": .string(path), "rawQueryString": .string(""),
                                          "headers": .object([:]), "requestContext": .object(context)])
            let answer = try JSONValue(parsing: handler.handle(event.serialized(), context: InvocationContext(requestID: "r", deadline: nil,
                                                                                                              invokedFunctionARN: "arn")))
            return Int(answer["statusCode"]?.int64Value ?? 0)
        }
        XCTAssertEqual(try call("GET", "/images"), 200)
        XCTAssertEqual(metrics.invocations.last?["Route"], .string("images"))
        XCTAssertEqual(metrics.value("Requests2xx"), 1)

        XCTAssertEqual(try call("GET", "/me"), 404)
        XCTAssertEqual(metrics.invocations.last?["Route"], .string("me"))
        XCTAssertEqual(metrics.value("Requests4xx"), 1)
        XCTAssertEqual(metrics.value("AuthFailures"), 0)

        XCTAssertEqual(try call("GET", "/images", claims: false), 401)
        XCTAssertEqual(metrics.value("AuthFailures"), 1)

        XCTAssertEqual(try call("GET", "/images/a%2Fb.png/../../etc"), 400)
        XCTAssertEqual(metrics.invocations.last?["Route"], .string("other"))

        // Requests is published under both sets; nothing else under the Route set.
        let directives = try XCTUnwrap(metrics.invocations.last?["_aws"]?["CloudWatchMetrics"]?.arrayValue)
        XCTAssertEqual(directives.count, 2)
        XCTAssertEqual(directives[1]["Metrics"], .array([.object(["Name": .string("Requests"), "Unit": .string("Count")])]))
        XCTAssertEqual(directives[1]["Dimensions"], .array([.array(["FunctionName", "Handler", "Route"].map { .string($0) })]))
    }

    func testANonHTTPEventIsAnInvalidEventAndStillReported() {
        let handler = APIHandler(api: ImageAPI(store: MemoryStore(), bucket: "pics"),
                                 telemetry: HandlerTelemetry(metrics: metrics.emitter(handler: "api")))
        XCTAssertThrowsError(try handler.handle(Array("[1]".utf8), context: InvocationContext(requestID: "r", deadline: nil, invokedFunctionARN: "arn")))
        XCTAssertEqual(metrics.value("InvalidEvents"), 1)
        XCTAssertNil(metrics.value("Requests"))
    }

    func testRouteLabelsAreAFixedSmallSet() {
        XCTAssertEqual(RouteLabel(method: "GET", path: "/images"), .images)
        XCTAssertEqual(RouteLabel(method: "GET", path: "/images/cats/tom.png"), .image)
        XCTAssertEqual(RouteLabel(method: "GET", path: "/me"), .me)
        XCTAssertEqual(RouteLabel(method: "PUT", path: "/me"), .signin)
        XCTAssertEqual(RouteLabel(method: "POST", path: "/uploads"), .uploads)
        XCTAssertEqual(RouteLabel(method: "DELETE", path: "/uploads"), .other)
        XCTAssertEqual(RouteLabel(method: "GET", path: "/admin"), .other)
        XCTAssertEqual(RouteLabel.allCases.count, 6)
    }
}
