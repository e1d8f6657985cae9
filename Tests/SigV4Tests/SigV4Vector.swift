/// Loads one published SigV4 test vector (`Vectors/<case>/`, copied from AWS's suite; see
/// Vectors/README.md): its context.json, the request to sign, and the expected header-* and
/// query-* outputs.
import Basics
import Foundation
@testable import SigV4

struct SigV4Vector {
    let name: String
    let directory: URL
    let context: [String: Any]
    let requestLine: String
    let method: String
    let rawPath: String
    let rawQuery: String?
    /// Header lines as written in request.txt (continuation lines folded into their header).
    let headerLines: [String]
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    /// The vectors folder, found from this source file: it sits beside it in the repository.
    static func vectorsDirectory(file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Vectors")
    }

    init(directory: URL) throws {
        self.directory = directory
        name = directory.lastPathComponent
        let contextData = try Data(contentsOf: directory.appendingPathComponent("context.json"))
        context = try JSONSerialization.jsonObject(with: contextData) as! [String: Any]

        let text = try String(decoding: Data(contentsOf: directory.appendingPathComponent("request.txt")), as: UTF8.self)
        let head: Substring
        if let split = text.range(of: "\n\n") {
            head = text[..<split.lowerBound]
            body = Array(text[split.upperBound...].utf8)
        } else {
            head = text.hasSuffix("\n") ? text.dropLast() : text[...]
            body = []
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        requestLine = lines.removeFirst()
        let firstSpace = requestLine.firstIndex(of: " ")!
        let versionStart = requestLine.range(of: " HTTP/", options: .backwards)!.lowerBound
        method = String(requestLine[..<firstSpace])
        let uri = String(requestLine[requestLine.index(after: firstSpace)..<versionStart])
        if let q = uri.firstIndex(of: "?") {
            rawPath = String(uri[..<q])
            rawQuery = String(uri[uri.index(after: q)...])
        } else {
            rawPath = uri
            rawQuery = nil
        }
        headerLines = lines
        var parsed: [(name: String, value: String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t" {
                parsed[parsed.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                parsed.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
            }
        }
        headers = parsed
    }

    func expected(_ file: String) throws -> String {
        try String(decoding: Data(contentsOf: directory.appendingPathComponent("\(file).txt")), as: UTF8.self)
    }

    var credentials: AWSCredentials {
        let c = context["credentials"] as! [String: Any]
        return AWSCredentials(accessKeyId: c["access_key_id"] as! String,
                             secretAccessKey: c["secret_access_key"] as! String,
                             sessionToken: c["token"] as? String)
    }

    var epochSeconds: Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64(formatter.date(from: context["timestamp"] as! String)!.timeIntervalSince1970)
    }

    var options: SigV4Options {
        SigV4Options(normalizePath: context["normalize"] as! Bool,
                     addContentSHA256Header: context["sign_body"] as! Bool,
                     signSessionToken: !((context["omit_session_token"] as? Bool) ?? false))
    }

    var expiresInSeconds: Int { context["expiration_in_seconds"] as! Int }

    var signer: SigV4Signer {
        let time = epochSeconds
        return SigV4Signer(credentials: credentials, region: context["region"] as! String,
                           service: context["service"] as! String, options: options, clock: { time })
    }

    /// The query parameters, percent-decoded (the signer encodes them itself).
    var queryItems: [(name: String, value: String)] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        return rawQuery.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: PercentDecoding.decode(parts[0], plusIsSpace: false)!,
                    value: parts.count > 1 ? PercentDecoding.decode(parts[1], plusIsSpace: false)! : "")
        }
    }

    var request: SigV4Request {
        SigV4Request(method: method, encodedPath: URIEncoding.encodePath(rawPath), query: queryItems,
                     headers: headers, payloadHash: Digest.payloadHash(body))
    }
}
