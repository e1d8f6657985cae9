import Storage
import Basics
import ImageSniffer
import JSON
import TestSupport
import XCTest
@testable import CatalogSync

/// `EntryBuilder`: an entry from what the object's bytes say, never from its name.
final class EntryBuilderTests: XCTestCase {
    func observation(_ bytes: [UInt8]) -> ObjectObservation {
        ObjectObservation(size: Int64(bytes.count), version: ObjectVersion(etag: "e1", lastModified: "2026-11-25T16:00:09Z"),
                          content: ImageSniffer.sniff(prefix: bytes, totalSize: Int64(bytes.count)), bytesRead: bytes.count)
    }

    func testAnImageBecomesAnEntryWithManagedMembers() throws {
        let entry = try EntryBuilder.entry(key: "photo.jpg", observation: observation(Build.png(width: 3, height: 2))).get()
        XCTAssertEqual(entry.name, "photo.jpg")
        XCTAssertEqual(entry.type, "png", "the bytes decide, not the .jpg name")
        XCTAssertEqual(entry.extra["width"], .int(3))
        XCTAssertEqual(entry.extra["height"], .int(2))
        XCTAssertEqual(entry.extra["etag"], .string("e1"))
        XCTAssertEqual(entry.extra["lastModified"], .string("2026-11-25T16:00:09Z"))
    }

    func testNotAnImageIsRefusedWithAReason() {
        guard case .failure(let refusal) = EntryBuilder.entry(key: "a.png", observation: observation(Array("hello".utf8))) else {
            return XCTFail("text cataloged")
        }
        XCTAssertTrue(refusal.reason.hasPrefix("not an image"), refusal.reason)
        XCTAssertEqual(EntryBuilder.refusal(forKey: "folder/"), "a folder marker, not an object")
        XCTAssertNil(EntryBuilder.refusal(forKey: "folder/a.png"))
    }
}
