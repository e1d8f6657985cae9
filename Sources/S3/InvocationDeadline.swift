/// Time kept back from an invocation's deadline, so that a failure is reported to the Runtime
/// API before Lambda's own timeout cuts the process off mid-request.
public enum InvocationDeadline {
    public static let marginMs: Int64 = 500
}
