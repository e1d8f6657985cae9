import Basics
import Catalog
import CatalogFile
import JSON
import S3
import Storage
import TestSupport
import XCTest
@testable import CatalogSync

/// Writers of a big catalog hand their changes to the next writer while they wait their turn
/// (`Handover`): it writes them with its own and re-checks them like its own; the writer that left
/// them still answers for them itself.
final class HandoverTests: XCTestCase {
    let store = MemoryStore()

    func updater() -> CatalogUpdater { store.tinyUpdater() }

    static func key(_ i: Int) -> String { MemoryStore.imageKey(i) }

    func preload(_ count: Int) throws { try store.preloadImages(count) }

    /// The handovers in the bucket.
    var handovers: [String] {
        (try? store.listPage(bucket: "b", prefix: "images.json.waiting/", startAfter: nil, maxKeys: 1000).objects.map(\.key)) ?? []
    }

    /// What a writer would have left for `keys` as the store has them now (`nil` version: gone).
    func leave(_ keys: [Int], atMs: Int64 = SystemClock.epochMilliseconds(), untilMs: Int64? = nil, etag: String? = nil) {
        let observed = keys.map { i -> ObservedKey in
            let key = Self.key(i)
            guard let object = store.object("b", key) else { return ObservedKey(key: key, version: nil, entry: nil) }
            let version = ObjectVersion(etag: etag ?? object.etag, lastModified: object.lastModified)
            return ObservedKey(key: key, version: version,
                               entry: CatalogEntry(name: key, type: "image/png", size: Int64(object.bytes.count),
                                                   extra: ["etag": .string(version.etag), "width": .int(i)]))
        }
        store.put("b", Handover.key(catalog: "images.json", atMs: atMs, nonce: UInt64(keys.first ?? 0), untilMs: untilMs),
                  bytes: Handover(observed).serialized())
    }

    func testAHandoverReadsBackAsWritten() throws {
        let entry = CatalogEntry(name: "images/a.png", type: "image/png", size: 12, extra: ["width": .int(3), "caption": .string("é")])
        let handover = Handover([
            ObservedKey(key: "images/a.png", version: ObjectVersion(etag: "e1", lastModified: "2026-12-06T05:00:00Z"), entry: entry),
            ObservedKey(key: "images/gone.png", version: nil, entry: nil),
            ObservedKey(key: "images/notes.txt", version: ObjectVersion(etag: "e2", lastModified: nil), entry: nil),
            ObservedKey(key: "images/folder/", version: nil, entry: nil, fromKeyAlone: true),
        ])
        XCTAssertEqual(handover.observed.count, 3, "a key decided from its name alone is not handed over")
        XCTAssertEqual(Handover(parsing: handover.serialized()), handover)
    }

    func testAnythingButAHandoverIsRefused() {
        for text in ["", "[]", #"{"version":2,"observed":[]}"#, #"{"version":1}"#,
                     #"{"version":1,"observed":[{"etag":"e"}]}"#,
                     #"{"version":1,"observed":[{"key":"k","etag":"e","entry":{"type":"image/png","size":-1}}]}"#,
                     #"{"version":1,"observed":[{"key":"k","etag":"e","entry":{"type":"image/png"}}]}"#,
                     #"{"version":1,"observed":[{"key":"k","etag":null,"entry":{"type":"image/png","size":1}}]}"#,
                     #"{"version":1,"observed":[{"key":"k","etag":"e","entry":{"type":"image/png","size":1,"etag":"f"}}]}"#] {
            XCTAssertNil(Handover(parsing: Array(text.utf8)), text)
        }
    }

    func testAHandoversNameSaysWhenItWasLeftAndUntilWhenItsWriterAnswers() {
        let key = Handover.key(catalog: "images.json", atMs: 1_765_000_000_123, nonce: 0xbeef, untilMs: 1_765_000_030_000)
        XCTAssertEqual(key, "images.json.waiting/1765000000123-beef-1765000030000")
        XCTAssertEqual(Handover.times(key, catalog: "images.json")?.leftAtMs, 1_765_000_000_123)
        XCTAssertEqual(Handover.times(key, catalog: "images.json")?.untilMs, 1_765_000_030_000)
        let older = Handover.key(catalog: "images.json", atMs: 1_765_000_000_123, nonce: 0xbeef)   // no deadline (an older imagecat's)
        XCTAssertEqual(older, "images.json.waiting/1765000000123-beef")
        XCTAssertEqual(Handover.times(older, catalog: "images.json")?.leftAtMs, 1_765_000_000_123)
        XCTAssertNil(Handover.times(older, catalog: "images.json")?.untilMs)
        XCTAssertNil(Handover.times("images.json.index/1765000000123-beef", catalog: "images.json"))
    }

