extension S3Client {
    /// No request (and no retry) may run into the last `InvocationDeadline.marginMs` before
    /// `epochMs`; `nil` lifts the limit.
    public func stopRequests(beforeInvocationDeadline epochMs: Int64?) {
        deadlineMs = epochMs.map { $0 - InvocationDeadline.marginMs }
    }
}
