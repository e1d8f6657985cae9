/// A request `HTTPTransport.start` sent: answered already, or still in flight.
public enum StartedRequest: Sendable {
    case answered(Result<HTTPResponse, HTTPTransportError>)
    /// In flight on the transport that started it (and only that one can finish it), by its
    /// number there.
    case inFlight(Int)
}
