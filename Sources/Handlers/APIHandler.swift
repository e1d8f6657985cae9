import Catalog
import HTTPClient
import JSON
import LambdaRuntime
import S3

/// `_HANDLER=api`: the HTTP API in front of the bucket (API Gateway HTTP API, payload format
/// 2.0, behind a JWT authorizer). It only reads; writes happen through the presigned URLs it
/// hands out, straight from the browser to S3.
///
///     GET /images[?type=png&limit=100&cursor=...]  {"images": [...], "nextCursor": ... | null}
///     GET /images/{name}                           one catalog entry, or 404
///     GET /me                                      users/<sub>.json, or 404
///     POST /uploads {"name","contentType","size"}  a presigned PUT URL for one new image
///     GET /images?urls=1                           ... plus a presigned viewing "url" per entry
///
/// Order of checks: claims (401), path safety (400), route (404/405), scope (403), query or body
/// (400), then at most one S3 read (none for `/uploads`, which only signs). Every answer is an
/// HTTP response; only an event that is not an HTTP API event at all fails the invocation.
public struct APIHandler: LambdaHandler {
    public var store: any APIStore
    /// When set, `/images*` needs this scope in the token.
    public var requiredScope: String?
    public var cache: APICatalogCache
    public var log: RuntimeLog
    /// What may be uploaded and viewed through presigned URLs.
    public var uploads: APIUploadPolicy
    /// Signs those URLs; without one, `POST /uploads` answers 501 and `urls=1` adds nothing.
    public var presigner: (any APIPresigner)?
    /// Epoch seconds: the signing time of URLs (injectable so tests can check expiry exactly).
    public var clock: () -> Int64
    /// The random part of upload keys.
    public var uploadID: () -> String

    public init(store: any APIStore, requiredScope: String? = nil, cache: APICatalogCache = APICatalogCache(),
                log: RuntimeLog = .standardError, uploads: APIUploadPolicy = APIUploadPolicy(),
                presigner: (any APIPresigner)? = nil, clock: @escaping () -> Int64 = SystemClock.epochSeconds,
                uploadID: @escaping () -> String = APIHandler.randomUploadID) {
        self.store = store
        self.requiredScope = requiredScope
        self.cache = cache
        self.log = log
        self.uploads = uploads
        self.presigner = presigner
        self.clock = clock
        self.uploadID = uploadID
    }

