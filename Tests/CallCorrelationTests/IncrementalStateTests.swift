import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
import TestSupport
import Testing

/// Incremental persistence (CallCorrelator+Snapshot.swift, TrackedDictionary.swift): the rows a
/// shell keeps by applying ``CallCorrelator/pendingStateChanges()`` after every batch restore
/// exactly the state a full snapshot restores — after any batch, through resyncs, expiry and the
/// end of every call — and forgotten entries are deleted.
@Suite("Correlation state rows (incremental persistence)")
struct IncrementalStateTests {
    /// Every capture of the repository.
    static let captures: [String] = ["fixtures/ami", "fixtures/ami-pjsip"].flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path(folder))) ?? [])
            .filter { $0.hasSuffix(".ami") }.sorted().map { "\(folder)/\($0)" }
    }

    /// What the daemon's store does with the changes: rows by (kind, key).
    struct RowStore {
        var rows: [String: CorrelationStateRow] = [:]

        static func key(_ kind: String, _ key: String) -> String { kind + "\u{0}" + key }

        mutating func apply(_ changes: CorrelationStateChanges) {
            for deletion in changes.deletions { rows[Self.key(deletion.kind, deletion.key)] = nil }
            for row in changes.upserts { rows[Self.key(row.kind, row.key)] = row }
        }

        /// Applies the correlator's pending changes and clears them, as the pipeline does.
        mutating func save(_ correlator: inout CallCorrelator) {
            apply(correlator.pendingStateChanges())
            correlator.clearPendingStateChanges()
        }

        var all: [CorrelationStateRow] { Array(rows.values) }

        /// What a start does with the rows: nothing stored (no change was ever saved) is an empty state.
        func restore() throws -> CallCorrelator {
            rows.isEmpty ? CallCorrelator(configuration: .sample)
                : try CallCorrelator(configuration: .sample, restoringRows: all)
        }
        var keys: Set<String> { Set(rows.keys) }
        func count(of kind: String) -> Int { rows.values.filter { $0.kind == kind }.count }
    }

    /// The restored state equals the live one (the full snapshot is sorted-key JSON of the whole
    /// state, so equal bytes mean equal states), and the stored rows are exactly the live entries.
    static func expectRestorable(_ store: RowStore, equals live: CallCorrelator, _ context: @autoclosure () -> String)
        throws
    {
        let fromRows = try store.restore()
        let fromSnapshot = try CallCorrelator(configuration: .sample, restoring: live.snapshot())
        let want = live.snapshot()
        #expect(fromRows.snapshot() == want, "\(context()): rows restore another state")
        #expect(fromRows.snapshot() == fromSnapshot.snapshot(), "\(context()): rows and snapshot restores differ")
        let full = store.rows.isEmpty ? [] : Set(live.stateRows().map { RowStore.key($0.kind, $0.key) })
        #expect(store.keys == full, "\(context()): stale or missing rows \(store.keys.symmetricDifference(full).sorted().prefix(5))")
    }

    @Test("Rows kept from the changes restore the same state as a full snapshot, after every batch",
          arguments: captures)
    func rowsRestoreTheSameState(capture: String) throws {
        let messages = try SnapshotTests.timedMessages(capture)
        #expect(!messages.isEmpty)
        var live = CallCorrelator(configuration: .sample)
        live.trackStateChanges()
        var store = RowStore()
        // Irregular batches, so cut points fall everywhere (mid-dial, mid-bridge, mid-transfer).
        let sizes = [1, 5, 2, 13, 3, 8, 1, 1, 21]
        // Small captures are checked after every batch; the 26k-event soak about 60 times.
        let checkEvery = max(1, messages.count / 600)
        let resyncAt = messages.count / 2
        var index = 0, batch = 0, checks = 0
        while index < messages.count {
            let end = min(messages.count, index + sizes[batch % sizes.count])
            for (message, instant) in messages[index..<end] { _ = live.process(message, at: instant) }
            if index < resyncAt && end >= resyncAt {
                // A reconnect: the live list finishes what vanished and refreshes the rest.
                live.connectionEstablished()
                let listed = SnapshotTests.liveChannels(after: messages[..<end].map(\.0))
                _ = live.resynchronize(with: Array(listed.dropLast(listed.count / 3)), at: messages[end - 1].1)
            }
            store.save(&live)
            if batch % checkEvery == 0 || end == messages.count {
                try Self.expectRestorable(store, equals: live, "\(capture) after message \(end)")
                checks += 1
            }
            index = end
            batch += 1
        }
        #expect(checks > 0)
        // The end of input ends every call: no call, channel or bridge row is left.
        let last = messages.last!.1
        _ = live.finish(at: last)
        store.save(&live)
        try Self.expectRestorable(store, equals: live, "\(capture) after finish")
        for kind in ["calls", "channels", "bridges", "callIDByLinkedID", "localChannelIDByName"] {
            #expect(store.count(of: kind) == 0, "\(capture): \(kind) rows left after every call ended")
        }
        // Tombstones are deleted when they expire.
        _ = live.expireStale(now: last.adding(seconds: 365 * 86_400))
        store.save(&live)
        try Self.expectRestorable(store, equals: live, "\(capture) after expiry")
        // Only the header is left (and mailbox counts, which the engine keeps by design).
        #expect(Set(store.all.map(\.kind)).isSubset(of: [CallCorrelator.stateHeaderKind, "mailboxNewCounts"]),
                "\(capture): rows left after expiry: \(Set(store.all.map(\.kind)).sorted())")
    }

    @Test("Changes cover only what changed: a dropped call deletes its rows, an untouched call is not rewritten")
    func changesAreIncremental() throws {
        let messages = try SnapshotTests.timedMessages("fixtures/ami/16-concurrent-10-mixed.ami")
        var live = CallCorrelator(configuration: .sample)
        live.trackStateChanges()
        var store = RowStore()
        var sawDeletedCall = false, sawSmallChange = false
        for (message, instant) in messages {
            let callsBefore = Set(live.trackedCallIDs)
            _ = live.process(message, at: instant)
            let changes = live.pendingStateChanges()
            let gone = callsBefore.subtracting(live.trackedCallIDs)
            for call in gone {
                #expect(changes.deletions.contains(.init(kind: "calls", key: call)), "dropped call \(call) not deleted")
                sawDeletedCall = true
            }
            let callRows = changes.upserts.filter { $0.kind == "calls" }.count
            if live.liveCallCount > 2 && !changes.isEmpty && callRows <= 1 { sawSmallChange = true }
            #expect(changes.upserts.filter { $0.kind == "channels" }.count <= 4,
                    "one message rewrote \(changes.upserts.count) rows (\(message.eventName ?? "?"))")
            store.save(&live)
        }
        #expect(sawDeletedCall)
        #expect(sawSmallChange)
        #expect(!live.hasPendingStateChanges)
        // Nothing tracked without `trackStateChanges()` (replay, benchmarks): no memory kept.
        var untracked = CallCorrelator(configuration: .sample)
        for (message, instant) in messages { _ = untracked.process(message, at: instant) }
        #expect(!untracked.hasPendingStateChanges)
        #expect(untracked.pendingStateChanges().isEmpty)
    }

    @Test("A crash between two saves: the rows of the last save, plus the events stored after it, give no second finished, connected or summary and no reused id")
    func crashBetweenSaves() throws {
        for capture in SnapshotTests.captures {
            let messages = try SnapshotTests.timedMessages(capture)
            for crashAt in SnapshotTests.splits(of: messages) {
                for lag in [1, 4, 15] where crashAt - lag > 0 {
                    var first = CallCorrelator(configuration: .sample)
                    first.trackStateChanges()
                    var store = RowStore()
                    let early = SnapshotTests.run(&first, messages[..<(crashAt - lag)])
                    store.save(&first)
                    // The last batch reached the outbox; the process died before its rows.
                    let late = SnapshotTests.run(&first, messages[(crashAt - lag)..<crashAt])
                    var restored = try store.restore()
                    restored.absorbStoredEvents(late.map(StoredEventFact.init))
                    var floors: [String: Int] = [:]
                    for event in early + late { floors[event.callID] = max(floors[event.callID] ?? 0, event.sequence) }
                    restored.continueSequences(after: floors)
                    let live = SnapshotTests.liveChannels(after: messages[..<crashAt].map(\.0))
                    let after = restored.resynchronize(with: live, at: messages[crashAt - 1].1.adding(seconds: 5)).events
                    // Same as the full snapshot taken at the same point (the documented gap: legs created in
                    // the lost batch are adopted by the resync as after a restart without state).
                    var reference = try CallCorrelator(configuration: .sample, restoring: {
                        var twin = CallCorrelator(configuration: .sample)
                        _ = SnapshotTests.run(&twin, messages[..<(crashAt - lag)])
                        return twin.snapshot()
                    }())
                    reference.absorbStoredEvents(late.map(StoredEventFact.init))
                    reference.continueSequences(after: floors)
                    let want = reference.resynchronize(with: live, at: messages[crashAt - 1].1.adding(seconds: 5)).events
                    #expect(after == want, "\(capture) crash at \(crashAt), rows \(lag) messages old")
                    let stored = Set((early + late).map(\.id))
                    #expect(after.allSatisfy { !stored.contains($0.id) }, "\(capture) crash at \(crashAt): an id reused")
                    let finished = Set((early + late).filter { $0.type == .callFinished }.compactMap { $0.data["leg"]?["id"]?.stringValue })
                    let refinished = after.filter { $0.type == .callFinished }.compactMap { $0.data["leg"]?["id"]?.stringValue }
                    #expect(finished.isDisjoint(with: refinished), "\(capture) crash at \(crashAt): a second finished")
                }
            }
        }
    }

    @Test("Rows from another format version, without a header, or damaged, are refused with a clear error")
    func incompatibleRowsAreRefused() throws {
        let messages = try SnapshotTests.timedMessages("fixtures/ami/06-inbound-external-answered.ami")
        var correlator = CallCorrelator(configuration: .sample)
        _ = SnapshotTests.run(&correlator, messages[..<(messages.count / 2)])
        let rows = correlator.stateRows()
        #expect(rows.contains { $0.kind == "channels" })
        var newer = rows
        for index in newer.indices where newer[index].kind == CallCorrelator.stateHeaderKind {
            newer[index].body = Array(String(decoding: newer[index].body, as: UTF8.self)
                .replacingOccurrences(of: "\"version\":\(CallCorrelator.snapshotVersion)", with: "\"version\":99").utf8)
        }
        #expect(throws: CorrelationSnapshotError.unsupportedVersion(found: 99, supported: CallCorrelator.snapshotVersion)) {
            try CallCorrelator(configuration: .sample, restoringRows: newer)
        }
        #expect { try CallCorrelator(configuration: .sample, restoringRows: rows.filter { $0.kind == "channels" }) }
            throws: { error in
                guard case .notASnapshot = error as? CorrelationSnapshotError else { return false }
                return true
            }
        var damaged = rows
        let channel = try #require(damaged.firstIndex { $0.kind == "channels" })
        damaged[channel].body = Array(damaged[channel].body.prefix(10))
        #expect { try CallCorrelator(configuration: .sample, restoringRows: damaged) } throws: { error in
            guard case .corrupt = error as? CorrelationSnapshotError else { return false }
            return "\(error)".contains("channels")
        }
    }

    @Test("Every row body is valid JSON")
    func rowBodiesAreJSON() throws {
        let messages = try SnapshotTests.timedMessages("fixtures/ami/17-soak-300-mixed.ami")
        var correlator = CallCorrelator(configuration: .sample)
        _ = SnapshotTests.run(&correlator, messages[..<(messages.count / 3)])
        for row in correlator.stateRows() {
            #expect((try? JSONSerialization.jsonObject(with: Data(row.body), options: [.fragmentsAllowed])) != nil,
                    "\(row.kind) \(row.key): \(String(decoding: row.body, as: UTF8.self))")
        }
    }
}
