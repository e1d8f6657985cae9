import Foundation
import XCTest
import Basics
@testable import SigV4
import S3

/// Reading the standard AWS environment, and keeping secrets out of every printed form.
final class ConfigurationTests: XCTestCase {
    let keys: [String: String] = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret-key"]

    func testRegionPrecedenceAndDefault() throws {
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys)).region, "us-east-1")
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_DEFAULT_REGION": "eu-west-3"]) { $1 })).region, "eu-west-3")
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "ap-south-1"]) { $1 })).region, "ap-south-1")
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-3"]) { $1 })).region, "eu-west-3", "empty means unset")
    }

    func testCredentialsAndSessionToken() throws {
        let config = try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_SESSION_TOKEN": "tok"]) { $1 }))
        XCTAssertEqual(config.credentials, AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "very-secret-key", sessionToken: "tok"))
        XCTAssertNil(try S3Configuration.fromEnvironment(Environment(keys)).credentials.sessionToken)
    }

    func testMissingCredentialsIsATypedErrorNamingTheVariables() {
        XCTAssertThrowsError(try S3Configuration.fromEnvironment(Environment([:]))) { error in
            XCTAssertEqual(error as? S3ConfigurationError, .missingCredentials(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]))
            XCTAssertEqual("\(error)", "S3 credentials missing: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set in the environment")
        }
        XCTAssertThrowsError(try S3Configuration.fromEnvironment(Environment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": ""]))) { error in
            XCTAssertEqual(error as? S3ConfigurationError, .missingCredentials(["AWS_SECRET_ACCESS_KEY"]))
        }
    }

    func testEndpointPrecedence() throws {
        XCTAssertNil(try S3Configuration.fromEnvironment(Environment(keys)).endpoint)
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:1"]) { $1 })).endpoint,
                       "http://127.0.0.1:1")
        XCTAssertEqual(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                                                                                     "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:2/"]) { $1 })).endpoint,
                       "http://127.0.0.1:2")
        XCTAssertThrowsError(try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_ENDPOINT_URL_S3": "127.0.0.1:2"]) { $1 }))) { error in
            XCTAssertEqual(error as? S3ConfigurationError, .invalidEndpoint(variable: "AWS_ENDPOINT_URL_S3", value: "127.0.0.1:2"))
        }
    }

    func testSecretsNeverAppearWhenPrinted() throws {
        let config = try S3Configuration.fromEnvironment(Environment(keys.merging(["AWS_SESSION_TOKEN": "session-token-value"]) { $1 }))
        var dumped = ""
        dump(config, to: &dumped)
        var dumpedCredentials = ""
        dump(config.credentials, to: &dumpedCredentials)
        let forms = [String(describing: config), String(reflecting: config), "\(config)",
                     String(describing: config.credentials), String(reflecting: config.credentials), "\(config.credentials)",
                     dumped, dumpedCredentials, String(describing: [config.credentials]), String(describing: Optional(config.credentials))]
        for text in forms {
            XCTAssertFalse(text.contains("very-secret-key"), text)
            XCTAssertFalse(text.contains("session-token-value"), text)
        }
        XCTAssertTrue(String(describing: config.credentials).contains("AKIDEXAMPLE"), "the key id is not secret and helps debugging")
        XCTAssertTrue(String(describing: config.credentials).contains("<redacted>"))
    }
}
