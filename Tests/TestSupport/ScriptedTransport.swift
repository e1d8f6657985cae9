import HTTPClient

/// The one test double for HTTP: answers each request with the next scripted reply and records
/// what was sent, so a test can check exact URLs, headers and bodies (Runtime API calls, S3
/// requests, retry schedules) without a server. An exhausted script answers like a server that
/// went away (curl error 7).
public final class ScriptedTransport: HTTPTransport {
    public enum Reply {
        case response(HTTPResponse)
        case failure(HTTPTransportError)
    }

    private var replies: [Reply]
    public private(set) var requests: [HTTPRequest] = []
    /// When set, a started request stays in flight (its answer, the next reply, kept) until it is
    /// finished, as on `CurlTransport`; by default it is answered at once.
    public var keepsStartedInFlight = false
    /// What happened, in order: `sent`, `started` and `finished`, each with method and URL.
    public private(set) var events: [String] = []
    private var inFlight: [Int: Result<HTTPResponse, HTTPTransportError>] = [:]
    /// Follow-ups not yet sent, by the started request they wait for (`start(_:then:)`).
    private var followUps: [Int: (number: Int, next: (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)] = [:]

    public init(_ replies: [Reply]) { self.replies = replies }

    /// Bodiless-or-`body` answers with these statuses, each carrying `ETag: "e"`.
    public convenience init(statuses: [Int], body: String = "") {
        self.init(statuses.map { .response(HTTPResponse(status: $0, headers: [HTTPHeader(name: "ETag", value: "\"e\"")],
                                                       body: Array(body.utf8))) })
    }

    public convenience init(responses: [HTTPResponse]) {
        self.init(responses.map { .response($0) })
    }

    public func start(_ request: HTTPRequest) -> StartedRequest {
        let answer: Result<HTTPResponse, HTTPTransportError>
        do throws(HTTPTransportError) { answer = .success(try send(request)) } catch { answer = .failure(error) }
        guard keepsStartedInFlight else { return .answered(answer) }
        events[events.count - 1] = "started \(request.method) \(request.url)"
        inFlight[requests.count] = answer
        return .inFlight(requests.count)
    }

    public func finish(_ started: StartedRequest) -> Result<HTTPResponse, HTTPTransportError> {
        switch started {
        case .answered(let result):
            return result
        case .inFlight(let number) where number < 0:          // a follow-up: sent once its first lands
            if let first = followUps.first(where: { $0.value.number == number })?.key { land(first) }
            return inFlight.removeValue(forKey: number)!
        case .inFlight(let number):
            land(number)
            let request = requests[number - 1]
            events.append("finished \(request.method) \(request.url)")
            return inFlight.removeValue(forKey: number)!
        }
    }

    /// With `keepsStartedInFlight`, the follow-up is made and sent only when the first request
    /// lands, which here is when it (or the follow-up) is finished: `CurlTransport` sends it
    /// when the answer comes, which is never before the caller's next call of the transport.
    public func start(_ request: HTTPRequest, then next: @escaping (Result<HTTPResponse, HTTPTransportError>) -> HTTPRequest?)
        -> (first: StartedRequest, next: StartedRequest) {
        let first = start(request)
        guard keepsStartedInFlight, case .inFlight(let number) = first else {
            let answer = finish(first)
            return (.answered(answer), startFollowUp(of: request, answered: answer, next))
        }
        followUps[number] = (-number, next)
        return (first, .inFlight(-number))
    }

    /// Sends the follow-up of started request `number`, if it has one and it is not sent yet.
    private func land(_ number: Int) {
        guard let (follow, next) = followUps.removeValue(forKey: number) else { return }
        let request = requests[number - 1]
        guard let followUp = next(inFlight[number]!) else {
            inFlight[follow] = .failure(.notSent(after: request))
            return
        }
        do throws(HTTPTransportError) { inFlight[follow] = .success(try send(followUp)) } catch { inFlight[follow] = .failure(error) }
        events[events.count - 1] = "followed \(followUp.method) \(followUp.url)"
    }

    public func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        requests.append(request)
        events.append("sent \(request.method) \(request.url)")
        guard !replies.isEmpty else {
            throw HTTPTransportError(code: 7, message: "script exhausted", method: request.method, url: request.url)
        }
        switch replies.removeFirst() {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    public static func status(_ status: Int, _ body: String = "", headers: [HTTPHeader] = []) -> Reply {
        .response(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }
}

extension HTTPRequest {
    /// The first value of a header, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An S3 error document, as S3 sends it.
public func s3ErrorXML(_ code: String, _ message: String = "msg") -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>R1</RequestId></Error>"
}
