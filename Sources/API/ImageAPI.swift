import Basics
import Catalog
import CatalogFile
import JSON
import Storage
import Telemetry

/// The HTTP API in front of the bucket (API Gateway HTTP API, payload format 2.0, behind a JWT
/// authorizer). It reads, and writes only the caller's own record at sign-in; images are written
/// through the presigned URLs it hands out, straight from the browser to S3. No Lambda types
/// here: `Handlers.APIHandler` adapts it to the runtime.
///
///     GET /images[?type=png&limit=100&cursor=...]  {"images": [...], "nextCursor": ... | null}
///     GET /images/{name}                           one catalog entry, or 404
///     GET /me                                      the caller's record (users/sha256/…), or 404
///     PUT /me                                      sign-in: creates (201) or refreshes (200) it
///     POST /uploads {"name","contentType","size"}  a presigned PUT URL for one new image
///     GET /images?urls=1                           ... plus a presigned viewing "url" per entry
///
/// Order of checks: claims (401), path safety (400), route (404/405), scope (403), query or body
/// (400), then at most one S3 read (none for `/uploads`, which only signs; `PUT /me` reads and
/// writes the caller's record, retrying lost races). Each check throws an
/// `APIError` carrying its answer; every answer is an HTTP response.
public struct ImageAPI {
    public var store: any ObjectStore
    /// The bucket whose catalog is served and where users' records live.
    public var bucket: String
    /// The catalog object (`CATALOG_KEY`).
    public var catalogKey: String
    /// When set, `/images*` needs this scope in the token.
    public var requiredScope: String?
    public var cache: CatalogReaderCache
    /// Where failures' details go (bucket, key, S3's answer): never into a response. `respond`
    /// stamps each line with the request id it is given.
    public var log: Logger
    /// What may be uploaded and viewed through presigned URLs.
    public var uploads: UploadPolicy
    /// Signs those URLs; without one, `POST /uploads` answers 501 and `urls=1` adds nothing.
    public var presigner: (any URLPresigner)?
    /// Epoch milliseconds: the signing time of URLs, records' times, the write's deadline checks
    /// (one clock, injectable so tests can check expiry exactly).
    public var nowMs: () -> Int64
    /// The directory of an upload's key: time-ordered (`timeOrderedUploadID`).
    public var uploadID: () -> String
    /// Where `PUT /me` gets email, name and picture; without one, records get `sub` and times.
    public var profiles: ProfileSource?
    /// `PUT /me`'s conditional write: at most this many rounds, with full-jitter backoff between
    /// them (like the catalog's), and never past the invocation's deadline.
    public var recordAttempts = 10
    /// The biggest catalog without an index the API indexes itself, within a request (~1 s at
    /// 7 % of a vCPU): past it, `503 catalog_not_ready` until the catalog function or the
    /// reconcile has written the index. Every version imagecat writes has one.
    public var maxReindexBytes: Int64 = 8 << 20
    /// How the catalog is read (its sizes: see `CatalogFile`); store and bucket are this API's.
    public var layout: CatalogFile
    public var recordBackoff = Backoff(baseMs: 10, maxMs: 1_000)
    public var sleepMs: (Int) -> Void = { SystemClock.sleep(milliseconds: $0) }
    public var jitter: (Int) -> Int = { Int.random(in: 0...max(0, $0)) }

    public init(store: any ObjectStore, bucket: String, catalogKey: String = "images.json",
                requiredScope: String? = nil, cache: CatalogReaderCache = CatalogReaderCache(),
                log: Logger = .discarding, uploads: UploadPolicy = UploadPolicy(),
                presigner: (any URLPresigner)? = nil, nowMs: @escaping () -> Int64 = SystemClock.epochMilliseconds,
                uploadID: @escaping () -> String = { ImageAPI.timeOrderedUploadID() }, profiles: ProfileSource? = nil) {
        self.store = store
        self.bucket = bucket
        self.catalogKey = catalogKey
        layout = CatalogFile(store: store, bucket: bucket, key: catalogKey)
        self.requiredScope = requiredScope
        self.cache = cache
        self.log = log
        self.uploads = uploads
        self.presigner = presigner
        self.nowMs = nowMs
        self.uploadID = uploadID
        self.profiles = profiles
    }

