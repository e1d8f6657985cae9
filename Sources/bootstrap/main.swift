// The Lambda custom runtime entry point (`bootstrap` in the function's zip).
//
// Cold start matters: nothing here does I/O before the first `/next` except building the
// handler, which is the function's init phase (its failure goes to `/init/error`).

import Basics
import Handlers
import HTTPClient
import LambdaRuntime
import Telemetry

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

let environment = Environment.current()

guard let runtimeAPI = environment.get("AWS_LAMBDA_RUNTIME_API") else {
    StandardStream.error.write("""
        bootstrap: AWS_LAMBDA_RUNTIME_API is not set. This is an AWS Lambda custom runtime \
        (provided.al2023): Lambda starts it with AWS_LAMBDA_RUNTIME_API=host:port and \
        _HANDLER=\(HandlerRegistry.knownNames.joined(separator: "|")). To run it locally, serve \
        events with scripts/local_runtime_api.py or the Lambda Runtime Interface Emulator.
        """)
    exit(2)
}

// The Runtime API is plain HTTP on the host: no CA bundle (a bad SSL_CERT_FILE is the handler
// configuration's error, reported through /init/error).
var loop = LambdaLoop(runtimeAPI: runtimeAPI, transport: TransportConfiguration(caBundle: nil).makeTransport())

let handler: any LambdaHandler
var logConfigured = false
do {
    // Logging first, so that a bad handler configuration is logged as configured.
    let telemetry = try HandlerRegistry.telemetry(environment)
    loop.log = telemetry.log
    logConfigured = true
    handler = try HandlerRegistry.make(environment: environment, telemetry: telemetry)
} catch {
    // The logging configuration itself failed (an unknown _HANDLER, a bad METRICS_NAMESPACE):
    // still in Lambda's log format if that one is readable, since Lambda reads a line that is
    // not JSON as INFO and drops it at WARN and above, and the failure's name with it.
    if !logConfigured, let format = environment.get("AWS_LAMBDA_LOG_FORMAT").flatMap(LogFormat.init(name:)), format != .text {
        loop.log = .lines(format, level: .info)
    }
    loop.reportInitError(error)
    exit(1)
}

do {
    try loop.run(handler)
} catch {
    loop.log.fatal("runtime stopping: \(error)")
    exit(1)
}
