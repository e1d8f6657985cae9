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
/// multi never holds more connections than the transport has easy handles. A request `start`ed
/// stays on the multi, on an easy handle of its own, while later batches run beside it; its
/// answer is kept until `finish` asks for it, and its follow-up, if any, is sent on that handle
/// the moment it lands.
///
/// Not thread-safe: use one per thread. The Lambda loop is single-threaded by design.
public final class CurlTransport: HTTPTransport {
    private let multi: UnsafeMutableRawPointer
    private var pool: [CurlTransfer] = []
    /// Started requests in flight, by easy handle: their number, transfer and request.
    private var inFlight: [UnsafeMutableRawPointer: (number: Int, transfer: CurlTransfer, request: HTTPRequest)] = [:]
    /// Answers to started requests that came before `finish` asked for them.
    private var landed: [Int: Result<HTTPResponse, HTTPTransportError>] = [:]
    /// Follow-ups (`start(_:then:)`) by the number of the started request they wait for: their
    /// own number, and what makes them of its answer.
    private var followUps: [Int: (number: Int, next: (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)] = [:]
    /// The number of the last request `start` sent.
    private var lastNumber = 0
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
        for handle in inFlight.keys { curl_multi_remove_handle(multi, handle) }
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

    public func start(_ request: HTTPRequest) -> StartedRequest {
        guard let transfer = free(1).first else {
            // Every handle carries a started request: this one is answered now instead.
            return .answered(run([request], maxConcurrent: 1)[0])
        }
        lastNumber += 1
        return send(request, as: lastNumber, on: transfer)
    }

    public func start(_ request: HTTPRequest, then next: @escaping (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)
        -> (first: StartedRequest, next: StartedRequest) {
        let first = start(request)
        guard case .inFlight(let number) = first else {
            // Answered now (no handle was free): so is its follow-up.
            return (first, startFollowUp(of: request, answered: finish(first), next))
        }
        lastNumber += 1
        followUps[number] = (lastNumber, next)
        return (first, .inFlight(lastNumber))
    }

    /// `request` sent on `transfer` as started request `number`; answered at once if it cannot be.
    private func send(_ request: HTTPRequest, as number: Int, on transfer: CurlTransfer) -> StartedRequest {
        transfer.prepare(request, caBundle: caBundle, defaultMaxBodyBytes: defaultMaxBodyBytes)
        guard curl_multi_add_handle(multi, transfer.handle) == CURLM_OK else {
            return .answered(transfer.finish(CURLE_OUT_OF_MEMORY, request: request))
        }
        inFlight[transfer.handle] = (number, transfer, request)
        var running: Int32 = 0
        curl_multi_perform(multi, &running)                  // on a kept-alive connection, it is sent now
        return .inFlight(number)
    }

    /// Keeps started request `number`'s answer, and sends its follow-up, if it has one, on the
    /// handle it freed.
    private func land(_ number: Int, _ answer: Result<HTTPResponse, HTTPTransportError>, request: HTTPRequest, freeing transfer: CurlTransfer) {
        landed[number] = answer
        guard let (follow, next) = followUps.removeValue(forKey: number) else { return }
        guard let followUp = next(answer) else {
            landed[follow] = .failure(.notSent(after: request))
            return
        }
        if case .answered(let result) = send(followUp, as: follow, on: transfer) { land(follow, result, request: followUp, freeing: transfer) }
    }

    public func finish(_ started: StartedRequest) -> Result<HTTPResponse, HTTPTransportError> {
        switch started {
        case .answered(let result):
            return result
        case .inFlight(let number):
            // Finished already, or never started here: an error, not a wait that never ends.
            guard landed[number] != nil || inFlight.values.contains(where: { $0.number == number })
                    || followUps.values.contains(where: { $0.number == number }) else {
                return .failure(HTTPTransportError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                                   message: "request \(number) is not in flight on this transport", method: "", url: ""))
            }
            if landed[number] == nil { _ = run([], maxConcurrent: 1, until: number) }
            return landed.removeValue(forKey: number)!
        }
    }

    /// Up to `width` easy handles no started request holds, the pool grown for them (it never
    /// shrinks, nor passes `maxPoolSize`), the multi's connections capped at the pool's size:
    /// however many requests a batch holds, the connections stay few.
    private func free(_ width: Int) -> [CurlTransfer] {
        let wanted = min(width + inFlight.count, Self.maxPoolSize)
        if pool.count < wanted {
            while pool.count < wanted { pool.append(CurlTransfer()) }
            ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, pool.count)
            ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, pool.count)
        }
        return Array(pool.lazy.filter { self.inFlight[$0.handle] == nil }.prefix(width))
    }

    /// Runs `requests` to their answers, and, with `until`, on until that started request's
    /// answer has landed too. Started requests that answer meanwhile land in `landed`.
    private func run(_ requests: [HTTPRequest], maxConcurrent: Int, until number: Int? = nil) -> [Result<HTTPResponse, HTTPTransportError>] {
        guard !requests.isEmpty || number != nil else { return [] }
        let width = min(max(1, maxConcurrent), max(1, requests.count), Self.maxPoolSize)
        var results = [Result<HTTPResponse, HTTPTransportError>?](repeating: nil, count: requests.count)
        var idle = Array(free(width).reversed())
        while idle.isEmpty && !requests.isEmpty, let first = inFlight.values.map(\.number).min() {
            // Every handle carries a started request: the first to answer frees one (unless its
            // follow-up takes the handle over).
            _ = run([], maxConcurrent: 1, until: first)
            idle = Array(free(width).reversed())
        }
        var active: [UnsafeMutableRawPointer: (index: Int, transfer: CurlTransfer)] = [:]
        var next = 0

        while next < requests.count || !active.isEmpty || number.map({ landed[$0] == nil }) == true {
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
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = ccurl_msg_result(message)   // read before the message is invalidated
                if let (index, transfer) = active.removeValue(forKey: easy) {
                    curl_multi_remove_handle(multi, easy)
                    results[index] = transfer.finish(code, request: requests[index])
                    idle.append(transfer)
                } else if let (number, transfer, request) = inFlight.removeValue(forKey: easy) {
                    curl_multi_remove_handle(multi, easy)
                    land(number, transfer.finish(code, request: request), request: request, freeing: transfer)
                } else {
                    continue
                }
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
