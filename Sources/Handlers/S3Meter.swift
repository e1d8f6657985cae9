import S3

/// The handler's S3 requests, counted and timed through the S3 client's `requestDone` hook,
/// and taken once per invocation for its metrics (`S3Requests`, `S3Retries`, `S3Latency`).
/// A reference type: the client's hook and the handler share it. One thread, like the client.
public final class S3Meter {
    /// Latencies kept for one invocation: past it, a uniform sample of them (a reconcile of a
    /// big bucket makes hundreds of thousands of requests; the document publishes 100 anyway).
    public static let maxKept = 10_000

    private var requests = 0
    private var retries = 0
    private var latencies: [Double] = []
    private var timed = 0
    private var random: (Int) -> Int

    public init(random: @escaping (Int) -> Int = { Int.random(in: 0..<max(1, $0)) }) { self.random = random }

    /// The hook to install: `S3ClientHooks(requestDone: meter.record)`.
    public func record(_ request: S3RequestRecord) {
        requests += 1
        if request.isRetry { retries += 1 }
        guard let duration = request.durationMs else { return }
        timed += 1
        if latencies.count < Self.maxKept {
            latencies.append(duration)
        } else {
            let slot = random(timed)                      // reservoir sampling: each kept with equal chance
            if slot < Self.maxKept { latencies[slot] = duration }
        }
    }

    /// What was recorded since the last call, and starts again from nothing.
    public func take() -> (requests: Int, retries: Int, latenciesMs: [Double]) {
        defer {
            requests = 0
            retries = 0
            latencies = []
            timed = 0
        }
        return (requests, retries, latencies)
    }
}
