import S3
import Storage
import XCTest

/// Which S3 answers skip a key for good and which fail its bucket so that its records come back.
final class KeyReadErrorTests: XCTestCase {
    private func reading(_ status: Int, _ code: String) -> KeyReadError {
        KeyReadError(S3Error(operation: "GetObject", bucket: "b", key: "k",
                             kind: .service(status: status, code: code, message: "", requestId: nil)))
    }

    func testTheKeysOwnRefusalsSkipIt() {
        // SignatureDoesNotMatch too: a proxy that encodes one key's name its own way refuses that
        // key alone, and failing the bucket would fail every record with it, for good.
        for (status, code) in [(403, "AccessDenied"), (403, "InvalidObjectState"), (400, "KMS.DisabledException"),
                               (405, "MethodNotAllowed"), (403, "SignatureDoesNotMatch")] {
            guard case .refused = reading(status, code) else { return XCTFail("\(status) \(code)") }
        }
    }

    /// Credentials and clock refuse every key alike: a batch skipped for them would be lost until
    /// the reconcile, which signs with the same credentials.
    func testAnswersAboutTheCallerFailTheBucket() {
        for (status, code) in [(400, "ExpiredToken"), (400, "InvalidToken"), (400, "AuthorizationHeaderMalformed"),
                               (403, "InvalidAccessKeyId"), (403, "RequestTimeTooSkewed"),
                               (403, "InvalidSecurity"), (400, "TokenRefreshRequired"), (403, "RequestExpired")] {
            guard case .failed = reading(status, code) else { return XCTFail("\(status) \(code)") }
        }
        guard case .failed = reading(404, "NoSuchBucket") else { return XCTFail("NoSuchBucket") }
    }
}
