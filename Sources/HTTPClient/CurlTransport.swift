import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// HTTP/1.1 over one reused libcurl easy handle, so consecutive requests to the same host share
/// one kept-alive connection (`curl_easy_reset` clears options but keeps the connection cache).
///
/// Not thread-safe: use one per thread. The Lambda loop is single-threaded by design.
public final class CurlTransport: HTTPTransport {
    private let handle: UnsafeMutableRawPointer
    private let caBundle: String?

    /// Amazon Linux keeps its CA bundle at a path Debian's libcurl never looks at, and libcurl reads
    /// no environment variable itself: `SSL_CERT_FILE` wins, else the first bundle that exists.
    static let knownCABundles = [
        "/etc/pki/tls/certs/ca-bundle.crt",      // Amazon Linux, RHEL
        "/etc/ssl/certs/ca-certificates.crt",    // Debian, Ubuntu
        "/etc/ssl/cert.pem",                     // Alpine, macOS
    ]

    public init(environment: [String: String] = [:]) {
        _ = CurlTransport.globalInit
        guard let h = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        handle = h
        caBundle = environment["SSL_CERT_FILE"] ?? getenv("SSL_CERT_FILE").map { String(cString: $0) }
            ?? CurlTransport.knownCABundles.first { access($0, R_OK) == 0 }
    }

    deinit { curl_easy_cleanup(handle) }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        curl_easy_reset(handle)
        let sink = Sink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // An empty "Expect:" stops libcurl from waiting for 100-continue on larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        defer { curl_slist_free_all(list) }

        let code: CURLcode = request.url.withCString { url in
            request.method.withCString { method in
                request.body.withUnsafeBufferPointer { body in
                    ccurl_setopt_str(handle, CURLOPT_URL, url)
                    ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                    ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
                    ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
                    ccurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list)
                    ccurl_setopt_write(handle, sinkBody)
                    ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, sinkPointer)
                    ccurl_setopt_header(handle, sinkHeader)
                    ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, sinkPointer)
                    ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5_000)
                    ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMs ?? 0)
                    if let caBundle { ccurl_setopt_str(handle, CURLOPT_CAINFO, caBundle) }
                    switch request.method {
                    case "GET" where request.body.isEmpty:
                        ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                    case "HEAD":
                        ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
                    default:
                        ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)
                        if !request.body.isEmpty || request.method != "GET" && request.method != "DELETE" {
                            ccurl_setopt_long(handle, CURLOPT_POST, 1)
                            ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                            ccurl_setopt_ptr(handle, CURLOPT_POSTFIELDS, body.baseAddress.map(UnsafeRawPointer.init) ?? emptyBody)
                        }
                    }
                    return curl_easy_perform(handle)
                }
            }
        }
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            throw HTTPTransportError(code: Int(code.rawValue), message: message,
                                     method: request.method, url: request.url)
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

nonisolated(unsafe) private let emptyBody = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

/// Collects one response; headers restart on each status line (a 100 Continue precedes the real one).
private final class Sink {
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
}

private let sinkBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
    let n = size * count
    data!.withMemoryRebound(to: UInt8.self, capacity: n) {
        sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
    }
    return n
}

private let sinkHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
    let n = size * count
    data!.withMemoryRebound(to: UInt8.self, capacity: n) { start in
        var line = UnsafeBufferPointer(start: start, count: n)[...]
        while let last = line.last, last == 0x0D || last == 0x0A || last == 0x20 || last == 0x09 { line.removeLast() }
        if line.starts(with: "HTTP/".utf8) {
            sink.headers.removeAll()
        } else if let colon = line.firstIndex(of: 0x3A) {
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
            let header = HTTPHeader(name: String(decoding: line[..<colon], as: UTF8.self),
                                    value: String(decoding: value, as: UTF8.self))
            // One allocation for a large body (an 8 MB catalog) instead of a doubling series.
            if header.name == "content-length", let length = Int(header.value), length <= 64 << 20 {
                sink.body.reserveCapacity(length)
            }
            sink.headers.append(header)
        }
    }
    return n
}
