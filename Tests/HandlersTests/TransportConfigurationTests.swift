import Storage
import Basics
import Foundation
import XCTest
@testable import Handlers

/// Where libcurl's CA bundle comes from: `SSL_CERT_FILE`, else the first known bundle present.
final class TransportConfigurationTests: XCTestCase {
    static let amazon = "/etc/pki/tls/certs/ca-bundle.crt"
    static let debian = "/etc/ssl/certs/ca-certificates.crt"

    func caBundle(_ values: [String: String], existing: Set<String>) -> String? {
        try? TransportConfiguration(Environment(values), fileExists: { existing.contains($0) }).caBundle
    }

    func testSSLCertFileWins() {
        XCTAssertEqual(caBundle(["SSL_CERT_FILE": "/opt/ca.pem"], existing: [Self.amazon, "/opt/ca.pem"]), "/opt/ca.pem")
    }

    /// Every HTTPS request would fail with curl's error 77: the start-up stops instead, naming it.
    func testAnSSLCertFileThatIsNotThereStopsTheStartUp() {
        XCTAssertThrowsError(try TransportConfiguration(Environment(["SSL_CERT_FILE": "/opt/ca.pem"]), fileExists: { _ in false })) {
            XCTAssertEqual("\($0)", "SSL_CERT_FILE=/opt/ca.pem is not a readable file")
        }
        let values = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "CATALOG_BUCKET": "bkt",
                      "SSL_CERT_FILE": "/nonexistent/ca.pem"]
        XCTAssertThrowsError(try CatalogConfiguration(Environment(values))) { XCTAssertTrue("\($0)".hasPrefix("SSL_CERT_FILE="), "\($0)") }
        XCTAssertThrowsError(try APIConfiguration(Environment(values))) { XCTAssertTrue("\($0)".hasPrefix("SSL_CERT_FILE="), "\($0)") }
    }

    func testEmptySSLCertFileCountsAsUnset() {
        XCTAssertEqual(caBundle(["SSL_CERT_FILE": ""], existing: [Self.debian]), Self.debian,
                       "an empty value must not set CURLOPT_CAINFO to \"\"")
        XCTAssertNil(caBundle(["SSL_CERT_FILE": ""], existing: []))
    }

    func testKnownBundlesInOrder() {
        XCTAssertEqual(caBundle([:], existing: [Self.debian, Self.amazon]), Self.amazon, "Amazon Linux's path first")
        XCTAssertEqual(caBundle([:], existing: [Self.debian]), Self.debian)
        XCTAssertEqual(caBundle([:], existing: ["/etc/ssl/cert.pem"]), "/etc/ssl/cert.pem")
        XCTAssertNil(caBundle([:], existing: []), "none found: libcurl's own default")
    }

    func testBothConfigurationsResolveIt() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(getpid()).pem").path
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let values = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "CATALOG_BUCKET": "bkt", "SSL_CERT_FILE": file]
        XCTAssertEqual(try APIConfiguration(Environment(values)).transport.caBundle, file)
        XCTAssertEqual(try CatalogConfiguration(Environment(values)).transport.caBundle, file)
    }
}
