import Basics
import Catalog

/// What one bucket's sync (or reconcile) did: the answer's counts and skipped keys, and the
/// figures its metrics are made of (rounds, lost writes, the time each phase took, the catalog's
/// size), gathered where they happen so that no logger or meter has to reach into the updater.
public struct BucketSyncResult: Sendable {
    public init(bucket: String, attempts: Int = 0) {
        self.bucket = bucket
        self.attempts = attempts
    }

    public var bucket: String
    public var summary: ApplySummary?
    /// Keys left out of the catalog, with why: the first `skippedListLimit` of them.
    public var skipped: [SkippedKey] = []
    /// All keys left out, listed or not.
    public var skippedCount = 0
    /// All keys left out, listed or not, by kind of reason.
    public var skippedByKind: [SkipKind: Int] = [:]
    /// How many skipped keys `skipped` lists (the reconcile keeps its answer small).
    public var skippedListLimit = Int.max
    /// Keys whose observation failed (a 5xx or a timeout past the client's retries, for that
    /// key alone: others of the bucket were read), with the error: left as they are in the
    /// catalog, their records handed back. When every key fails, the bucket fails instead.
    public var failedKeys: [(key: String, error: CatalogUpdateError)] = []
    /// Read-observe-write rounds, 1 when uncontended.
    public var attempts = 0
    /// Conditional writes of the catalog that landed (a reconcile writes in batches).
    public var writes = 0
    public var wrote: Bool { writes > 0 }
    /// Conditional writes another writer won (412/409, or a big version a racing completion
    /// replaced): each costs a round.
    public var lostWrites = 0
    /// Bytes of image heads read to sniff formats and sizes.
    public var bytesRead = 0
    /// Milliseconds spent observing keys, reading the catalog, writing it (applying included)
    /// and re-checking after writes, summed over the rounds.
    public var observeMs: Int64 = 0, readMs: Int64 = 0, writeMs: Int64 = 0, recheckMs: Int64 = 0
    /// Milliseconds spent waiting for other writers of a big catalog to finish theirs, rather
    /// than writing over a version about to be replaced (`CatalogFile.takeTurn`).
    public var turnWaitMs: Int64 = 0
    /// Keys other writers of a big catalog handed over while they waited, written with this
    /// writer's own (`Handover`); not in `summary`, which is this writer's keys only.
    public var carried = 0
    /// Keys a re-check after a write found changed that did not, by themselves, send the writer round:
    /// the entry the write replaced was not their current version's, so that version's writer
    /// mends it (`CatalogMerge.Outcome.mayHaveReplaced`).
    public var staleLeft = 0
    /// Entries and bytes of the catalog version the sync ended on (`nil`: it did not end).
    public var catalogEntries: Int?
    public var catalogBytes: Int64?
    /// Epoch milliseconds at which the catalog was known to hold every applied change: after
    /// the last write's re-check, or at the read that found nothing to change.
    public var settledAtMs: Int64?
    /// Reconcile only: non-images skipped without a request because the state object remembers
    /// them unchanged, and whether the pass reached the end of the listing (`false`: the next
    /// run goes on from where this one stopped).
    public var remembered = 0
    public var complete: Bool?
    /// Reconcile only: indexes and saved prefixes beside the catalog that nothing needed any
    /// more, deleted (`CatalogUpdater.dropLeftovers`).
    public var leftoversDropped = 0

    mutating func skip(_ key: String, _ reason: String, _ kind: SkipKind) {
        skippedCount += 1
        skippedByKind[kind, default: 0] += 1
        if skipped.count < skippedListLimit { skipped.append(SkippedKey(key: key, reason: reason, kind: kind)) }
    }

    /// Forgets the reasons given for `keys` (they are about to be observed again).
    mutating func unskip(_ keys: Set<ExactKey>) {
        for forgotten in skipped where keys.contains(ExactKey(forgotten.key)) {
            skippedCount -= 1
            if let kind = forgotten.kind { skippedByKind[kind, default: 0] -= 1 }
        }
        skipped.removeAll { keys.contains(ExactKey($0.key)) }
    }

    /// Adds what one round of writes (`commit`) did to this result (the reconcile's batches).
    mutating func absorb(_ round: BucketSyncResult) {
        if let done = round.summary { summary = (summary ?? ApplySummary()) + done }
        attempts += round.attempts
        failedKeys += round.failedKeys
        writes += round.writes
        lostWrites += round.lostWrites
        observeMs += round.observeMs
        readMs += round.readMs
        writeMs += round.writeMs
        recheckMs += round.recheckMs
        turnWaitMs += round.turnWaitMs
        carried += round.carried
        staleLeft += round.staleLeft
        catalogEntries = round.catalogEntries ?? catalogEntries
        catalogBytes = round.catalogBytes ?? catalogBytes
        settledAtMs = round.settledAtMs ?? settledAtMs
    }
}

/// A key left out of the catalog, and why.
public struct SkippedKey: Equatable, Sendable {
    public var key: String
    public var reason: String
    /// `nil` for records that were never a catalog matter (an event for another bucket, the
    /// catalog's own objects), which the handler skips before any observation.
    public var kind: SkipKind?

    public init(key: String, reason: String, kind: SkipKind? = nil) {
        self.key = key
        self.reason = reason
        self.kind = kind
    }
}

/// Why an observed key is not an entry, by what an operator does about it.
public enum SkipKind: String, Sendable, CaseIterable {
    /// Not an image (a text file, a PDF, an empty object, a folder marker): nothing to do.
    case notImage
    /// S3 refuses it for good (403, an archived object, a KMS error): look at permissions.
    case refused
    /// An image whose header cannot be read (corrupt, past the limits): look at the file.
    case unreadable
}
