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

    func testNoClaimsOrNoUsableSubjectIs401() {
        for claims: JSONObject? in [nil, [:], ["sub": .string("")], ["sub": .string("a/b")], ["sub": .string("..")]] {
            let response = rejection(request(claims: claims))
            XCTAssertEqual(response?.statusCode, 401, "\(String(describing: claims))")
            XCTAssertEqual(response?.headers["www-authenticate"], "Bearer")
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
