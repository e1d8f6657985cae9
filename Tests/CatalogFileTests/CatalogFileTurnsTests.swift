import Catalog
import CatalogFile
import Storage
import TestSupport
import XCTest

/// Writers of a big catalog take turns: one that finds an upload of the catalog started before
/// its own drops its upload and waits for that one to end, then reads the new version, rather
/// than copying a version about to be replaced and losing at the completion.
final class CatalogFileTurnsTests: XCTestCase {
    var big = BigCatalog()
    var slept: [Int] = []

    override func setUp() {
        big.file.sleepMs = { [unowned self] in slept.append($0) }
    }

    func write(_ i: Int, size: Int64, mayWaitMs: Int = 10_000, ignoring: Set<String> = []) throws -> CatalogFile.WriteResult {
        let version = try big.file.current()
        return try big.file.write([.exists(BigCatalog.entry(i, size: size))], over: version, policy: .merge,
                                  mayWaitMs: mayWaitMs, ignoring: ignoring).result
    }

    func startOther() throws -> String { try big.store.startUpload(bucket: "b", key: "images.json", contentType: "application/json") }

    /// At this writer's `look`-th look at the uploads, `act` runs first (another writer's move).
    func atLook(_ look: Int, _ act: @escaping () -> Void) {
        var looks = 0
        big.store.onRequest = { line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            if looks == look { act() }
        }
    }

    /// The other writer completes its write over `version` (dropping the upload `id` it held).
    func otherCompletes(_ id: String, over version: CatalogVersion) {
        var other = big.file
        other.sleepMs = { _ in }
        _ = try? big.store.abortUpload(bucket: "b", key: "images.json", uploadID: id)
        _ = try? other.write([.exists(BigCatalog.entry(10, size: 9))], over: version, policy: .merge)
    }

