import JSON
import XCTest
@testable import API

/// `Caller`: who is calling, from the claims API Gateway's JWT authorizer verified; and scopes.
final class CallerTests: XCTestCase {
    func request(claims: JSONObject?, scopes: [String]? = nil) -> GatewayRequest {
        GatewayRequest(method: "GET", path: "/me", claims: claims, scopes: scopes)
    }

    func rejection(_ request: GatewayRequest) -> GatewayResponse? {
        do { _ = try Caller(request); return nil } catch { return error.response }
    }

    func testClaimsMakeTheCallerAndScopesAreMerged() throws {
        let caller = try Caller(request(claims: ["sub": .string("auth0|abc"), "scope": .string("read:images upload:images")],
                                        scopes: ["read:images", "admin"]))
        XCTAssertEqual(caller.subject.value, "auth0|abc")
        XCTAssertEqual(caller.scopes, ["read:images", "admin", "upload:images"])
    }

    func testNoClaimsOrNoSubjectIs401() {
        for claims: JSONObject? in [nil, [:], ["sub": .string("")]] {
            let response = rejection(request(claims: claims))
            XCTAssertEqual(response?.statusCode, 401, "\(String(describing: claims))")
            XCTAssertEqual(response?.headers["www-authenticate"], "Bearer")
        }
    }

    /// Any subject an issuer gives is a caller (its record is keyed by a digest): plus-addressing,
    /// a SAML distinguished name, a slash. A subject no issuer means is a 403 of its own, not a
    /// 401: signing in again gives the same one, and the gallery signs out on a 401.
    func testEverySubjectAnIssuerGivesIsACaller() throws {
        for sub in ["samlp|corp|jane+photos@example.com", "CN=Jane Doe,O=Corp", "a/b", "..", String(repeating: "x", count: 255)] {
            XCTAssertEqual(try Caller(request(claims: ["sub": .string(sub)])).subject.value, sub)
        }
        for sub in ["a\nb", String(repeating: "x", count: 256)] {
            let response = rejection(request(claims: ["sub": .string(sub)]))
            XCTAssertEqual(response?.statusCode, 403, sub)
            XCTAssertTrue(response?.bodyText.contains("invalid_subject") == true, response?.bodyText ?? "")
        }
    }

    func testRequiredScopeIs403NamingIt() throws {
        let caller = try Caller(request(claims: ["sub": .string("u"), "scope": .string("read:images")]))
        XCTAssertNoThrow(try caller.require(scope: nil))
        XCTAssertNoThrow(try caller.require(scope: "read:images"))
        do { try caller.require(scope: "upload:images"); XCTFail("allowed") } catch {
            XCTAssertEqual(error.response.statusCode, 403)
            XCTAssertEqual(error.response.headers["www-authenticate"], "Bearer error=\"insufficient_scope\", scope=\"upload:images\"")
        }
    }
}
