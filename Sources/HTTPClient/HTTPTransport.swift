/// Something that answers HTTP requests: libcurl in production, recorded fixtures in tests.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse

    /// Sends every request, at most `maxConcurrent` at a time, and returns one result per request
    /// in the order given. One request's failure does not stop the others.
    func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>]

    /// Sends `request` and returns before its answer: the answer is collected by `finish`, and
    /// until then the request stays in flight while the caller sends others (`send`, `sendAll`).
    /// For a request the server takes long to answer (a server-side copy) while the caller has
    /// other round trips to make. Every started request must be finished.
    func start(_ request: HTTPRequest) -> StartedRequest

    /// The answer to a request `start` sent, waiting for it if it has not come yet.
    func finish(_ started: StartedRequest) -> Result<HTTPResponse, HTTPTransportError>

    /// `start`, and the moment `request`'s answer lands, whatever the caller sends meanwhile, the
    /// request `next` makes of that answer sent too (none: `next` returns `nil`, and its
    /// `finish` is `notSent`). For a follow-up that needs the first answer (an upload's id
    /// before a part goes into it) without waiting for the caller's round trips in between.
    /// `next` runs inside the transport's loop: it must not call the transport. Both must be
    /// finished.
    func start(_ request: HTTPRequest, then next: @escaping (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)
        -> (first: StartedRequest, next: StartedRequest)
}

extension HTTPTransport {
    /// One at a time, in order: right for scripted and recording transports, whose answers must
    /// come in a known order.
    public func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
        requests.map { request in
            do throws(HTTPTransportError) { return .success(try send(request)) } catch { return .failure(error) }
        }
    }

    /// Answered at once (`send`): right for scripted and recording transports, which answer in
    /// the order asked.
    public func start(_ request: HTTPRequest) -> StartedRequest {
        do throws(HTTPTransportError) { return .answered(.success(try send(request))) } catch { return .answered(.failure(error)) }
    }

    public func finish(_ started: StartedRequest) -> Result<HTTPResponse, HTTPTransportError> {
        guard case .answered(let result) = started else { preconditionFailure("a request in flight on another transport") }
        return result
    }

    /// Both answered at once, in order (`send`).
    public func start(_ request: HTTPRequest, then next: @escaping (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)
        -> (first: StartedRequest, next: StartedRequest) {
        let first = finish(start(request))
        return (.answered(first), startFollowUp(of: request, answered: first, next))
    }

    /// The request `next` makes of `request`'s `answer`, started now; `notSent` when it makes none.
    public func startFollowUp(of request: HTTPRequest, answered answer: Result<HTTPResponse, HTTPTransportError>,
                              _ next: (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?) -> StartedRequest {
        guard let follow = next(answer) else { return .answered(.failure(.notSent(after: request))) }
        return start(follow)
    }
}
