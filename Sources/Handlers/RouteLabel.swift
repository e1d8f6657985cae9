import API

/// The `Route` dimension of the API's `Requests` metric: one of six fixed values, never the
/// path itself (an image's name would make one metric per image).
public enum RouteLabel: String, Sendable, CaseIterable {
    case images, image, me, signin, uploads, other

    /// The label of the route `method` and `path` resolve to; `other` for anything the router
    /// refuses (an unknown path, a wrong method, an unsafe path).
    public init(method: String, path: String) {
        switch try? Router.resolve(method: method, path: path) {
        case .listImages?: self = .images
        case .image?: self = .image
        case .me?: self = .me
        case .signIn?: self = .signin
        case .uploads?: self = .uploads
        case nil: self = .other
        }
    }
}
