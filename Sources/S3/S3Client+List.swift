import HTTPClient

/// ListObjectsV2, one page at a time or all pages at once; the XML is read with `XMLExtractor`.
extension S3Client {
    /// One page of keys under `prefix`, in key order (UTF-8 bytes). Pass the previous page's
    /// `nextContinuationToken` to get the next one, or `startAfter` to begin after a key (the
    /// key itself is not listed).
    public func listObjectsV2(bucket: String, prefix: String? = nil, continuationToken: String? = nil,
                              startAfter: String? = nil, maxKeys: Int? = nil) throws(S3Error) -> S3ListPage {
        var call = Call(operation: "ListObjectsV2", method: "GET", bucket: bucket, key: nil,
                        query: [(name: "list-type", value: "2")])
        if let prefix { call.query.append((name: "prefix", value: prefix)) }
        if let continuationToken { call.query.append((name: "continuation-token", value: continuationToken)) }
        if let startAfter { call.query.append((name: "start-after", value: startAfter)) }
        if let maxKeys { call.query.append((name: "max-keys", value: String(maxKeys))) }
        let response = try perform(call)
        return try Self.parseListPage(response, bucket: bucket)
    }

    /// Every key under `prefix`, following continuation tokens to the end.
    public func listAllObjects(bucket: String, prefix: String? = nil, pageSize: Int? = nil) throws(S3Error) -> [S3ListEntry] {
        var entries: [S3ListEntry] = []
        var token: String?
        repeat {
            let page = try listObjectsV2(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            entries += page.entries
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        return entries
    }

    static func parseListPage(_ response: HTTPResponse, bucket: String) throws(S3Error) -> S3ListPage {
        let xml = response.body[...]
        func invalid(_ reason: String) -> S3Error {
            S3Error(operation: "ListObjectsV2", bucket: bucket, key: nil,
                    kind: .invalidResponse(status: response.status, reason: reason))
        }
        guard let result = XMLExtractor.elements("ListBucketResult", in: xml).first else {
            throw invalid("no <ListBucketResult> element")
        }
        var entries: [S3ListEntry] = []
        for item in XMLExtractor.elements("Contents", in: result) {
            guard let key = XMLExtractor.firstText("Key", in: item) else { throw invalid("<Contents> without <Key>") }
            guard let size = XMLExtractor.firstText("Size", in: item).flatMap(S3ObjectInfo.size) else {
                throw invalid("no valid <Size> for key \(key)")
            }
            entries.append(S3ListEntry(key: key, size: size, etag: XMLExtractor.firstText("ETag", in: item),
                                       lastModified: XMLExtractor.firstText("LastModified", in: item)))
        }
        // Only the top-level flags: <Contents> blocks never contain these names.
        let truncated = XMLExtractor.firstText("IsTruncated", in: result) == "true"
        let token = XMLExtractor.firstText("NextContinuationToken", in: result).flatMap { $0.isEmpty ? nil : $0 }
        if truncated && token == nil { throw invalid("IsTruncated is true but there is no NextContinuationToken") }
        return S3ListPage(entries: entries, isTruncated: truncated, nextContinuationToken: token)
    }
}
