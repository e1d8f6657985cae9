import Basics
import HTTPClient

extension ScriptedTransport {
    /// A Runtime API `/next` answer carrying `event` with Lambda's headers.
    public static func invocation(_ event: String, id: String, deadline: Deadline? = Deadline(epochMilliseconds: 1_800_000_000_000),
                                  arn: String? = "arn:aws:lambda:us-east-1:123456789012:function:f",
                                  trace: String? = nil) -> Reply {
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        headers.append(HTTPHeader(name: "Lambda-Runtime-Aws-Request-Id", value: id))
        if let deadline { headers.append(HTTPHeader(name: "Lambda-Runtime-Deadline-Ms", value: String(deadline.epochMilliseconds))) }
        if let arn { headers.append(HTTPHeader(name: "Lambda-Runtime-Invoked-Function-Arn", value: arn)) }
        if let trace { headers.append(HTTPHeader(name: "Lambda-Runtime-Trace-Id", value: trace)) }
        return .response(HTTPResponse(status: 200, headers: headers, body: Array(event.utf8)))
    }

    /// The Runtime API's 202 to a response or error post.
    public static var accepted: Reply { Reply.response(HTTPResponse(status: 202, body: Array(#"{"status":"OK"}"#.utf8))) }
}
