import Foundation
import HTTPClient
import XCTest

/// Reads the JSON fixtures that `s3-record` wrote (Tests/S3Tests/Fixtures/NN-name.json): one
/// recorded HTTP exchange each, request exactly as the client sent it, response as the server gave it.
/// The identity the fixtures were recorded with (a throwaway key for a local server, see
/// Fixtures/README.md). Replaying needs the secret to reproduce the recorded signatures.
enum RecordedIdentity {
    static let accessKeyId = "imagecat-fixtures"
    static let secretAccessKey = "imagecat-fixtures-secret"
    static let wrongSecretAccessKey = "imagecat-fixtures-secret-wrong"
    static let region = "us-east-1"
    static let bucket = "imagecat-fixtures"
}

struct Fixture {
    let name: String
    let description: String
    let synthetic: Bool
    let method: String
    let url: String
    let requestHeaders: [(name: String, value: String)]
    let requestBody: [UInt8]
    let response: HTTPResponse

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static func allNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func load(_ name: String) throws -> Fixture {
        let url = directory.appendingPathComponent("\(name).json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureError("fixture \(name).json not found in \(directory.path): re-record with s3-record (see Fixtures/README.md)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let request = json["request"] as! [String: Any]
        let response = json["response"] as! [String: Any]
        func pairs(_ value: Any?) -> [(name: String, value: String)] {
            (value as! [[String]]).map { (name: $0[0], value: $0[1]) }
        }
        func body(_ object: [String: Any]) -> [UInt8] {
            if let text = object["bodyText"] as? String { return Array(text.utf8) }
            if let b64 = object["bodyBase64"] as? String { return Array(Data(base64Encoded: b64)!) }
            return []
        }
        return Fixture(
            name: name, description: json["description"] as! String,
            synthetic: json["synthetic"] as? Bool ?? false,
            method: request["method"] as! String, url: request["url"] as! String,
            requestHeaders: pairs(request["headers"]), requestBody: body(request),
            response: HTTPResponse(status: response["status"] as! Int,
                                   headers: pairs(response["headers"]).map { HTTPHeader(name: $0.name, value: $0.value) },
                                   body: body(response)))
    }

    /// `scheme://host:port` of the recorded request: the endpoint the client must be given.
    var endpoint: String {
        let afterScheme = url.range(of: "://")!.upperBound
        let slash = url[afterScheme...].firstIndex(of: "/") ?? url.endIndex
        return String(url[..<slash])
    }

    /// The signing time, from the recorded `X-Amz-Date` (`20261125T163053Z`).
    var signingEpochSeconds: Int64 {
        let stamp = requestHeaders.first { $0.name.lowercased() == "x-amz-date" }!.value
        var parts = DateComponents()
        func number(_ from: Int, _ length: Int) -> Int {
            let start = stamp.index(stamp.startIndex, offsetBy: from)
            return Int(stamp[start..<stamp.index(start, offsetBy: length)])!
        }
        parts.year = number(0, 4); parts.month = number(4, 2); parts.day = number(6, 2)
        parts.hour = number(9, 2); parts.minute = number(11, 2); parts.second = number(13, 2)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int64(calendar.date(from: parts)!.timeIntervalSince1970)
    }

    func requestHeader(_ name: String) -> String? { header(name) }

    /// A query parameter of the recorded request's URL (percent-decoded).
    func requestQuery(_ name: String) -> String? {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == name { return parts.count > 1 ? String(parts[1]).removingPercentEncoding : "" }
        }
        return nil
    }

    func header(_ name: String) -> String? {
        requestHeaders.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
