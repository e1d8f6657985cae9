import Basics
import HTTPClient
import SigV4

/// The retry loop every call goes through, single or batched: each round signs and sends every
/// call still pending through `HTTPTransport.sendAll`, keeps the answers, and resends only what
/// failed in a retryable way, after one backoff sleep for the round, within `deadline`. One
/// call's permanent error is that call's result and never stops the others.
extension S3Client {
    /// A call whose first attempt `start` sent and left in flight (`nil`: not sent, no time was
    /// left): `finish` collects it.
    public struct StartedCall {
        let call: Call
        let request: StartedRequest?
    }

    /// Signs and sends `call`'s first attempt, and returns before its answer (see
    /// `HTTPTransport.start`): the caller makes other calls meanwhile.
    func start(_ call: Call) -> StartedCall {
        let (timeout, expired) = requestTimeout(before: requestDeadline)
        guard !expired else { return StartedCall(call: call, request: nil) }
        return StartedCall(call: call, request: transport.start(signedRequest(call, timeoutMs: timeout)))
    }

    /// A call `start(_:then:)` sends when the first call's answer lands: `call` is known once it
    /// has been sent (`nil`: it was not; `request`: `nil` when no time was left to start either).
    public final class FollowUp {
        var call: Call?
        var request: StartedRequest?
    }

    /// `start`, and the call `next` makes of the first attempt's answer, when S3 accepted it,
    /// sent the moment that answer lands, signed then (`HTTPTransport.start(_:then:)`): a
    /// follow-up that needs the answer (an upload's id) sent without waiting for the caller's
    /// other round trips. Finish the first as any started call; the follow-up, once its `call`
    /// is known, as `StartedCall(call:request:)`, and one whose `call` stays `nil` through the
    /// transport all the same (its answer says it was not sent).
    func start(_ call: Call, then next: @escaping (HTTPResponse) -> Call?) -> (first: StartedCall, next: FollowUp) {
        let followUp = FollowUp()
        let (timeout, expired) = requestTimeout(before: requestDeadline)
        guard !expired else { return (StartedCall(call: call, request: nil), followUp) }
        let (first, second) = transport.start(signedRequest(call, timeoutMs: timeout)) { [weak self, followUp] answer in
            guard let self, case .success(let response) = answer, call.accept(response.status),
                  let follow = next(response) else { return nil }
            let (timeout, expired) = self.requestTimeout(before: self.requestDeadline)
            guard !expired else { return nil }
            followUp.call = follow
            return self.signedRequest(follow, timeoutMs: timeout)
        }
        followUp.request = second
        return (StartedCall(call: call, request: first), followUp)
    }

    /// The answer to a started call, waited for if need be, and retried like any other unless
    /// `retrying` is false.
    func finish(_ started: StartedCall, retrying: Bool = true) -> Result<HTTPResponse, S3Error> {
        let attempts = retrying ? retryPolicy.maxAttempts : 1
        guard let request = started.request else { return performAll([started.call], maxAttempts: attempts)[0] }   // its deadline, as an error
        return performAll([started.call], firstAnswers: [transport.finish(request)], maxAttempts: attempts)[0]
    }

    /// One result per call, in the order given. `firstAnswers`: the first attempt's answers,
    /// when the calls were sent already (`start`); `maxAttempts`: the retry policy's unless given.
    func performAll(_ calls: [Call], firstAnswers: [Result<HTTPResponse, HTTPTransportError>]? = nil, maxAttempts: Int? = nil)
        -> [Result<HTTPResponse, S3Error>] {
        let maxAttempts = maxAttempts ?? retryPolicy.maxAttempts
        var results = [Result<HTTPResponse, S3Error>?](repeating: nil, count: calls.count)
        let signer = signer
        let locations = calls.map { addressing.location(bucket: $0.bucket, key: $0.key) }
        let payloadHashes = zip(calls, locations).map { payloadHash(of: $0, at: $1) }
        var pending = Array(calls.indices)
        var attempt = 0
        /// Requests sent per call: its attempts, and the resends libcurl made unasked
        /// (`HTTPResponse.resent`), which a conditional write's caller must count as retries.
        var sends = [Int](repeating: 0, count: calls.count)
        let deadline = requestDeadline

        while !pending.isEmpty {
            attempt += 1
            let (timeout, expired) = requestTimeout(before: deadline)
            guard !expired || (attempt == 1 && firstAnswers != nil) else {
                for i in pending {
                    results[i] = .failure(S3Error(operation: calls[i].operation, bucket: calls[i].bucket, key: calls[i].key,
                                                  kind: .deadlineExceeded, attempts: sends[i]))
                }
                break
            }
            let answers: [Result<HTTPResponse, HTTPTransportError>]
            if attempt == 1, let firstAnswers {
                answers = firstAnswers
            } else {
                answers = transport.sendAll(pending.map { i in
                    signedRequest(calls[i], location: locations[i], payloadHash: payloadHashes[i], signer: signer, timeoutMs: timeout)
                }, maxConcurrent: maxConcurrentRequests)
            }

            var retry: [(index: Int, error: S3Error)] = []
            for (i, answer) in zip(pending, answers) {
                let response = try? answer.get()
                sends[i] += response?.resent == true ? 2 : 1
                hooks.requestDone(S3RequestRecord(operation: calls[i].operation, status: response?.status,
                                                  durationMs: response?.durationMs, attempt: sends[i]))
                let error: S3Error
                switch answer {
                case .success(let response) where calls[i].accept(response.status):
                    guard calls[i].errorInBody, let embedded = S3Error(calls[i], errorInBody: response, attempts: sends[i]) else {
                        results[i] = .success(response)
                        continue
                    }
                    error = embedded
                case .success(let response):
                    error = S3Error(calls[i], response: response, attempts: sends[i])
                case .failure(let transportError):
                    error = S3Error(operation: calls[i].operation, bucket: calls[i].bucket, key: calls[i].key,
                                    kind: .transport(transportError), attempts: sends[i])
                }
                if error.isRetryable && attempt < maxAttempts {
                    retry.append((i, error))
                } else {
                    results[i] = .failure(error)
                }
            }
            guard !retry.isEmpty else { break }
            let delay = hooks.random(retryPolicy.backoffCeiling(afterAttempt: attempt))
            if let deadline, !deadline.allows(waitMilliseconds: delay, now: hooks.now()) {
                for (i, error) in retry { results[i] = .failure(error) }
                break
            }
            hooks.sleep(delay)
            pending = retry.map(\.index)
        }
        return results.map { $0! }
    }

