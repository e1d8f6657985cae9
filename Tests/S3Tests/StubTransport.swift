/// A transport that answers from a script and keeps every request, for client behaviour that
/// needs no recorded server (retry schedules, deadlines, headers sent).
import HTTPClient

final class StubTransport: HTTPTransport {
    enum Answer {
        case response(HTTPResponse)
        case failure(HTTPTransportError)
    }

    private var answers: [Answer]
    private(set) var requests: [HTTPRequest] = []

    init(_ answers: [Answer]) { self.answers = answers }

    convenience init(statuses: [Int], body: String = "") {
        self.init(statuses.map { .response(HTTPResponse(status: $0, headers: [HTTPHeader(name: "ETag", value: "\"e\"")],
                                                       body: Array(body.utf8))) })
    }

    func send(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        requests.append(request)
        guard !answers.isEmpty else {
            throw HTTPTransportError(code: 7, message: "stub has no answer left", method: request.method, url: request.url)
        }
        switch answers.removeFirst() {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }
}

func errorXML(_ code: String, _ message: String = "msg") -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>R1</RequestId></Error>"
}
