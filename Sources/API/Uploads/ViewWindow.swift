/// The signing time of viewing URLs: the start of the current window of half their lifetime.
///
/// Signing every listing afresh would change every URL on every request, so a client could
/// neither get a `304` nor keep its browser cache. Within one window the URLs (and so the body)
/// are the same, and the window is part of the ETag's variant: a client's `If-None-Match` stops
/// matching when the window moves on, so a URL it holds is always valid for at least half of
/// `VIEW_URL_EXPIRES_SECONDS` after it got it.
public struct ViewWindow: Equatable, Sendable {
    /// Counts windows since the epoch; goes into the ETag variant.
    public var index: Int64
    public var signedAt: Int64
    public var expiresInSeconds: Int

    public init(now: Int64, expiresInSeconds: Int) {
        let length = Int64(max(1, expiresInSeconds / 2))
        index = now / length
        signedAt = index * length
        self.expiresInSeconds = expiresInSeconds
    }
}