    /// `nowMs` in whole seconds, as URLs and ISO 8601 times are signed and written.
    var nowSeconds: Int64 { nowMs() / 1000 }

    /// The scope a route needs: `REQUIRED_SCOPE` for the catalog, the upload scope for uploads,
    /// none for the caller's own record.
    public func scope(for route: Route) -> String? {
        switch route {
        case .listImages, .image: requiredScope
        case .uploads: uploads.scope
        case .me, .signIn: nil
        }
    }

    /// The response to one request. `requestID` only labels log lines; `deadline` (the
    /// invocation's work deadline) bounds every S3 request, `PUT /me`'s retries and the
    /// userinfo call.
    public func respond(to request: GatewayRequest, requestID: String? = nil, deadline: Deadline? = nil) -> GatewayResponse {
        var scoped = self
        scoped.log = log.with(requestID: requestID)
        return scoped.serve(request, deadline: deadline)
    }

    private func serve(_ request: GatewayRequest, deadline: Deadline?) -> GatewayResponse {
        store.deadline = deadline
        var route: Route?
        do {
            let caller = try Caller(request)
            route = try Router.resolve(method: request.method, path: request.path)
            try caller.require(scope: scope(for: route!))
            let condition = IfNoneMatch(request.header("if-none-match"))
            switch route! {
            case .listImages:
                let query = try ListQuery.parse(request.query)
                let window = try Self.wantsURLs(request.query)
                    ? ViewWindow(now: nowSeconds, expiresInSeconds: uploads.viewExpiresInSeconds) : nil
                return try listImages(query, urls: window, condition: condition)
            case .image(let name):
                return try image(named: name, condition: condition)
            case .me:
                return try record(of: caller.subject, condition: condition)
            case .signIn:
                return try signIn(caller.subject, request: request, deadline: deadline)
            case .uploads:
                return try upload(body: request.bodyBytes())
            }
        } catch let rejection as APIError {
            return rejection.response
        } catch {
            // The details (bucket, key, S3's answer) are for the log only.
            log.error("\(request.method) \(route.map { "\($0)" } ?? request.path): \(error)",
                      ["status": .int(GatewayResponse.internalError.statusCode), "errorType": .string("\(type(of: error))")])
            return .internalError
        }
    }

    // MARK: - Routes

    /// A page's body ends before an entry that would take it past this, and its cursor goes
    /// on from there: Lambda refuses an answer over 6 MB, and the body travels escaped inside
    /// it (every quote doubled, at worst). Entries with big extra members (a hand edit, a
    /// description per image) made a page of 1,000 too big to answer, for good; ordinary pages
    /// are far below it (1,000 entries with viewing URLs: ~0.8 MB).
    static let maxPageBodyBytes = 2_900_000