    /// The instant every request must end by: the invocation's deadline less the retry margin.
    private var requestDeadline: Deadline? { deadline?.earlier(byMilliseconds: retryPolicy.deadlineMarginMs) }

    /// The timeout of a request sent now: `requestTimeoutMs`, shortened to what `deadline` leaves;
    /// `expired` when it leaves nothing.
    private func requestTimeout(before deadline: Deadline?) -> (ms: Int?, expired: Bool) {
        guard let deadline else { return (requestTimeoutMs, false) }
        let remaining = deadline.remainingMilliseconds(now: hooks.now())
        return (min(requestTimeoutMs ?? Int.max, Int(max(remaining, 1))), remaining <= 0)
    }

    private var signer: SigV4Signer {
        SigV4Signer(credentials: configuration.credentials, region: configuration.region, clock: hooks.signingClock)
    }

    /// `x-amz-content-sha256` for `call`: over HTTPS an object's bytes go as `UNSIGNED-PAYLOAD`,
    /// as AWS SDKs send them. TLS already guards every byte on the way, and the SHA-256 of the
    /// bytes was a tenth of the CPU of a write that re-uploads a 176 MB catalog at 128 MB.
    /// Everything else (and everything over plain HTTP, where nothing else guards the body)
    /// signs its body's hash.
    func payloadHash(of call: Call, at location: S3Addressing.Location) -> String {
        call.carriesObjectBytes && location.origin.hasPrefix("https://") ? SigV4Signer.unsignedPayload : Digest.payloadHash(call.body)
    }

    /// `call`'s one attempt, signed now, its location and payload hash worked out here (a batch
    /// works them out once for all its attempts: `performAll`).
    private func signedRequest(_ call: Call, timeoutMs: Int?) -> HTTPRequest {
        let location = addressing.location(bucket: call.bucket, key: call.key)
        return signedRequest(call, location: location, payloadHash: payloadHash(of: call, at: location), signer: signer,
                             timeoutMs: timeoutMs)
    }

    /// The request for one attempt, signed now: a retry is signed again with the current time.
    private func signedRequest(_ call: Call, location: S3Addressing.Location, payloadHash: String,
                               signer: SigV4Signer, timeoutMs: Int?) -> HTTPRequest {
        let url = location.url + (call.query.isEmpty ? "" : "?" + SigV4Canonical.query(call.query))
        let headers = [HTTPHeader(name: "Host", value: location.host)] + call.headers
        let signature = signer.signHeaders(SigV4Request(
            method: call.method, encodedPath: location.encodedPath, query: call.query,
            headers: headers.map { ($0.name, $0.value) }, payloadHash: payloadHash))
        var sent = headers + signature.headers.map { HTTPHeader(name: $0.name, value: $0.value) }
        // After signing, so never among SignedHeaders: AWS SDKs leave it unsigned too, and
        // anything on the way may add or rewrite it.
        if let traceHeader { sent.append(HTTPHeader(name: "X-Amzn-Trace-Id", value: traceHeader)) }
        return HTTPRequest(method: call.method, url: url, headers: sent, body: call.body, timeoutMs: timeoutMs,
                           maxBodyBytes: call.maxBodyBytes)
    }
}
