/// The API's routes and how a request's method and path select one.
///
/// Paths are checked before they are matched: control characters and dot segments (`.`/`..`,
/// also as `%2e`, in case a proxy in front did not decode) are refused with 400, so that no
/// later step, and no future route, ever sees an ambiguous path.
public enum Route: Equatable, Sendable {
    /// `GET /images`
    case listImages
    /// `GET /images/{name}`: `name` is the rest of the path, `/` included.
    case image(name: String)
    /// `GET /me`: the caller's record.
    case me
    /// `PUT /me`: sign-in; creates or refreshes the caller's record from verified data.
    case signIn
    /// `POST /uploads`: a presigned PUT URL for one new image.
    case uploads

    /// The methods the route's path answers (the `allow` header of a 405).
    public var allowedMethods: [String] {
        switch self {
        case .listImages, .image: ["GET"]
        case .me, .signIn: ["GET", "PUT"]
        case .uploads: ["POST"]
        }
    }
}
