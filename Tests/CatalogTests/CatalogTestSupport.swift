import Catalog
import JSON
import XCTest

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The catalog file for `lines` in the output format: one entry per line.
func catalogFile(_ lines: [String]) -> String {
    lines.isEmpty ? "[]\n" : "[\n" + lines.joined(separator: ",\n") + "\n]\n"
}

func entry(_ name: String, _ type: String = "png", _ size: Int64 = 1, _ extra: JSONObject = JSONObject()) -> CatalogEntry {
    CatalogEntry(name: name, type: type, size: size, extra: extra)
}

/// The `CatalogError` that parsing `text` throws, failing the test when it parses.
func catalogError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> CatalogError? {
    do {
        let catalog = try Catalog(parsing: bytes(text))
        XCTFail("accepted a catalog of \(catalog.count) entries", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// `observations` applied to the catalog file `text`, read as the writer reads a whole catalog
/// (any shape, in imagecat's form): one outcome per distinct name (in name order) and the file
/// written.
func applied(_ text: String, _ observations: [Observation], policy: UpsertPolicy = .merge) throws
    -> (outcomes: [CatalogMerge.Outcome], file: String) {
    let run = try EntryRun(try Catalog(parsing: bytes(text)).canonical(), atFileStart: true, atFileEnd: true)
    var (outcomes, writer) = CatalogMerge.apply(observations, to: run, policy: policy)
    return (outcomes, String(decoding: writer.drain(), as: UTF8.self))
}

/// Upserts, as observations of objects that exist.
func upserts(_ entries: CatalogEntry...) -> [Observation] { entries.map(Observation.exists) }