    /// With `urls`, each entry gets a viewing URL signed for that window, and the window is part
    /// of the ETag's variant (see `ViewWindow`).
    private func listImages(_ query: ListQuery, urls: ViewWindow?, condition: IfNoneMatch?) throws -> GatewayResponse {
        let variant = query.variant + (urls.map { "\nurls=\($0.index)" } ?? "")
        if let unchanged = try clientIsCurrent(variant: variant, condition: condition) { return unchanged }
        let page = try catalog { () throws(CatalogFileError) in try reader.page(query) }
        guard let storeETag = page.etag else {
            // No catalog yet: the bucket has no images. Said in the log, since S3 answers a role
            // that may not list the bucket 403 either way: a read it may not make looks the same.
            log.info("no catalog at s3://\(bucket)/\(catalogKey) (or S3 refused to read it): the empty list",
                     ["key": .string(catalogKey)])
            return .ok(json: Array(#"{"images":[],"nextCursor":null}"#.utf8), etag: nil)
        }
        let etag = ResponseETag.make(variant: variant, storeETag: storeETag)
        if condition?.matches(etag) == true { return .notModified(etag: etag) }
        var body = Array(#"{"images":["#.utf8)
        var next = page.nextCursor
        for (i, entry) in page.entries.enumerated() {
            let end = body.count
            if i > 0 { body.append(UInt8(ascii: ",")) }
            write(entry, urlsFor: urls, to: &body)
            if i > 0, body.count > Self.maxPageBodyBytes {
                body.removeSubrange(end...)
                next = ListCursor.encode(page.entries[i - 1].name)       // the rest on the next page
                break
            }
        }
        body.append(contentsOf: #"],"nextCursor":"#.utf8)
        if let next { JSONValue.writeString(next, to: &body) } else { body.append(contentsOf: "null".utf8) }
        body.append(UInt8(ascii: "}"))
        return .ok(json: body, etag: etag)
    }

    private func image(named name: String, condition: IfNoneMatch?) throws -> GatewayResponse {
        let variant = "image\n" + name
        if let unchanged = try clientIsCurrent(variant: variant, condition: condition) { return unchanged }
        let found = try catalog { () throws(CatalogFileError) in try reader.entry(named: name) }
        guard let entry = found.entry, let storeETag = found.etag else { return Self.noSuchImage }
        let etag = ResponseETag.make(variant: variant, storeETag: storeETag)
        if condition?.matches(etag) == true { return .notModified(etag: etag) }
        return .ok(json: entry.serialized(), etag: etag)
    }

    func record(of subject: Subject, condition: IfNoneMatch?) throws -> GatewayResponse {
        let variant = "me\n" + subject.value
        switch try readRecord(of: subject, ifNoneMatch: condition?.storeETag(forVariant: variant)) {
        case .missing:
            return .error(404, "not_found", "there is no record for this user")
        case .notModified(let storeETag):
            return .notModified(etag: ResponseETag.make(variant: variant, storeETag: storeETag))
        case .found(let bytes, let storeETag):
            let etag = ResponseETag.make(variant: variant, storeETag: storeETag)
            if condition?.matches(etag) == true { return .notModified(etag: etag) }
            let value: JSONValue
            do { value = try JSONValue(parsing: bytes) } catch {
                throw StoredDataError(what: "the record at \(key(for: .user(subject)))", problem: "\(error)")
            }
            return .ok(json: value.serialized(), etag: etag)
        }
    }

    private static let noSuchImage = GatewayResponse.error(404, "not_found", "there is no image with that name")

    static let catalogNotReady = APIError(503, "catalog_not_ready", "the catalog is being indexed; try again in a minute",
                                          headers: ["retry-after": "60"])

    /// The catalog changed under every read of one request (a burst of writes): nothing is wrong
    /// with it, so not a 500; the next request reads the version that settled.
    static let catalogBusy = APIError(503, "catalog_busy", "the catalog changed while it was read; try again in a second",
                                      headers: ["retry-after": "1"])

    // MARK: - Catalog

    /// The catalog as this API reads it (the bucket's, through the warm cache).
    var reader: CatalogReader {
        var file = layout
        file.store = store
        file.bucket = bucket
        file.maxReindexBytes = maxReindexBytes
        return CatalogReader(file: file, cache: cache)
    }

    /// A 304 when nothing is cached and the client's `If-None-Match` names the S3 version of
    /// the catalog that is still current: one conditional request, no bytes read.
    private func clientIsCurrent(variant: String, condition: IfNoneMatch?) throws -> GatewayResponse? {
        guard cache.version == nil, let storeETag = condition?.storeETag(forVariant: variant),
              try catalog({ () throws(CatalogFileError) in try reader.isCurrent(storeETag) }) else { return nil }
        return .notModified(etag: ResponseETag.make(variant: variant, storeETag: storeETag))
    }

    /// Runs a catalog read; what cannot be served is logged with its details and answered 500.
    private func catalog<T>(_ body: () throws(CatalogFileError) -> T) throws -> T {
        do throws(CatalogFileError) { return try body() } catch {
            cache.version = nil
            if case .storage(let underlying) = error { throw underlying }
            if case .notIndexed = error {
                log.warn("the catalog cannot be served yet: \(error)", ["status": .int(503), "bucket": .string(bucket)])
                throw Self.catalogNotReady
            }
            if case .changed = error {
                log.warn("the catalog s3://\(bucket)/\(catalogKey) changed under every read of the request",
                         ["status": .int(503), "bucket": .string(bucket)])
                throw Self.catalogBusy
            }
            throw StoredDataError(what: "the catalog s3://\(bucket)/\(catalogKey)", problem: "\(error)")
        }
    }
}