    func testAWriterWaitsForAnEarlierUploadAndYieldsWithoutCopyingAnything() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        let other = try startOther()
        var before: [String] = []
        atLook(4) { [self] in
            before = big.store.requests
            otherCompletes(other, over: version)
            big.store.requests = []                          // what follows is this writer's alone
        }
        big.store.requests = []
        guard case .yielded(let waited, let outlasted) = try write(200, size: 7) else { return XCTFail("did not yield") }
        XCTAssertEqual(waited, 475)
        XCTAssertEqual(outlasted, [])
        XCTAssertEqual(slept, [100, 150, 225], "looks further apart as the wait goes on")
        // It dropped its upload as soon as it saw the earlier one, and sent or copied nothing.
        XCTAssertEqual(before.map { String($0.prefix(7)) },
                       ["RANGE b", "GET b/i", "RANGE b", "CREATE ", "RANGE b", "UPLOADS", "ABORT b", "UPLOADS", "UPLOADS"])
        XCTAssertTrue(before[4].hasSuffix("0-0 if-none-match \(version.etag!) -> 304"), "the version read is still current: \(before[4])")
        XCTAssertEqual(big.store.requests.map { String($0.prefix(7)) }, ["UPLOADS"])
        XCTAssertTrue(big.store.uploads.isEmpty)
        // Its next round reads the version the other wrote, and keeps both changes.
        big.store.onRequest = nil
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(try big.size(10), 9)
        XCTAssertEqual(try big.size(200), 7)
        try big.checkIndexed()
    }

    /// A writer that completed between this writer's read and its look left no upload to wait
    /// for, but a new version: this writer goes round at once, having copied nothing.
    func testAVersionReplacedBeforeTheLookSendsTheWriterRoundAtOnce() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        var done = false
        big.store.onRequest = { [self] line in
            guard line.hasPrefix("CREATE"), !done else { return }
            done = true                                      // another writer completes as this one creates its upload
            var other = big.file
            other.sleepMs = { _ in }
            _ = try? other.write([.exists(BigCatalog.entry(10, size: 9))], over: version, policy: .merge)
            big.store.requests = []                          // what follows is this writer's alone
        }
        guard case .yielded(let waited, _) = try big.file.write([.exists(BigCatalog.entry(200, size: 7))], over: version, policy: .merge,
                                                              mayWaitMs: 10_000).result else { return XCTFail("did not yield") }
        XCTAssertTrue(done)
        XCTAssertEqual(waited, 0)
        XCTAssertEqual(slept, [])
        XCTAssertEqual(big.store.requests.map { String($0.prefix(7)) }, ["CREATE ", "RANGE b", "UPLOADS", "ABORT b"],
                       "nothing copied or sent over the replaced version")
        XCTAssertTrue(big.store.uploads.isEmpty, "its upload is aborted")
    }

    /// Changes all over the catalog (windows too big to read with the first round, the longest
    /// writes of all): the upload is created after the dry run, and the writer takes its turn too.
    func testAWriteOfChangesEverywhereTakesItsTurnToo() throws {
        _ = try big.seed(0..<400)
        let version = try big.file.current()
        let other = try startOther()
        atLook(2) { [self] in
            otherCompletes(other, over: version)
            big.store.requests = []                          // what follows is this writer's alone
        }
        let everywhere = Observation.sortedLatest(stride(from: 0, to: 400, by: 7).map { .missing(BigCatalog.name($0)) })
        guard case .yielded(let waited, _) = try big.file.write(everywhere, over: version, policy: .merge, mayWaitMs: 10_000).result else {
            return XCTFail("did not yield")
        }
        XCTAssertEqual(waited, 100)
        XCTAssertEqual(big.store.requests.map { String($0.prefix(7)) }, ["UPLOADS"], "nothing uploaded over a version being replaced")
        XCTAssertTrue(big.store.uploads.isEmpty)
    }

    func testAWriterAloneLooksOnceAndWrites() throws {
        _ = try big.seed(0..<400)
        big.store.requests = []
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(big.store.requests("UPLOADS").count, 1)
        XCTAssertEqual(slept, [])
    }

    func testALaterUploadIsNotWaitedFor() throws {
        _ = try big.seed(0..<400)
        atLook(1) { [self] in _ = try? startOther() }      // it is that writer's turn to wait
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(big.store.uploads.count, 1, "the later one's")
        XCTAssertEqual(slept, [])
    }

    /// Started in the same second, a later upload with a greater id whose writer saw this one
    /// has been dropped by the second look: this writer writes.
    func testInTheSameSecondAWriterThatSawItWaitsAndItWrites() throws {
        _ = try big.seed(0..<400)
        big.store.uploadStartMs = { _ in 7_000 }
        var later = ""
        atLook(1) { [self] in later = (try? startOther()) ?? "" }
        var dropped = false
        let previous = big.store.onRequest
        big.store.onRequest = { [store = big.store] line in
            previous?(line)
            if line.hasPrefix("UPLOADS"), store.requests("UPLOADS").count == 1, !dropped {
                dropped = true                               // it saw this writer's upload: it waits, holding none
                _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: later)
            }
        }
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertTrue(dropped)
        XCTAssertEqual(slept, [100], "one more look, a moment later")
    }

    /// Started in the same second, a later upload with a greater id whose writer did not see
    /// this one is being written: still there at the second look, it is waited for.
    func testInTheSameSecondAWriterThatDidNotSeeItIsWaitedFor() throws {
        _ = try big.seed(0..<400)
        big.store.uploadStartMs = { _ in 7_000 }
        let version = try big.file.current()
        var later = ""
        var looks = 0
        big.store.onRequest = { [self] line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            if looks == 1 { later = (try? startOther()) ?? "" }
            if looks == 4 { otherCompletes(later, over: version) }
        }
        guard case .yielded(let waited, _) = try write(200, size: 7) else { return XCTFail("did not yield") }
        XCTAssertEqual(waited, 475)
        XCTAssertEqual(slept, [100, 150, 225])
        XCTAssertEqual(try big.size(10), 9)
    }

    /// For the first `turnPollSteadyMs` of a wait the looks stay 100 ms apart (a big write ends
    /// within a second, and its waiters learn it soon), then grow.
    func testLooksStayCloseForAWhileThenGrow() throws {
        _ = try big.seed(0..<400)
        big.file.turnPollSteadyMs = 1_000
        let version = try big.file.current()
        let other = try startOther()
        atLook(14) { [self] in otherCompletes(other, over: version) }
        guard case .yielded(let waited, _) = try write(200, size: 7) else { return XCTFail("did not yield") }
        XCTAssertEqual(slept, Array(repeating: 100, count: 10) + [150, 225, 337])
        XCTAssertEqual(waited, 1_712)
    }

    func testAnUploadOfAnotherKeyIsNotWaitedFor() throws {
        _ = try big.seed(0..<400)
        _ = try big.store.startUpload(bucket: "b", key: "images.json.index/x", contentType: "application/json")
        _ = try big.store.startUpload(bucket: "other", key: "images.json", contentType: "application/json")
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(big.store.requests("UPLOADS").count, 1, "it looked")
        XCTAssertEqual(slept, [])
    }

    /// An upload whose writer died stays listed until a lifecycle rule aborts it: one started
    /// long before this writer's is not waited for.
    func testAnUploadStartedLongBeforeIsNotWaitedFor() throws {
        _ = try big.seed(0..<400)
        _ = try startOther()
        big.file.staleUploadMs = 500                         // the memory store starts one upload a second
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(slept, [])
    }

    /// An earlier upload that does not end within the wait allowed: the writer goes round again,
    /// told not to wait for it any more, and then writes (the conditional completion decides).
    func testAnUploadThatOutlastsTheWaitIsNotWaitedForAgain() throws {
        _ = try big.seed(0..<400)
        let stuck = try startOther()
        big.file.turnWaitLimitMs = 450
        guard case .yielded(let waited, let outlasted) = try write(200, size: 7) else { return XCTFail("did not yield") }
        XCTAssertEqual(waited, 250)
        XCTAssertEqual(outlasted, [stuck])
        XCTAssertEqual(slept, [100, 150])
        slept = []
        guard case .written = try write(200, size: 7, ignoring: [stuck]) else { return XCTFail("not written") }
        XCTAssertEqual(slept, [])
        XCTAssertEqual(try big.size(200), 7)
    }

    /// A wait cut short by the caller (its invocation's time) names what it waited for too: the
    /// caller decides what that means (`CatalogUpdater`).
    func testAWaitCutShortNamesWhatItWaitedFor() throws {
        _ = try big.seed(0..<400)
        let stuck = try startOther()
        guard case .yielded(let waited, let outlasted) = try write(200, size: 7, mayWaitMs: 250) else { return XCTFail("did not yield") }
        XCTAssertEqual(waited, 250)
        XCTAssertEqual(outlasted, [stuck])
    }

    func testAListingThatFailsOnlyLosesTheWait() throws {
        _ = try big.seed(0..<400)
        _ = try startOther()
        big.store.onRequest = { [store = big.store] line in
            store.failure = line.hasPrefix("UPLOADS") ? MemoryStoreError("403 AccessDenied") : nil
        }
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(big.store.requests("UPLOADS").map { $0.hasSuffix("error") }, [true], "it looked, and the look failed")
        XCTAssertEqual(slept, [])
    }

    /// An upload this writer cannot abort is written rather than left to hold up every writer.
    func testAWriterThatCannotDropItsUploadWritesWithIt() throws {
        _ = try big.seed(0..<400)
        _ = try startOther()
        big.store.abortFailure = MemoryStoreError("503 SlowDown")
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(slept, [])
        XCTAssertEqual(big.store.uploads.count, 1, "the other writer's alone")
    }

    /// An upload that appears in the same second between the two looks is that writer's turn to
    /// wait (it will see this one): only those seen at both looks hold this writer up.
    func testASameSecondUploadFirstSeenAtTheSecondLookIsNotWaitedFor() throws {
        _ = try big.seed(0..<400)
        big.store.uploadStartMs = { _ in 7_000 }
        var seen = ""
        atLook(1) { [self] in seen = (try? startOther()) ?? "" }
        let previous = big.store.onRequest
        var swapped = false
        big.store.onRequest = { [self] line in
            previous?(line)
            if line.hasPrefix("UPLOADS"), big.store.requests("UPLOADS").count == 1, !swapped {
                swapped = true                               // the first one dropped its upload; a new one came
                try? big.store.abortUpload(bucket: "b", key: "images.json", uploadID: seen)
                _ = try? startOther()
            }
        }
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertTrue(swapped)
        XCTAssertEqual(slept, [100])
    }

    /// Below `turnMinBytes` a write's copy is short: writers race rather than take turns.
    func testWritersOfASmallerCatalogDoNotTakeTurns() throws {
        _ = try big.seed(0..<400)
        _ = try startOther()
        big.file.turnMinBytes = try big.file.current().size + 1
        big.store.requests = []
        guard case .written = try write(200, size: 7) else { return XCTFail("not written") }
        XCTAssertEqual(slept, [])
        XCTAssertTrue(big.store.requests("UPLOADS").isEmpty)
    }

    func testWithoutLeaveToWaitItWritesAtOnce() throws {
        _ = try big.seed(0..<400)
        _ = try startOther()
        big.store.requests = []
        guard case .written = try write(200, size: 7, mayWaitMs: 199) else { return XCTFail("not written") }
        XCTAssertEqual(slept, [])
        XCTAssertTrue(big.store.requests("UPLOADS").isEmpty, "no look when it may not wait two steps")
    }
}
