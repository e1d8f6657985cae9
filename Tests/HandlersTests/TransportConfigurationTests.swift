import Storage
import Basics
import XCTest
@testable import Handlers

/// Where libcurl's CA bundle comes from: `SSL_CERT_FILE`, else the first known bundle present.
final class TransportConfigurationTests: XCTestCase {
    static let amazon = "/etc/pki/tls/certs/ca-bundle.crt"
    static let debian = "/etc/ssl/certs/ca-certificates.crt"

    func caBundle(_ values: [String: String], existing: Set<String>) -> String? {
        TransportConfiguration(Environment(values), fileExists: { existing.contains($0) }).caBundle
    }

    func testSSLCertFileWins() {
        XCTAssertEqual(caBundle(["SSL_CERT_FILE": "/opt/ca.pem"], existing: [Self.amazon]), "/opt/ca.pem")
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
        let values = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "CATALOG_BUCKET": "b", "SSL_CERT_FILE": "/opt/ca.pem"]
        XCTAssertEqual(try APIConfiguration(Environment(values)).transport.caBundle, "/opt/ca.pem")
        XCTAssertEqual(try CatalogConfiguration(Environment(values)).transport.caBundle, "/opt/ca.pem")
    }
}