    /// The writer carries what another left: one write for both, the other's keys re-checked
    /// with its own, but only its own in its answer.
    func testAWriterWritesWhatAWaitingWriterLeftWithItsOwn() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        store.delete("b", Self.key(7))
        leave([301, 7])
        store.requests = []
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.writes, 1)
        XCTAssertEqual(result.carried, 2)
        XCTAssertEqual(result.summary, ApplySummary(added: 1), "its answer counts its own key only")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(301)]?.extra["width"]?.int64Value, 301, "the handed-over entry, as handed over")
        XCTAssertNil(catalog[Self.key(7)], "the handed-over removal")
        XCTAssertNotNil(catalog[Self.key(302)])
        XCTAssertTrue(store.requests.contains { $0.contains(Self.key(301)) }, "the carried key is re-checked: \(store.requests)")
    }

    /// A writer whose own changes are in already answers at once: what others left is written by
    /// them, who still have changes of their own to write.
    func testAWriterWithNothingOfItsOwnToWriteCarriesNothing() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        leave([301])
        let result = try updater().sync(bucket: "b", keys: [Self.key(5)])
        XCTAssertEqual(result.writes, 0)
        XCTAssertEqual(result.carried, 0, "read, not written")
        XCTAssertEqual(result.summary, ApplySummary(unchanged: 1))
        XCTAssertNil(try store.catalog()[Self.key(301)])
        XCTAssertEqual(handovers.count, 1, "left for its writer")
    }

    /// Two writers left the same key: the newer observation is the one carried (the older one
    /// would be written, found stale and written again).
    func testTheNewestHandoverOfAKeyWins() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        leave([301], atMs: SystemClock.epochMilliseconds() - 2_000, etag: "an-older-upload")
        leave([301])
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.carried, 1)
        XCTAssertEqual(try store.catalog()[Self.key(301)]?.extra["etag"]?.stringValue, store.object("b", Self.key(301))?.etag)
    }

    /// A writer's own observation of a key beats what another left for it.
    func testItsOwnObservationOfAKeyWins() throws {
        try preload(300)
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        leave([302], etag: "an-older-upload")
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.attempts, 1)
        XCTAssertEqual(result.carried, 0)
        XCTAssertEqual(try store.catalog()[Self.key(302)]?.extra["etag"]?.stringValue, store.object("b", Self.key(302))?.etag)
    }

    /// Only what fits the byte budget is read, newest first; a handover that does not parse is
    /// deleted; the catalog's own objects are never carried.
    func testHandoversAreReadWithinABudgetAndBadOnesDropped() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        store.put("b", Self.key(303), bytes: MemoryStore.png(width: 6, height: 6))
        leave([301], atMs: SystemClock.epochMilliseconds() - 3_000)
        leave([303], atMs: SystemClock.epochMilliseconds() - 2_000)
        store.put("b", "images.json.waiting/\(SystemClock.epochMilliseconds() - 1_000)-bad", "not a handover")
        let own = Handover([ObservedKey(key: "images.json.reconcile", version: ObjectVersion(etag: "e", lastModified: nil),
                                        entry: CatalogEntry(name: "images.json.reconcile", type: "image/png", size: 1))])
        store.put("b", "images.json.waiting/\(SystemClock.epochMilliseconds())-own", bytes: own.serialized())
        var updater = updater()
        let newer = try XCTUnwrap(store.object("b", handovers[1])).bytes.count
        updater.handoverMaxBytes = newer + 14 + own.serialized().count       // the three newest, not the oldest
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater.sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.carried, 1)
        let catalog = try store.catalog()
        XCTAssertNotNil(catalog[Self.key(303)])
        XCTAssertNil(catalog[Self.key(301)], "past the budget: left for the next writer")
        XCTAssertNil(catalog["images.json.reconcile"])
        XCTAssertEqual(handovers.count, 3, "the unparsable one deleted: \(handovers)")
    }

    /// A writer that left its changes and finds them in the catalog re-checks them itself: the
    /// writer that carried them may have written an observation gone stale, and failed before
    /// its own re-check.
    func testAWriterWhoseChangesWereCarriedReChecksThem() throws {
        try preload(300)
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let observed = try XCTUnwrap(store.object("b", Self.key(150)))
        var looks = 0
        store.onRequest = { [store, unowned self] line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            guard looks == 3 else { return }
            store.onRequest = nil
            // The carrier writes what this writer left; the image is replaced meanwhile, and the
            // carrier dies before its re-check.
            let left = Handover(parsing: store.object("b", handovers[0])!.bytes)!.observed
            _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)
            let carrier = updater().file("b")
            _ = try? carrier.write(left.map(\.observation), over: carrier.current(), policy: EntryBuilder.policy)
            store.put("b", Self.key(150), bytes: MemoryStore.png(width: 8, height: 8))
        }
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)], deadline: .after(milliseconds: 60_000))
        let entry = try store.catalog()[Self.key(150)]
        XCTAssertNotEqual(store.object("b", Self.key(150))?.etag, observed.etag)
        XCTAssertEqual(entry?.extra["etag"]?.stringValue, store.object("b", Self.key(150))?.etag, "the replacement, not the stale entry")
        XCTAssertEqual(entry?.extra["width"]?.int64Value, 8)
        XCTAssertEqual(result.writes, 1)
    }

    /// The carrier writes only some of what was left (the rest cut, or its own): the writer
    /// then writes the others itself, and still re-checks the carried ones, whose carrier may
    /// have died before its re-check. It re-checked only what its own write changed.
    func testAWriterThatWritesStillReChecksWhatWasCarriedForIt() throws {
        try carriedInPart(losingTheHandoversAnswer: false)
    }

    /// A handover whose answer was lost (a retry's 412 over a key no one else names) landed all
    /// the same: the writer counts it as left, re-checks what a carrier wrote for it, and
    /// withdraws it. Counted as not left, it stayed for every later writer to carry.
    func testAHandoverWhoseAnswerWasLostCountsAsLeft() throws {
        try carriedInPart(losingTheHandoversAnswer: true)
    }

    /// Keys 150 and 151 replaced; a carrier writes 150's observation alone (from this writer's
    /// handover), 150 is replaced again, and the carrier dies before its re-check.
    private func carriedInPart(losingTheHandoversAnswer: Bool) throws {
        try preload(300)
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        for i in [150, 151] { store.put("b", Self.key(i), bytes: MemoryStore.png(width: 7, height: 7)) }
        var looks = 0
        store.onRequest = { [store, unowned self] line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            if looks == 1 && losingTheHandoversAnswer { store.lostAnswers = 1 }
            guard looks == 3 else { return }
            store.onRequest = nil
            let left = Handover(parsing: store.object("b", handovers[0])!.bytes)!.observed.filter { $0.key == Self.key(150) }
            XCTAssertEqual(left.count, 1)
            _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)
            let carrier = updater().file("b")
            _ = try? carrier.write(left.map(\.observation), over: carrier.current(), policy: EntryBuilder.policy)
            store.put("b", Self.key(150), bytes: MemoryStore.png(width: 8, height: 8))
        }
        _ = try updater().sync(bucket: "b", keys: [Self.key(150), Self.key(151)], deadline: .after(milliseconds: 60_000))
        XCTAssertGreaterThanOrEqual(looks, 3, "the carrier ran")
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["etag"]?.stringValue, store.object("b", Self.key(150))?.etag,
                       "the replacement, not the carried entry")
        XCTAssertEqual(catalog[Self.key(150)]?.extra["width"]?.int64Value, 8)
        XCTAssertEqual(catalog[Self.key(151)]?.extra["width"]?.int64Value, 7)
        XCTAssertEqual(handovers, [], "withdrawn")
    }

    /// A handed-over observation gone stale (the object changed since, and its new version is
    /// cataloged: the carrier writes over that entry) is observed again by the writer that
    /// carried it, not kept.
    /// Key 301 cataloged, then handed over with an older upload's ETag; key 302 uploaded, for
    /// the carrier's own write.
    func leaveAStaleObservationOf301ThenUpload302() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        _ = try updater().sync(bucket: "b", keys: [Self.key(301)])
        leave([301], etag: "an-older-upload")
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
    }

    func testACarriedObservationGoneStaleIsObservedAgain() throws {
        try leaveAStaleObservationOf301ThenUpload302()
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.attempts, 2, "the stale key is observed again and written")
        XCTAssertEqual(try store.catalog()[Self.key(301)]?.extra["etag"]?.stringValue, store.object("b", Self.key(301))?.etag)
    }

    /// A carried key found stale whose read then fails is in no record of the carrier's to hand
    /// back: it is left for the reconcile, which observes it first. The carrier's own key is
    /// written and answered for.
    func testACarriedKeyWhoseReadFailsIsLeftForTheReconcile() throws {
        try leaveAStaleObservationOf301ThenUpload302()
        store.rangeErrors[ExactKey(Self.key(301))] = KeyReadError(S3Error(
            operation: "GetObject", bucket: "b", key: Self.key(301), kind: .service(status: 500, code: "InternalError", message: "", requestId: nil)))
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.failedKeys.map(\.key), [Self.key(301)])
        XCTAssertNotNil(try store.catalog()[Self.key(302)])
        let state = ReconcileState(parsing: try XCTUnwrap(store.object("b", "images.json.reconcile")).bytes)
        XCTAssertEqual(state.suspects, [Self.key(301)])
    }

    /// A carried observation gone stale over an older version's entry is left to the new
    /// version's writer, and not carried again by a later round of the carrier: here the new
    /// version is cataloged meanwhile, and the second round leaves that entry alone.
    func testACarriedKeyLeftToItsNewVersionsWriterIsNotCarriedAgain() throws {
        try preload(300)
        leave([150], etag: "an-older-upload")
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 9, height: 9))          // not cataloged yet
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        store.put("b", Self.key(303), bytes: MemoryStore.png(width: 6, height: 6))
        var observed303 = 0
        store.onRequest = { [store, unowned self] line in
            if line.hasPrefix("HEAD b/\(Self.key(303))") {
                store.delete("b", Self.key(303))                                               // sends the carrier round
            } else if line.hasPrefix("RANGE b/\(Self.key(303))") {
                observed303 += 1
                if observed303 == 2 {
                    store.onRequest = nil
                    _ = try? updater().sync(bucket: "b", keys: [Self.key(150)])                // the new version's event
                }
            }
        }
        let result = try updater().sync(bucket: "b", keys: [Self.key(302), Self.key(303)])
        XCTAssertEqual(result.attempts, 2, "not carried again over the new version's entry")
        XCTAssertEqual(result.staleLeft, 1)
        let catalog = try store.catalog()
        XCTAssertEqual(catalog[Self.key(150)]?.extra["etag"]?.stringValue, store.object("b", Self.key(150))?.etag)
        XCTAssertNil(catalog[Self.key(303)])
        XCTAssertNotNil(catalog[Self.key(302)])
    }

    /// A writer that left a handover while it waited, then wrote itself and goes round for one
    /// key, withdraws that handover: it names keys the kept write settled, whose older
    /// observations a carrier would write again.
    func testAWriterThatSettlesKeysWithdrawsItsHandover() throws {
        try preload(300)
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        var looks = 0, completes = 0
        var leftDuringTheWait: [String] = [], leftAtTheLastWrite: [String]?
        store.onRequest = { [store, unowned self] line in
            if line.hasPrefix("UPLOADS") {
                looks += 1
                guard looks == 3 else { return }
                leftDuringTheWait = handovers
                _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)   // the writer ahead gives up
            } else if line.hasPrefix("HEAD b/\(Self.key(302))") {
                store.delete("b", Self.key(302))
            } else if line.hasPrefix("COMPLETE b/images.json ") {
                completes += 1
                if completes == 2 { leftAtTheLastWrite = handovers }
            }
        }
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater().sync(bucket: "b", keys: [Self.key(301), Self.key(302)], deadline: .after(milliseconds: 60_000))
        store.onRequest = nil
        XCTAssertEqual(leftDuringTheWait.count, 1, "left before it waited")
        XCTAssertEqual(result.writes, 2, "\(store.requests)")
        XCTAssertEqual(leftAtTheLastWrite, [], "withdrawn once 301 was settled")
        XCTAssertNotNil(try store.catalog()[Self.key(301)])
        XCTAssertNil(try store.catalog()[Self.key(302)])
    }

    /// A carried key whose write was lost but may have landed (its 412 came on a retry, on a
    /// store whose ETags cannot be predicted) stays carried (and re-checked), not this writer's
    /// own: it is in neither its summary nor its keys to answer for. Here its owner withdraws
    /// its handover meanwhile (it found the key in, and answered).
    func testACarriedKeyOfALostWriteStaysCarried() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        leave([301])
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        var updater = updater()
        updater.layout.appendAttempts = 1
        store.predictsETags = false
        store.lostAnswers = 1
        store.onRequest = { [store, unowned self] line in
            guard line.hasPrefix("COMPLETE b/images.json ") else { return }
            store.onRequest = nil
            for key in handovers { store.delete("b", key) }
        }
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.lostWrites, 1)
        XCTAssertEqual(result.summary, ApplySummary(unchanged: 1), "302 alone, found in as the landed write left it")
        XCTAssertEqual(result.carried, 0, "no write of its own carried 301")
        XCTAssertNotNil(try store.catalog()[Self.key(301)], "written as last had")
        let completed = try XCTUnwrap(store.requests.lastIndex { $0.hasPrefix("COMPLETE b/images.json ") })
        XCTAssertTrue(store.requests[completed...].contains("HEAD b/\(Self.key(301)) -> 200"), "and re-checked: \(store.requests)")
    }

    /// The writer that left its changes finds them written when its turn comes: it answers without
    /// writing, and drops its handover.
    func testAWriterThatWaitedFindsItsChangesWrittenAndDropsItsHandover() throws {
        try preload(300)
        let other = updater()
        let earlier = try store.startUpload(bucket: "b", key: "images.json", contentType: "application/json")
        var looks = 0
        var leftDuringTheWait: [String] = []
        store.onRequest = { [store, unowned self] line in
            guard line.hasPrefix("UPLOADS") else { return }
            looks += 1
            guard looks == 3 else { return }
            // The writer ahead finishes: it carries what this one left.
            leftDuringTheWait = handovers
            _ = try? store.abortUpload(bucket: "b", key: "images.json", uploadID: earlier)
            store.put("b", Self.key(999), bytes: MemoryStore.png(width: 2, height: 2))
            store.onRequest = nil
            _ = try? other.sync(bucket: "b", keys: [Self.key(999)])
        }
        store.put("b", Self.key(150), bytes: MemoryStore.png(width: 7, height: 7))
        let result = try updater().sync(bucket: "b", keys: [Self.key(150)], deadline: .after(milliseconds: 60_000))
        XCTAssertEqual(leftDuringTheWait.count, 1, "left before it waited")
        XCTAssertEqual(result.writes, 0, "the writer ahead wrote its change")
        XCTAssertEqual(result.summary, ApplySummary(unchanged: 1))
        XCTAssertEqual(try store.catalog()[Self.key(150)]?.extra["width"]?.int64Value, 7)
        XCTAssertNotNil(try store.catalog()[Self.key(999)])
        XCTAssertEqual(handovers, [], "dropped once answered for")
    }

    /// A handover left by a writer that died is dropped unread once it is `staleHandoverMs` old.
    func testAHandoverLeftLongAgoIsDroppedUnread() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        let updater = updater()
        leave([301], atMs: SystemClock.epochMilliseconds() - updater.staleHandoverMs - 1)
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater.sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.carried, 0)
        XCTAssertNil(try store.catalog()[Self.key(301)])
        XCTAssertEqual(handovers, [])
    }

    /// A handover whose writer's deadline has passed is dropped unread, however recent: that
    /// writer has answered (its withdrawal failed at its deadline) or died (its records come
    /// back). Carried for minutes, a deleted key's old observation could come back by a
    /// carrier whose re-check then failed, with nobody answering for it.
    func testAHandoverWhoseWritersDeadlineHasPassedIsDroppedUnread() throws {
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        store.put("b", Self.key(303), bytes: MemoryStore.png(width: 4, height: 4))
        let now = SystemClock.epochMilliseconds()
        leave([301], atMs: now - 2_000, untilMs: now - 1)
        leave([303], atMs: now - 2_000, untilMs: now + 60_000)
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        let result = try updater().sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.carried, 1, "only the one whose writer is still waiting")
        XCTAssertNil(try store.catalog()[Self.key(301)])
        XCTAssertNotNil(try store.catalog()[Self.key(303)])
        XCTAssertEqual(handovers.count, 1)
    }

    /// A writer names its handover with its deadline.
    func testAWriterNamesItsHandoverWithItsDeadline() throws {
        let deadline = Deadline(epochMilliseconds: SystemClock.epochMilliseconds() + 60_000)
        try preload(300)
        store.put("b", Self.key(301), bytes: MemoryStore.png(width: 4, height: 4))
        let key = try XCTUnwrap(updater().handOver([ObservedKey(key: Self.key(301), version: nil, entry: nil)], bucket: "b",
                                                   deadline: deadline))
        XCTAssertEqual(Handover.times(key, catalog: "images.json")?.untilMs, deadline.epochMilliseconds)
    }

    /// Below `turnMinBytes` writers race and wait for nobody: nothing is handed over, and nothing
    /// is looked for (no request added to a small catalog's write).
    func testASmallCatalogsWriterLooksForNoHandover() throws {
        try preload(300)
        leave([5])
        var updater = updater()
        updater.layout.turnMinBytes = 1 << 40
        store.put("b", Self.key(302), bytes: MemoryStore.png(width: 5, height: 5))
        store.requests = []
        let result = try updater.sync(bucket: "b", keys: [Self.key(302)])
        XCTAssertEqual(result.carried, 0)
        XCTAssertEqual(store.requests("LIST b images.json.waiting/"), [])
    }
}
