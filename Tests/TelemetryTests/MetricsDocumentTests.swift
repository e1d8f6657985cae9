import JSON
import Telemetry
import XCTest

/// The EMF builder: the document's shape, and EMF's limits kept whatever is recorded (metrics
/// split past 100, values reduced to 100, dimension sets cut to 30 keys).
final class MetricsDocumentTests: XCTestCase {
    let dimensions = [(name: "FunctionName", value: "imagecat-catalog"), (name: "Handler", value: "catalog")]

    func testOneDocumentWithTheDimensionSetAndTheValues() throws {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        document.count("RecordsReceived", 3)
        document.count("RecordsReceived", 2)
        document.count("LostWrites", 0)
        document.record("S3Latency", [12.5, 20, 31.25], unit: .milliseconds)
        document.record("CatalogBytes", 2048, unit: .bytes)
        let lines = document.lines(timestampMs: 1_800_000_000_000, properties: ["requestId": .string("r1")])
        XCTAssertEqual(lines, [
            #"{"_aws":{"Timestamp":1800000000000,"CloudWatchMetrics":[{"Namespace":"imagecat","Dimensions":[["FunctionName","Handler"]],"#
            + #""Metrics":[{"Name":"RecordsReceived","Unit":"Count"},{"Name":"LostWrites","Unit":"Count"},"#
            + #"{"Name":"S3Latency","Unit":"Milliseconds"},{"Name":"CatalogBytes","Unit":"Bytes"}]}]},"#
            + #""FunctionName":"imagecat-catalog","Handler":"catalog","RecordsReceived":5,"LostWrites":0,"#
            + #""S3Latency":[12.5,20,31.25],"CatalogBytes":2048,"requestId":"r1"}"#,
        ])
    }

    func testAFinerDimensionSetCoversOnlyItsMetrics() throws {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        document.setDimension("Route", "images")
        document.addDimensionSet(["FunctionName", "Handler", "Route"], for: ["Requests"])
        document.count("Requests")
        document.count("Requests2xx")
        let root = try XCTUnwrap(document.documents(timestampMs: 0).first)
        let directives = try XCTUnwrap(root["_aws"]?["CloudWatchMetrics"]?.arrayValue)
        XCTAssertEqual(directives.count, 2)
        XCTAssertEqual(directives[1]["Dimensions"], .array([.array([.string("FunctionName"), .string("Handler"), .string("Route")])]))
        XCTAssertEqual(directives[1]["Metrics"]?.arrayValue?.compactMap { $0["Name"]?.stringValue }, ["Requests"])
        XCTAssertEqual(directives[0]["Metrics"]?.arrayValue?.count, 2)
        XCTAssertEqual(root["Route"], .string("images"))
    }

    func testNoMetricsNoDocument() {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        document.record("S3Latency", [], unit: .milliseconds)
        document.record("S3Latency", .nan, unit: .milliseconds)
        XCTAssertEqual(document.lines(timestampMs: 0), [])
    }

    /// 1,000 S3 latencies become the 100 order statistics at evenly spaced ranks: the smallest
    /// and largest exactly, and every percentile within one rank step.
    func testAThousandValuesBecomeAHundredRepresentativeOnes() throws {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        let latencies = (1...1000).map { Double($0) }.shuffled()
        document.record("S3Latency", latencies, unit: .milliseconds)
        let root = try XCTUnwrap(document.documents(timestampMs: 0).first)
        let values = try XCTUnwrap(root["S3Latency"]?.arrayValue?.compactMap(\.doubleValue))
        XCTAssertEqual(values.count, 100)
        XCTAssertEqual(values.first, 1)
        XCTAssertEqual(values.last, 1000)
        XCTAssertEqual(values, values.sorted())
        for p in [0.5, 0.9, 0.95, 0.99] {
            let estimate = values[Int((p * 99).rounded())]
            XCTAssertEqual(estimate, p * 1000, accuracy: 1000 / 99 + 1, "p\(Int(p * 100))")
        }
    }

    func testAtMostAHundredMetricsADocument() throws {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        for i in 0..<250 { document.count("M\(i)", i) }
        let documents = document.documents(timestampMs: 0, properties: ["requestId": .string("r")])
        XCTAssertEqual(documents.count, 3)
        var seen: [String] = []
        for root in documents {
            let names = try XCTUnwrap(root["_aws"]?["CloudWatchMetrics"]?.arrayValue?.first?["Metrics"]?.arrayValue)
                .compactMap { $0["Name"]?.stringValue }
            XCTAssertLessThanOrEqual(names.count, 100)
            for name in names { XCTAssertNotNil(root[name], "each metric's value is in its own document") }
            XCTAssertEqual(root["FunctionName"], .string("imagecat-catalog"), "every document has the dimensions")
            XCTAssertEqual(root["requestId"], .string("r"))
            seen += names
        }
        XCTAssertEqual(seen, (0..<250).map { "M\($0)" })
    }

    func testDimensionSetsAreCutToThirtyKeys() throws {
        let many = (0..<40).map { (name: "D\($0)", value: "v") }
        var document = MetricsDocument(namespace: "imagecat", dimensions: many)
        document.count("Requests")
        let root = try XCTUnwrap(document.documents(timestampMs: 0).first)
        let set = try XCTUnwrap(root["_aws"]?["CloudWatchMetrics"]?.arrayValue?.first?["Dimensions"]?.arrayValue?.first?.arrayValue)
        XCTAssertEqual(set.count, 30)
    }

    func testPropertiesNeverReplaceMetricsOrDimensions() throws {
        var document = MetricsDocument(namespace: "imagecat", dimensions: dimensions)
        document.count("Requests", 2)
        let root = try XCTUnwrap(document.documents(timestampMs: 0, properties: ["Requests": .string("x"), "Handler": .string("y"),
                                                                               "_aws": .null]).first)
        XCTAssertEqual(root["Requests"], .int(2))
        XCTAssertEqual(root["Handler"], .string("catalog"))
        XCTAssertNotNil(root["_aws"]?["Timestamp"])
    }

    func testNumbersAreWholeOrToTheMicrosecond() {
        XCTAssertEqual(MetricsDocument.representative([3, 1, 2], limit: 100), [3, 1, 2], "fewer than the limit: as they are")
        var document = MetricsDocument(namespace: "n", dimensions: [])
        document.record("T", [1.0 / 3, 2, 0.1 + 0.2], unit: .milliseconds)
        XCTAssertTrue(document.lines(timestampMs: 0)[0].contains(#""T":[0.333,2,0.3]"#), document.lines(timestampMs: 0)[0])
    }
}
