/// Something that answers HTTP requests: libcurl in production, recorded fixtures in tests.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse

    /// Sends every request, at most `maxConcurrent` at a time, and returns one result per request
    /// in the order given. One request's failure does not stop the others.
    func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>]
}

extension HTTPTransport {
    /// One at a time, in order: right for scripted and recording transports, whose answers must
    /// come in a known order.
    public func sendAll(_ requests: [HTTPRequest], maxConcurrent: Int) -> [Result<HTTPResponse, HTTPTransportError>] {
        requests.map { request in
            do throws(HTTPTransportError) { return .success(try send(request)) } catch { return .failure(error) }
        }
    }
}
