import Basics
import Catalog
import XCTest

/// `RunWriter` frames entries exactly as `EntryRun` reads them, and cuts index blocks.
final class RunWriterTests: XCTestCase {
    func entryLine(_ i: Int) -> String { #"{"name":"k\#(1000 + i)","type":"\#(i % 3 == 0 ? "jpg" : "png")","size":\#(i)}"# }

    func testWholeFilesReadBackAndBlocksPointAtEntries() throws {
        let types = TypeTable()
        var writer = RunWriter(atFileStart: true, blockTarget: 200, types: types)
        for i in 0..<40 { writer.append(Array(entryLine(i).utf8), name: Array("k\(1000 + i)".utf8), type: i % 3 == 0 ? "jpg" : "png") }
        XCTAssertTrue(writer.finish(atFileEnd: true))
        let file = writer.drain()
        XCTAssertEqual(text(file), catalogFile((0..<40).map(entryLine)))
        XCTAssertGreaterThan(writer.blocks.count, 5)
        XCTAssertEqual(writer.blocks[0].offset, 0, "block 0 holds the opening bracket")
        for block in writer.blocks.dropFirst() {
            XCTAssertEqual(file[Int(block.offset)], UInt8(ascii: "{"), "a block starts at an entry")
            let name = text(Array(file[Int(block.offset)...].prefix(14)))
            XCTAssertTrue(name.hasSuffix(block.firstName.string), name)
        }
        XCTAssertEqual(writer.blocks.reduce(0) { $0 + $1.count }, 40)
        XCTAssertEqual(types.names, ["jpg", "png"])
        XCTAssertEqual(writer.blocks[0].typeBits, 0b11)
    }

    func testStretchesConcatenateIntoAFile() throws {
        var first = RunWriter(atFileStart: true, blockTarget: 1 << 20, types: TypeTable())
        first.append(Array(entryLine(1).utf8), name: Array("k1001".utf8), type: "png")
        XCTAssertTrue(first.finish(atFileEnd: false))
        var second = RunWriter(atFileStart: false, blockTarget: 1 << 20, types: TypeTable())
        second.append(Array(entryLine(2).utf8), name: Array("k1002".utf8), type: "png")
        XCTAssertTrue(second.finish(atFileEnd: true))
        XCTAssertEqual(text(first.drain() + second.drain()), catalogFile([entryLine(1), entryLine(2)]))
    }

    /// A carried block keeps its index entry, moved to where it lands, and starts a block of its
    /// own; an entry appended after a short one joins it.
    func testACarriedBlockIsFramedAndKeepsItsBlock() throws {
        let types = TypeTable(["jpg", "png"])
        var writer = RunWriter(atFileStart: true, blockTarget: 1 << 20, types: types)
        let carried = [entryLine(1), entryLine(2)].joined(separator: ",\n")
        let block = CatalogIndex.Block(firstName: ExactKey("k1001"), offset: 999, count: 2, typeBits: 0b10)
        writer.appendBlock(Array(carried.utf8), as: block)
        writer.append(Array(entryLine(3).utf8), name: Array("k1003".utf8), type: "jpg")
        writer.appendBlock(Array(entryLine(4).utf8), as: CatalogIndex.Block(firstName: ExactKey("k1004"), offset: 5, count: 1, typeBits: 0b10))
        XCTAssertTrue(writer.finish(atFileEnd: true))
        let file = writer.drain()
        XCTAssertEqual(text(file), catalogFile((1...4).map(entryLine)))
        XCTAssertEqual(writer.count, 4)
        XCTAssertEqual(writer.blocks.map(\.firstName.string), ["k1001", "k1004"])
        XCTAssertEqual(writer.blocks.map(\.count), [3, 1])
        XCTAssertEqual(writer.blocks.map(\.typeBits), [0b11, 0b10], "the appended jpg joins the carried block's bits")
        XCTAssertEqual(writer.blocks[0].offset, 0, "block 0 holds the opening bracket")
        XCTAssertEqual(writer.blocks[1].offset, Int64(file.count - entryLine(4).utf8.count - 3))
        XCTAssertEqual(try EntryRun(file, atFileStart: true, atFileEnd: true).count, 4)
    }

    func testEmptyStretchesCannotBeFramedExceptAsTheWholeFile() {
        var middle = RunWriter(atFileStart: false, blockTarget: 100, types: TypeTable())
        XCTAssertFalse(middle.finish(atFileEnd: false))
        var end = RunWriter(atFileStart: false, blockTarget: 100, types: TypeTable())
        XCTAssertFalse(end.finish(atFileEnd: true))
        var whole = RunWriter(atFileStart: true, blockTarget: 100, types: TypeTable())
        XCTAssertTrue(whole.finish(atFileEnd: true))
        XCTAssertEqual(text(whole.drain()), "[]\n")
    }

    func testDrainingKeepsOffsetsCountingFromTheStart() {
        var writer = RunWriter(atFileStart: false, blockTarget: 50, types: TypeTable())
        var drained: [UInt8] = []
        for i in 0..<20 {
            writer.append(Array(entryLine(i).utf8), name: Array("k\(1000 + i)".utf8), type: "png")
            if i % 5 == 4 { drained += writer.drain(10) }
        }
        _ = writer.finish(atFileEnd: false)
        drained += writer.drain()
        XCTAssertEqual(writer.written, Int64(drained.count))
        for block in writer.blocks { XCTAssertEqual(drained[Int(block.offset)], UInt8(ascii: "{")) }
    }

    func testTheTypeTableNamesAtMost63Types() {
        let table = TypeTable()
        for i in 0..<63 { XCTAssertEqual(table.bit(for: "t\(i)"), 1 << UInt64(i)) }
        XCTAssertEqual(table.bit(for: "t63"), CatalogIndex.otherTypes)
        XCTAssertEqual(table.bit(for: "t5"), 1 << 5)
    }
}
