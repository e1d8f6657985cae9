enum CatalogStoreError: Error, CustomStringConvertible {
    case unstable(bucket: String, key: String)

    var description: String {
        switch self {
        case .unstable(let bucket, let key): "s3://\(bucket)/\(key) changed on every read of its header"
        }
    }
}