    /// The Lambda configuration: `CATALOG_BUCKET` (required), `CATALOG_KEY` (default
    /// `images.json`), `REQUIRED_SCOPE` (optional), the upload and viewing limits
    /// (`APIUploadPolicy`), S3 from the standard AWS variables. No I/O.
    public init(environment: [String: String]) throws {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let bucket = value("CATALOG_BUCKET") else {
            throw HandlerInitError.configuration(handler: "api", message: "CATALOG_BUCKET is not set: it names the bucket whose catalog the API serves")
        }
        let scope = value("REQUIRED_SCOPE")
        if let scope, scope.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            throw HandlerInitError.configuration(handler: "api", message: "REQUIRED_SCOPE must be one scope (no spaces, quotes or control characters)")
        }
        let configuration: S3Configuration
        do { configuration = try S3Configuration.fromEnvironment(environment) } catch {
            throw HandlerInitError.configuration(handler: "api", message: "\(error)")
        }
        let catalogKey = value("CATALOG_KEY") ?? "images.json"
        let uploads = try APIUploadPolicy(environment: environment, catalogKey: catalogKey)
        let client = S3Client(configuration: configuration, transport: CurlTransport(environment: environment))
        let store = APIS3Store(client: client, bucket: bucket, catalogKey: catalogKey)
        self.init(store: store, requiredScope: scope, uploads: uploads, presigner: store)
    }

    public func handle(_ event: [UInt8], context: InvocationContext) throws -> [UInt8] {
        let value: JSONValue
        do { value = try JSONValue(parsing: event) } catch { throw EventError("", "event is not JSON: \(error)") }
        let request = try APIRequest(event: value)
        let body = try APIRequestBody.from(event: value)
        store.setDeadline(epochMs: context.knownDeadlineMs)
        return respond(to: request, body: body, context: context).serialized()
    }

    /// The response to one request (the testable core of `handle`).
    public func respond(to request: APIRequest, body: [UInt8] = [], context: InvocationContext) -> APIResponse {
        let caller: APICaller
        switch APICaller.from(request) {
        case .proceed(let found): caller = found
        case .answer(let response): return response
        }
        let route: APIRoute
        switch APIRoutes.resolve(method: request.method, path: request.path) {
        case .proceed(let found): route = found
        case .answer(let response): return response
        }
        if let response = caller.forbidden(route: route, requiredScope: requiredScope) { return response }
        let condition = APIIfNoneMatch(request.header("if-none-match"))
        do {
            switch route {
            case .listImages:
                let query: APIListQuery
                switch APIListQuery.parse(request.query) {
                case .proceed(let parsed): query = parsed
                case .answer(let response): return response
                }
                switch Self.wantsURLs(request.query) {
                case .proceed(let urls):
                    let window = urls ? APIViewWindow(now: clock(), expiresInSeconds: uploads.viewExpiresInSeconds) : nil
                    return try listImages(query, urls: window, condition: condition)
                case .answer(let response): return response
                }
            case .image(let name):
                return try image(named: name, condition: condition)
            case .me:
                return try record(of: caller.subject, condition: condition)
            case .uploads:
                return upload(body: body, caller: caller)
            }
        } catch {
            // The details (bucket, key, S3's answer) are for the log only.
            log("\(context.requestID) \(request.method) \(route): \(error)")
            return .internalError
        }
    }

    // MARK: - Routes

    /// With `urls`, each entry gets a viewing URL signed for that window, and the window is part
    /// of the ETag's variant (see `APIViewWindow`).
    private func listImages(_ query: APIListQuery, urls: APIViewWindow?, condition: APIIfNoneMatch?) throws -> APIResponse {
        let variant = query.variant + (urls.map { "\nurls=\($0.index)" } ?? "")
        switch try loadCatalog(variant: variant, condition: condition) {
        case .missing:
            // No catalog yet: the bucket has no images.
            return .ok(json: Array(#"{"images":[],"nextCursor":null}"#.utf8), etag: nil)
        case .unchanged(let etag):
            return .notModified(etag: APIETag.make(variant: variant, storeETag: etag))
        case .current(let view):
            let etag = APIETag.make(variant: variant, storeETag: view.etag)
            if condition?.matches(etag) == true { return .notModified(etag: etag) }
            let page = view.page(query)
            var body = Array(#"{"images":["#.utf8)
            for (i, entry) in page.entries.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                write(entry, urlsFor: urls, to: &body)
            }
            body.append(contentsOf: #"],"nextCursor":"#.utf8)
            if let next = page.nextCursor { JSONValue.writeString(next, to: &body) } else { body.append(contentsOf: "null".utf8) }
            body.append(UInt8(ascii: "}"))
            return .ok(json: body, etag: etag)
        }
    }

    private func image(named name: String, condition: APIIfNoneMatch?) throws -> APIResponse {
        let variant = "image\n" + name
        switch try loadCatalog(variant: variant, condition: condition) {
        case .missing:
            return Self.noSuchImage
        case .unchanged(let etag):
            return .notModified(etag: APIETag.make(variant: variant, storeETag: etag))
        case .current(let view):
            guard let entry = view.entry(named: name) else { return Self.noSuchImage }
            let etag = APIETag.make(variant: variant, storeETag: view.etag)
            if condition?.matches(etag) == true { return .notModified(etag: etag) }
            return .ok(json: entry.serialized(), etag: etag)
        }
    }

    private func record(of subject: APISubject, condition: APIIfNoneMatch?) throws -> APIResponse {
        let variant = "me\n" + subject.value
        switch try store.read(.user(subject), ifNoneMatch: condition?.storeETag(forVariant: variant)) {
        case .missing:
            return .error(404, "not_found", "there is no record for this user")
        case .notModified(let storeETag):
            return .notModified(etag: APIETag.make(variant: variant, storeETag: storeETag))
        case .found(let bytes, let storeETag):
            let etag = APIETag.make(variant: variant, storeETag: storeETag)
            if condition?.matches(etag) == true { return .notModified(etag: etag) }
            let value: JSONValue
            do { value = try JSONValue(parsing: bytes) } catch {
                throw APIDataError(what: "the record of \(subject)", problem: "\(error)")
            }
            return .ok(json: value.serialized(), etag: etag)
        }
    }

    private static let noSuchImage = APIResponse.error(404, "not_found", "there is no image with that name")

    // MARK: - Catalog

    private enum CatalogState {
        case current(APICatalogView)
        /// S3 confirmed that the client's version (from its `If-None-Match`) is current; the
        /// bytes were not fetched because the answer is a 304 anyway.
        case unchanged(etag: String)
        case missing
    }

    /// The current catalog, with a conditional GET: against the cached version when there is one,
    /// else against the version named in the client's `If-None-Match` for this same variant.
    private func loadCatalog(variant: String, condition: APIIfNoneMatch?) throws -> CatalogState {
        let cached = cache.view
        let ask = cached?.etag ?? condition?.storeETag(forVariant: variant)
        switch try store.read(.catalog, ifNoneMatch: ask) {
        case .notModified:
            if let cached { return .current(cached) }
            guard let ask else { throw APIDataError(what: "the catalog", problem: "304 to an unconditional read") }
            return .unchanged(etag: ask)
        case .found(let bytes, let etag):
            let view: APICatalogView
            do { view = try APICatalogView(bytes: bytes, etag: etag) } catch {
                cache.view = nil
                throw APIDataError(what: "the catalog (ETag \(etag))", problem: "\(error)")
            }
            cache.view = view
            return .current(view)
        case .missing:
            cache.view = nil
            return .missing
        }
    }
}

/// A stored object the API cannot serve (a corrupt catalog, a record that is not JSON). Logged
/// with the details, answered with a plain 500.
struct APIDataError: Error, CustomStringConvertible {
    var what: String
    var problem: String
    var description: String { "\(what) cannot be served: \(problem)" }
}
