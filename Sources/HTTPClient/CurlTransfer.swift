import CCurl

/// One libcurl easy handle and the state of the request it is carrying: the body going out (read
/// by callback, so no copy and libcurl can rewind it to resend on a fresh connection), the answer
/// coming in, and the body limit. `CurlTransport` keeps a few and reuses them: the handle
/// outlives each request, the kept-alive connections belong to the transport's multi handle.
final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    private var request: [UInt8] = []
    private var sent = 0
    /// Whether libcurl rewound a body it had begun to send (`seek`): it may have gone out twice.
    private var rewound = false
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private(set) var body: [UInt8] = []
    private(set) var headers: [HTTPHeader] = []
    private var limit = Int.max
    private var overLimit = false

    init() {
        guard let h = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        handle = h
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_easy_cleanup(handle)
    }

    /// Sets every option for `request` from a clean slate (`curl_easy_reset`).
    func prepare(_ request: HTTPRequest, caBundle: String?, defaultMaxBodyBytes: Int) {
        curl_easy_reset(handle)
        self.request = request.body
        sent = 0
        rewound = false
        body = []
        headers = []
        limit = max(0, request.maxBodyBytes ?? defaultMaxBodyBytes)
        overLimit = false
        curl_slist_free_all(headerList)
        headerList = nil
        // An empty "Expect:" stops libcurl from waiting for 100-continue on larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        ccurl_setopt_str(handle, CURLOPT_URL, request.url)
        // The path goes out exactly as given: the caller signed it, and libcurl would otherwise
        // squash `/./` and `/../` (legal in S3 keys) into a path whose signature no longer holds.
        ccurl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        ccurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        ccurl_setopt_write(handle, transferBody)
        ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, me)
        ccurl_setopt_header(handle, transferHeader)
        ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, me)
        // Refuses an announced Content-Length over the limit before any byte is read; a body of
        // unannounced length is stopped by `transferBody`. Not for a HEAD: its Content-Length is
        // the object's size, and no body follows (libcurl would refuse a 176 MB object's HEAD).
        if request.method == "HEAD" {
            limit = 0
        } else {
            ccurl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit))
        }
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5_000)
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMs ?? 0)
        if let caBundle { ccurl_setopt_str(handle, CURLOPT_CAINFO, caBundle) }
        switch request.method {
        case "GET" where request.body.isEmpty:
            ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD":
            ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default:
            ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
            if !request.body.isEmpty || request.method != "GET" && request.method != "DELETE" {
                ccurl_setopt_long(handle, CURLOPT_POST, 1)
                ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                ccurl_setopt_read(handle, transferRead)
                ccurl_setopt_ptr(handle, CURLOPT_READDATA, me)
                ccurl_setopt_seek(handle, transferSeek)
                ccurl_setopt_ptr(handle, CURLOPT_SEEKDATA, me)
            }
        }
    }

    /// The outcome once libcurl reports the transfer done with `code`; frees the request's buffers.
    func finish(_ code: CURLcode, request: HTTPRequest) -> Result<HTTPResponse, HTTPTransportError> {
        defer {
            self.request = []
            body = []
            headers = []
        }
        if overLimit || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(HTTPTransportError(code: HTTPTransportError.bodyTooLargeCode,
                                               message: "response body is larger than the \(limit)-byte limit",
                                               method: request.method, url: request.url))
        }
        guard code == CURLE_OK else {
            return .failure(HTTPTransportError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)),
                                               method: request.method, url: request.url))
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var micros: curl_off_t = 0
        let timed = ccurl_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &micros) == CURLE_OK
        return .success(HTTPResponse(status: status, headers: headers, body: body, durationMs: timed ? Double(micros) / 1000 : nil,
                                     resent: rewound))
    }

    fileprivate func receive(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= limit - body.count else {
            overLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Headers restart on each status line (a 100 Continue precedes the real one).
    fileprivate func receiveHeader(_ raw: UnsafeBufferPointer<UInt8>) {
        var line = raw[...]
        while let last = line.last, last == 0x0D || last == 0x0A || last == 0x20 || last == 0x09 { line.removeLast() }
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll()
        } else if let colon = line.firstIndex(of: 0x3A) {
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
            let header = HTTPHeader(name: String(decoding: line[..<colon], as: UTF8.self).lowercased(),
                                    value: String(decoding: value, as: UTF8.self))
            // One allocation for a large body (an 8 MB catalog) instead of a doubling series.
            if header.name == "content-length", let length = Int(header.value), length <= min(limit, 64 << 20) {
                body.reserveCapacity(length)
            }
            headers.append(header)
        }
    }

    fileprivate func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, request.count - sent)
        request.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + sent, byteCount: n)
        }
        sent += n
        return n
    }

    /// libcurl rewinds when it resends the body, e.g. after a kept-alive connection turned out dead.
    /// A rewind before any byte was read is not a resend: libcurl may keep a pending rewind across
    /// `curl_easy_reset` and seek at the start of the next request.
    fileprivate func seek(to offset: Int) -> Bool {
        guard (0...request.count).contains(offset) else { return false }
        rewound = rewound || sent > 0
        sent = offset
        return true
    }
}

private func transfer(_ user: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
}

private let transferBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    let n = size * count
    let accepted = data!.withMemoryRebound(to: UInt8.self, capacity: n) {
        transfer(user).receive(UnsafeBufferPointer(start: $0, count: n))
    }
    return accepted ? n : 0   // anything but n aborts the transfer (CURLE_WRITE_ERROR)
}

private let transferHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    let n = size * count
    data!.withMemoryRebound(to: UInt8.self, capacity: n) {
        transfer(user).receiveHeader(UnsafeBufferPointer(start: $0, count: n))
    }
    return n
}

private let transferRead: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    transfer(user).read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

private let transferSeek: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = {
    user, offset, origin in
    guard origin == 0 /* SEEK_SET */, transfer(user).seek(to: Int(offset)) else { return 1 }  // CURL_SEEKFUNC_FAIL
    return 0   // CURL_SEEKFUNC_OK
}
