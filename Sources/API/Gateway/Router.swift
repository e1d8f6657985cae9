
public enum Router {
    /// Longest path accepted; API Gateway itself allows about 8 KB of request line.
    public static let maxPathBytes = 4096
    /// The route for `method` and `path`, or the rejection: 400 for a path that is not
    /// safe to interpret, 404 for an unknown path, 405 (with `allow`) for a known path asked
    /// with another method.
    public static func resolve(method: String, path: String) throws(APIError) -> Route {
        if let problem = pathProblem(path) {
            throw APIError(400, "invalid_path", problem)
        }
        let route: Route
        if path == "/images" {
            route = .listImages
        } else if path == "/me" {
            route = method == "PUT" ? .signIn : .me
        } else if path == "/uploads" {
            route = .uploads
        } else if path.utf8.starts(with: "/images/".utf8), path.utf8.count > "/images/".utf8.count {
            route = .image(name: String(decoding: path.utf8.dropFirst("/images/".utf8.count), as: UTF8.self))
        } else {
            throw APIError(404, "not_found", "no such route")
        }
        let allowed = route.allowedMethods
        guard allowed.contains(method) else {
            throw APIError(405, "method_not_allowed", "this path only answers \(allowed.joined(separator: ", "))",
                           headers: ["allow": allowed.joined(separator: ", ")])
        }
        return route
    }

    /// Why `path` is refused, or `nil` when it is fine.
    static func pathProblem(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return "the path must start with /" }
        guard bytes.count <= maxPathBytes else { return "the path is too long" }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return "the path contains control characters" }
        for segment in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) where PathSegment.isDot(segment, percentEncoded: true) {
            return "the path contains a . or .. segment"
        }
        return nil
    }
}
