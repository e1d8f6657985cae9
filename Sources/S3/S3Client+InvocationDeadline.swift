/// Time kept back from an invocation's deadline, so that a failure is reported to the Runtime
/// API before Lambda's own timeout cuts the process off mid-request.
public enum InvocationDeadline {
    public static let marginMs: Int64 = 500
}

extension S3Client {
    /// No request (and no retry) may run into the last `InvocationDeadline.marginMs` before
    /// `epochMs`; `nil` lifts the limit.
    public func stopRequests(beforeInvocationDeadline epochMs: Int64?) {
        deadlineMs = epochMs.map { $0 - InvocationDeadline.marginMs }
    }
}
