import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// HTTP/1.1 over libcurl's multi interface: a few reused easy handles (`CurlTransfer`) driven by
/// one multi handle, which owns the cache of kept-alive connections. Single requests (`send`, the
/// Lambda loop's long poll) and batches (`sendAll`) go through the same multi, so they share those
/// connections; a batch runs at most `maxConcurrent` requests at once on one thread, and the
/// multi never holds more connections than the transport has easy handles.
///
/// Not thread-safe: use one per thread. The Lambda loop is single-threaded by design.
public final class CurlTransport: HTTPTransport {
    private let multi: UnsafeMutableRawPointer
    private var pool: [CurlTransfer] = []
    private let caBundle: String?
    /// Response-body limit for requests that set no `maxBodyBytes`: a misbehaving server or a
    /// huge object ends in `isBodyTooLarge`, not in a function out of memory.
    public var defaultMaxBodyBytes = 64 << 20

    /// Easy handles (and so connections) a transport ever keeps, whatever `maxConcurrent` asks.
    public static let maxPoolSize = 64

    /// `caBundle`: the CA file to verify servers with (`CURLOPT_CAINFO`); `nil` keeps libcurl's
    /// default. The caller resolves it from its configuration: the transport reads no environment.
    public init(caBundle: String? = nil) {
        _ = CurlTransport.globalInit
        guard let m = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        multi = m
        self.caBundle = caBundle
    }

    deinit {
        curl_multi_cleanup(multi)
        pool.removeAll()   // easy handles after their multi, as libcurl asks
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        try run([request], maxConcurrent: 1)[0].get()
    }

    public func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
        run(requests, maxConcurrent: maxConcurrent)
    }

    /// Grows the pool to `width` easy handles (it never shrinks) and caps the multi's connections
    /// at the pool's size, so however many requests a batch holds, the connections stay few.
    private func reserve(_ width: Int) {
        guard pool.count < width else { return }
        while pool.count < width { pool.append(CurlTransfer()) }
        ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, pool.count)
        ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, pool.count)
    }

    private func run(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
        guard !requests.isEmpty else { return [] }
        let width = min(max(1, maxConcurrent), requests.count, Self.maxPoolSize)
        reserve(width)
        var results = [Result<HTTPResponse, HTTPTransportError>?](repeating: nil, count: requests.count)
        var idle = Array(pool[..<width].reversed())
        var active: [UnsafeMutableRawPointer: (index: Int, transfer: CurlTransfer)] = [:]
        var next = 0

        while next < requests.count || !active.isEmpty {
            while next < requests.count, let transfer = idle.popLast() {
                transfer.prepare(requests[next], caBundle: caBundle, defaultMaxBodyBytes: defaultMaxBodyBytes)
                let added = curl_multi_add_handle(multi, transfer.handle)
                if added == CURLM_OK {
                    active[transfer.handle] = (next, transfer)
                } else {
                    results[next] = transfer.finish(CURLE_OUT_OF_MEMORY, request: requests[next])
                    idle.append(transfer)
                }
                next += 1
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var finished = false
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let (index, transfer) = active.removeValue(forKey: easy) else { continue }
                let code = ccurl_msg_result(message)   // read before the message is invalidated
                curl_multi_remove_handle(multi, easy)
                results[index] = transfer.finish(code, request: requests[index])
                idle.append(transfer)
                finished = true
            }
            // Waits for socket activity or a libcurl timer; none when a slot just came free.
            if !finished && running > 0 {
                curl_multi_poll(multi, nil, 0, 1_000, nil)
            }
        }
        return results.map { $0! }
    }
}
