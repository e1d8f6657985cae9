import Basics
import Telemetry
import XCTest
@testable import Handlers

/// `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`, `METRICS_NAMESPACE` and
/// `AWS_LAMBDA_FUNCTION_NAME`: Lambda's defaults when unset, a start-up failure naming the
/// variable when wrong.
final class TelemetryConfigurationTests: XCTestCase {
    func testDefaultsAreLambdas() throws {
        let configuration = try TelemetryConfiguration([:], handler: "catalog")
        XCTAssertEqual(configuration.logFormat, .text)
        XCTAssertEqual(configuration.logLevel, .info)
        XCTAssertEqual(configuration.namespace, "imagecat")
        XCTAssertEqual(configuration.functionName, "local")
        XCTAssertFalse(configuration.propagatesTrace, "outside Lambda no trace header, as AWS SDKs do")
    }

    func testLambdasValuesAreRead() throws {
        let configuration = try TelemetryConfiguration(["AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
                                                        "METRICS_NAMESPACE": "imagecat/prod", "AWS_LAMBDA_FUNCTION_NAME": "imagecat-Catalog-1A2B"],
                                                       handler: "api")
        XCTAssertEqual(configuration.logFormat, .json)
        XCTAssertEqual(configuration.logLevel, .debug)
        XCTAssertEqual(configuration.namespace, "imagecat/prod")
        XCTAssertEqual(configuration.functionName, "imagecat-Catalog-1A2B")
        XCTAssertEqual(configuration.handler, "api")
        XCTAssertTrue(configuration.propagatesTrace)
        let telemetry = configuration.makeTelemetry()
        XCTAssertEqual(telemetry.log.level, .debug)
        XCTAssertEqual(telemetry.metrics.namespace, "imagecat/prod")
        XCTAssertEqual(telemetry.metrics.dimensions.map(\.name), ["FunctionName", "Handler"])
        XCTAssertEqual(telemetry.metrics.dimensions.map(\.value), ["imagecat-Catalog-1A2B", "api"])
    }

    func testBadValuesNameTheVariable() {
        for (name, value) in [("AWS_LAMBDA_LOG_FORMAT", "xml"), ("AWS_LAMBDA_LOG_LEVEL", "LOUD"), ("METRICS_NAMESPACE", "AWS/Lambda"),
                              ("METRICS_NAMESPACE", "bad\"name"), ("METRICS_NAMESPACE", String(repeating: "n", count: 256)),
                              ("METRICS_NAMESPACE", ":imagecat")] {
            XCTAssertThrowsError(try TelemetryConfiguration([name: value], handler: "catalog"), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(name), "\(error)")
            }
        }
    }

    /// A bad logging variable stops the start-up like any other (`Runtime.InvalidConfiguration`).
    func testTheRegistryReportsThemAsInvalidConfiguration() {
        XCTAssertThrowsError(try HandlerRegistry.telemetry(["AWS_LAMBDA_LOG_LEVEL": "LOUD"])) { error in
            XCTAssertEqual((error as? HandlerInitError)?.errorType, "Runtime.InvalidConfiguration")
        }
    }
}
