/// Signs each published SigV4 test vector kept in Vectors/ (fifteen cases of AWS's suite that S3
/// requests depend on; see Vectors/README.md) with header signing and with presigning, and
/// requires the canonical request, string to sign, signature and signed request to match byte
/// for byte.
import Foundation
import XCTest
@testable import SigV4
import Basics

final class SigV4VectorTests: XCTestCase {
    /// Cases this signer cannot reproduce, with the reason. Empty: all cases pass.
    static let knownFailures: [String: String] = [:]

    /// The cases Vectors/README.md lists: a folder lost or added without it fails the test.
    static let caseNames = [
        "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-trim",
        "get-relative-relative-unnormalized", "get-slash-dot-slash-unnormalized", "get-slashes-unnormalized",
        "get-space-unnormalized", "get-unreserved", "get-utf8", "get-vanilla", "get-vanilla-query-order-encoded",
        "get-vanilla-utf8-query", "get-vanilla-with-session-token", "post-sts-header-after", "post-x-www-form-urlencoded",
    ]

    func loadCases() throws -> [SigV4Vector] {
        let dir = SigV4Vector.vectorsDirectory()
        let folders = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        XCTAssertEqual(folders.sorted(), Self.caseNames, "the case folders in \(dir.path)")
        return try Self.caseNames.map { try SigV4Vector(directory: dir.appendingPathComponent($0)) }
    }

    func testHeaderSigningMatchesEveryVector() throws {
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
        print("SigV4 vectors, header signing: \(passed)/\(cases.count) cases pass")
        XCTAssertEqual(passed + Self.knownFailures.count, cases.count)
    }

    func testQuerySigningMatchesEveryVector() throws {
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
        print("SigV4 vectors, query signing: \(passed)/\(cases.count) cases pass")
        XCTAssertEqual(passed + Self.knownFailures.count, cases.count)
    }
}
