/// Runs every case of the AWS SigV4 test suite through `SigV4Signer`, for header signing and for
/// presigning, and requires the canonical request, string to sign, signature and signed request
/// to match byte for byte. The suite is data shared outside the repo; a missing copy is a failure.
import Foundation
import XCTest
@testable import SigV4

final class SigV4SuiteTests: XCTestCase {
    /// Cases this signer cannot reproduce, with the reason. Empty: all cases pass.
    static let knownFailures: [String: String] = [:]

    func loadCases() throws -> [SigV4SuiteCase] {
        let dir = SigV4SuiteCase.suiteDirectory()
        guard FileManager.default.fileExists(atPath: dir.path) else {
            XCTFail("""
                prerequisite missing: ../shared/sigv4-test-suite (looked for \(dir.path)). The tests \
                expect the project's shared folder, with the SigV4 test suite and the boto3 peer, \
                beside the checkout; it is not part of the repository.
                """)
            return []
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let cases = try names.map { try SigV4SuiteCase(directory: dir.appendingPathComponent($0)) }
        XCTAssertGreaterThan(cases.count, 0, "no cases in \(dir.path)")
        return cases
    }

    func testHeaderSigningMatchesEverySuiteCase() throws {
        let cases = try loadCases()
        var passed = 0
        for c in cases {
            let result = c.signer.signHeaders(c.request)
            var ok = true
            func check(_ actual: String, _ file: String) throws {
                let expected = try c.expected(file)
                if actual != expected {
                    ok = false
                    if Self.knownFailures[c.name] == nil {
                        XCTFail("\(c.name) \(file):\n--- expected\n\(expected)\n--- actual\n\(actual)")
                    }
                }
            }
            try check(result.canonicalRequest, "header-canonical-request")
            try check(result.stringToSign, "header-string-to-sign")
            try check(result.signature, "header-signature")
            // The signed request: the original lines, then the headers the signer added.
            let added = result.headers.map { "\($0.name):\($0.value)" }
            let signed = ([c.requestLine] + c.headerLines + added).joined(separator: "\n") + "\n\n"
                + String(decoding: c.body, as: UTF8.self)
            try check(signed, "header-signed-request")
            if ok { passed += 1 }
        }
        print("SigV4 suite, header signing: \(passed)/\(cases.count) cases pass")
        XCTAssertEqual(passed + Self.knownFailures.count, cases.count)
    }

    func testQuerySigningMatchesEverySuiteCase() throws {
        let cases = try loadCases()
        var passed = 0
        for c in cases {
            let result = c.signer.presign(c.request, expiresInSeconds: c.expiresInSeconds)
            var ok = true
            func check(_ actual: String, _ expected: String, _ what: String) {
                if actual != expected {
                    ok = false
                    if Self.knownFailures[c.name] == nil {
                        XCTFail("\(c.name) \(what):\n--- expected\n\(expected)\n--- actual\n\(actual)")
                    }
                }
            }
            check(result.canonicalRequest, try c.expected("query-canonical-request"), "query-canonical-request")
            check(result.stringToSign, try c.expected("query-string-to-sign"), "query-string-to-sign")
            check(result.signature, try c.expected("query-signature"), "query-signature")

            // The signed request keeps the original query as written and appends the signing
            // parameters; compare parameter sets (the suite's order is its own) and the rest byte for byte.
            let signedRequest = try c.expected("query-signed-request")
            let firstLineEnd = signedRequest.firstIndex(of: "\n")!
            let line = signedRequest[..<firstLineEnd]
            let uri = line[line.index(after: line.firstIndex(of: " ")!)..<line.range(of: " HTTP/", options: .backwards)!.lowerBound]
            let expectedParams = uri[uri.index(after: uri.firstIndex(of: "?")!)...].split(separator: "&").map(String.init).sorted()
            let original = (c.rawQuery ?? "").split(separator: "&").map(String.init)
            let added = result.addedQuery.map {
                URIEncoding.encodeQueryComponent($0.name) + "=" + URIEncoding.encodeQueryComponent($0.value)
            }
            check((original + added).sorted().joined(separator: "&"), expectedParams.joined(separator: "&"), "query-signed-request parameters")
            check(String(uri[..<uri.firstIndex(of: "?")!]), c.rawPath, "query-signed-request path")
            let rest = (c.headerLines).joined(separator: "\n") + "\n\n" + String(decoding: c.body, as: UTF8.self)
            check(String(signedRequest[signedRequest.index(after: firstLineEnd)...]), rest, "query-signed-request headers and body")
            // The URL's query string carries exactly the same parameters.
            check(result.queryString.split(separator: "&").sorted().joined(separator: "&"),
                  (c.queryItems.map { URIEncoding.encodeQueryComponent($0.name) + "=" + URIEncoding.encodeQueryComponent($0.value) } + added)
                    .sorted().joined(separator: "&"), "queryString")
            if ok { passed += 1 }
        }
        print("SigV4 suite, query signing: \(passed)/\(cases.count) cases pass")
        XCTAssertEqual(passed + Self.knownFailures.count, cases.count)
    }
}
