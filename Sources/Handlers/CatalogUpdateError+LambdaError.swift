import CatalogSync
import LambdaRuntime

/// Each fails the invocation (or, under SQS, the messages that touched the bucket) so that Lambda
/// delivers the changes again.
extension CatalogUpdateError: LambdaError {
    public var errorType: String {
        switch self {
        case .corruptCatalog: "Function.CorruptCatalog"
        case .unconvertible: "Function.UnconvertibleCatalog"
        case .contended: "Function.CatalogConflict"
        case .storage: "Function.StorageError"
        }
    }

    public var errorMessage: String { description }
}
