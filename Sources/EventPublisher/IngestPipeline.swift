import AMIClient
import AMIProtocol
import CallCorrelation
import CallEvents
import Dispatch
import Foundation
import Observability
import Synchronization

/// The live ingest loop: AMI client events in, call-leg events handed durably to a sink.
///
/// ## Threads
/// The AMI reader thread only calls ``submit(_:)`` (an append under a lock), so a slow disk never
/// makes Asterisk drop us for not reading. One ingest thread owns the ``CallCorrelator`` (no lock
/// around it) and drains the queue in batches: all messages queued so far are correlated, then the
/// resulting events are handed to the sink in one call (one SQLite transaction in the daemon).
///
/// The queue is bounded (`maxBacklog` messages): when the ingest thread falls that far behind,
/// ``submit(_:)`` waits for it, the socket stops being read and TCP pushes back on Asterisk. An
/// unbounded queue turned every stall into memory that glibc never gave back (a 207k-event burst
/// once held 201 MB). The ingest thread correlates ~170k events/s even with 10,000 live calls, so a
/// full queue drains in well under Asterisk's patience (its socket buffers, then `writetimeout`).
///
/// ## Nothing accepted is lost
/// If the sink throws (disk full, read-only file system), the batch stays in memory and is retried
/// every second; AMI input keeps queueing meanwhile. Events are acknowledged only by the sink.
///
/// ## Surviving a restart
/// With a `saveState` closure the correlator's state is persisted incrementally: the engine records
/// which entries (channels, calls, bridges, tombstones, …) changed
/// (``CallCorrelator/trackStateChanges()``), and every `saveInterval` (0.1 s) at most — sooner when
/// saves are cheap, see ``currentSaveInterval`` — once the
/// sink stored everything correlated so far, the pipeline hands it the rows of those entries
/// (``CallCorrelator/pendingStateChanges()``, one transaction in the daemon). A save happens only
/// when nothing is waiting for the sink, so the stored state never implies events that are not
/// durable yet; it lags the outbox by at most `saveInterval` plus one save (the outbox's sequences
/// and stored events cover that gap at a restore, except legs created within it). A save costs
/// what changed — about one row per channel with an event — not the number of live calls. Given the stored state at start (rows, or a single-blob
/// snapshot of an earlier build), the pipeline resumes it: the first resync then finishes the legs
/// that vanished while the daemon was down and adopts the rest.
public final class IngestPipeline: @unchecked Sendable {
    // @unchecked: `session`, `lastStamped*`, `unsent` and `lastExpiry` are touched only by the ingest thread
    // (started once in `start()`); everything shared goes through `queue` (Mutex) and the semaphores.
    public typealias Sink = @Sendable ([CallEvent]) throws -> Void
    /// Call ids → the highest sequence already stored for them (the outbox), or nothing known.
    public typealias StoredSequences = @Sendable ([String]) throws -> [String: Int]
    /// Call ids → sequence: the stored bodies (JSON envelopes) of each call's events above that
    /// sequence, i.e. what an earlier run published after its last snapshot.
    public typealias StoredEventsAfter = @Sendable ([String: Int]) throws -> [[UInt8]]
    /// Stores one save of the correlation state: rows to write and delete; `replacingAll` when
    /// the rows are the whole state (every stored row, and any old snapshot blob, goes first).
    public typealias StateSaver = @Sendable (_ changes: CorrelationStateChanges, _ replacingAll: Bool) throws -> Void

    /// What an earlier run persisted, as the daemon's store found it.
    public enum RestoredState: Sendable {
        /// Per-entry rows (this build's format).
        case rows([CorrelationStateRow])
        /// The same, read one at a time (header first): the closure hands every stored row to its
        /// argument. What the daemon uses, so a restore never holds every row in memory.
        case streamedRows(@Sendable (_ visit: (CorrelationStateRow) throws -> Void) throws -> Void)
        /// A single-blob snapshot (``CallCorrelator/snapshot()``) written by an earlier build.
        case snapshot([UInt8])
        /// The store could not be read: start empty, and replace whatever is stored at the first
        /// save (incremental rows on top of unknown ones would restore a mix later).
        case unreadable(reason: String)
    }

    /// Counters of the state saves, for logs, metrics and benchmarks.
    public struct StateSaveStatistics: Sendable, Equatable {
        public var saves = 0
        public var rowsWritten = 0
        public var rowsDeleted = 0
        public var bytesWritten = 0
        /// Time spent encoding and storing, seconds; of which encoding the rows.
        public var seconds: Double = 0
        public var encodeSeconds: Double = 0
        public var slowestSeconds: Double = 0
        public var failures = 0
    }

    private let queue = Mutex<[AMIClientEvent]>([])
    /// Signalled by the ingest thread after it took a batch while ``submit(_:)`` waited for room.
    private let roomInQueue = DispatchSemaphore(value: 0)
    private let submitterWaiting = Atomic<Bool>(false)
    private let maxBacklog: Int
    private let statistics = Mutex(StateSaveStatistics())
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// A configuration handed over by a reload, applied by the ingest thread before its next batch.
    private let pendingConfiguration = Mutex<CorrelationConfiguration?>(nil)

    /// The same correlation loop `replay` uses (instant selection + correlator).
    private var session: CorrelationSession
    /// The last PBX `Timestamp:` seen and our wall-clock time when it arrived: messages without a
    /// timestamp get the PBX time extrapolated from it, so PBX and local clocks are never mixed.
    private var lastStamped = EventInstant(microseconds: 0)
    private var lastStampedWall = Date()
    private var unsent: [CallEvent] = []
    private var lastExpiry = Date()
    /// After a sink failure, no new attempt before this time (new AMI input must not retry at once).
    private var nextFlushAttempt = Date.distantPast
    /// When the state was last saved; a failed save is not retried before `nextSaveAttempt`.
    private var lastSave = Date.distantPast
    private var nextSaveAttempt = Date.distantPast
    /// The next save rewrites every row: what is stored is not this state (an old blob was
    /// restored, the stored rows could not be read, or a full rewrite failed).
    private var needsFullRewrite = false
    /// How long the last save took (encoding and storing).
    private var lastSaveCost: TimeInterval = 0
    private var lastStatisticsLog = Date()

    private let sink: Sink
    private let storedSequences: StoredSequences
    private let storedEventsAfter: StoredEventsAfter
    private let metrics: DaemonMetrics
    private let logger: Logger
    /// How often stale legs are expired (the leg expiry itself is in the correlation configuration).
    private let expiryCheckInterval: TimeInterval
    private let saveInterval: TimeInterval
    private let saveState: StateSaver?

    /// `restoring`: the state an earlier run persisted, resumed when it decodes (else logged, and
    /// the pipeline starts empty). Restored calls continue after the highest sequence the outbox
    /// holds for them (`storedSequences`), which may be past the stored state's: event ids are never
    /// reused. `saveInterval`: the longest time between two saves while the state changes (0: after
    /// every stored batch). The default, 0.1 s, bounds what a `kill -9` loses to a tenth of a second
    /// of state at a third of the cost of saving after every batch (docs/PERFORMANCE.md: 12 %
    /// against 33 % of a core at 10,000 events/s with 10,000 live calls; once a second: 10 %).
    /// `maxBacklog`: AMI messages queued before ``submit(_:)`` waits for the ingest thread.
    public init(configuration: CorrelationConfiguration, metrics: DaemonMetrics, logger: Logger,
                expiryCheckInterval: TimeInterval = 60,
                storedSequences: @escaping StoredSequences = { _ in [:] },
                storedEventsAfter: @escaping StoredEventsAfter = { _ in [] },
                restoring restored: RestoredState? = nil, saveInterval: TimeInterval = 0.1,
                saveState: StateSaver? = nil, maxBacklog: Int = 20_000, sink: @escaping Sink) {
        self.session = CorrelationSession(configuration: configuration)
        self.metrics = metrics
        self.logger = logger
        self.expiryCheckInterval = expiryCheckInterval
        self.sink = sink
        self.storedSequences = storedSequences
        self.storedEventsAfter = storedEventsAfter
        self.saveInterval = saveInterval
        self.saveState = saveState
        self.maxBacklog = max(1, maxBacklog)
        for diagnostic in session.correlator.configurationDiagnostics {
            logger.warning("correlation configuration problem", ["diagnostic": diagnostic.description])
        }
        if saveState != nil { session.trackStateChanges() }
        if let restored { restore(restored, configuration: configuration) }
        // A converted or unreadable stored state is replaced now, before AMI input arrives (a
        // rewrite of 10,000 calls takes a moment that should not stall the reader).
        if needsFullRewrite { saveIfDue(force: true) }
    }

    private func restore(_ restored: RestoredState, configuration: CorrelationConfiguration) {
        var correlator: CallCorrelator
        do {
            switch restored {
            case .rows(let rows):
                correlator = try CallCorrelator(configuration: configuration, restoringRows: rows)
            case .streamedRows(let stream):
                var restorer = CorrelationStateRestorer(configuration: configuration)
                try stream { try restorer.add($0) }
                correlator = try restorer.finish()
            case .unreadable(let reason):
                throw CorrelationSnapshotError.notASnapshot(reason: reason)
            case .snapshot(let bytes):
                correlator = try CallCorrelator(configuration: configuration, restoring: bytes)
                // An earlier build's blob: the first save writes it as rows and deletes it.
                needsFullRewrite = true
                logger.info("converting the correlation snapshot of an earlier version to per-entry rows",
                            ["snapshot.bytes": String(bytes.count)])
            }
        } catch {
            let size: String
            switch restored {
            case .rows(let rows): size = String(rows.reduce(0) { $0 + $1.body.count })
            case .streamedRows: size = "(read row by row)"
            case .unreadable: size = "unknown"
            case .snapshot(let bytes): size = String(bytes.count)
            }
            logger.error("cannot restore the correlation snapshot; starting with no calls in progress",
                         ["error": String(describing: error), "snapshot.bytes": size])
            // What is stored describes no state we can use: replace it with this (empty) one.
            needsFullRewrite = true
            return
        }
        if saveState != nil { correlator.trackStateChanges() }
        session = CorrelationSession(correlator: correlator)
        let callIDs = correlator.trackedCallIDs
        var absorbed = 0
        if !callIDs.isEmpty {
            // What the previous run published after the snapshot: applied silently, so the resync
            // does not announce it again under new ids (second finished, connected, summary).
            do {
                let facts = try storedEventsAfter(correlator.publishedSequences).compactMap(Self.fact(fromStoredBody:))
                absorbed = session.absorbStoredEvents(facts)
            } catch {
                logger.error("cannot read events stored after the snapshot; the resync may repeat some facts",
                             ["error": String(describing: error)])
            }
            do {
                session.continueSequences(after: try storedSequences(callIDs))
            } catch {
                logger.error("cannot read stored sequence numbers; restored calls may repeat event ids",
                             ["error": String(describing: error)])
            }
        }
        logger.info("restored the correlation snapshot", ["calls": String(session.correlator.liveCallCount),
                                                           "channels": String(session.correlator.liveChannelCount),
                                                           "events_after_snapshot": String(absorbed)])
    }

    /// The facts of a stored event envelope (`id`, `type`, `timestamp`, `sequence`, `data.call_id`,
    /// `data.leg.id`, `data.peer.id`); nil when the body is not one.
    static func fact(fromStoredBody body: [UInt8]) -> StoredEventFact? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              let type = (object["type"] as? String).flatMap(EventName.init(rawValue:)),
              let sequence = object["sequence"] as? Int,
              let data = object["data"] as? [String: Any], let callID = data["call_id"] as? String
        else { return nil }
        let timestamp = (object["timestamp"] as? String).flatMap(Self.instant(iso8601:)) ?? EventInstant(microseconds: 0)
        return StoredEventFact(callID: callID, sequence: sequence, type: type, timestamp: timestamp,
                               legID: (data["leg"] as? [String: Any])?["id"] as? String,
                               peerLegID: (data["peer"] as? [String: Any])?["id"] as? String)
    }

    /// Parses `EventInstant.iso8601` (`2026-05-01T10:00:00.123Z`).
    static func instant(iso8601 text: String) -> EventInstant? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) else { return nil }
        return EventInstant(microseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1000)
    }

    /// Called from the AMI reader thread. Returns after a short lock, unless `maxBacklog` messages
    /// are waiting: then it waits until the ingest thread takes them (back-pressure on the socket).
    /// It never waits once the pipeline is stopping.
    /// Tenant, number and rating rules of a reloaded configuration: the ingest thread switches to
    /// them before its next batch (see ``CallCorrelator/reconfigure(_:)``).
    public func reconfigure(_ configuration: CorrelationConfiguration) {
        pendingConfiguration.withLock { $0 = configuration }
        wakeUp.signal()
    }

    public func submit(_ event: AMIClientEvent) {
        while true {
            let appended = queue.withLock { pending -> Bool in
                guard pending.count < maxBacklog || stopping.load(ordering: .acquiring) else {
                    submitterWaiting.store(true, ordering: .releasing)
                    return false
                }
                pending.append(event)
                return true
            }
            wakeUp.signal()
            if appended { return }
            // Bounded wait: also covers a signal that raced with the flag.
            _ = roomInQueue.wait(timeout: .now() + .milliseconds(50))
        }
    }

    /// Saves so far (count, rows, bytes, time).
    public var stateSaveStatistics: StateSaveStatistics { statistics.withLock { $0 } }

    /// Messages waiting to be correlated (for /metrics and tests).
    public var backlog: Int { queue.withLock { $0.count } }

    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            self.loop()
            self.finished.signal()
        }
        thread.name = "ingest"
        thread.start()
    }

    /// Processes what is queued, hands the events to the sink, and stops the thread.
    /// Returns false when the sink still refused events at the deadline (they are lost only if
    /// the process then exits; the AMI events themselves are not replayable).
    @discardableResult
    public func stop(timeout: TimeInterval = 10) -> Bool {
        guard started.load(ordering: .acquiring) else { return true }
        stopping.store(true, ordering: .releasing)
        wakeUp.signal()
        return finished.wait(timeout: .now() + timeout) == .success
    }

    // MARK: - Ingest thread

    private func loop() {
        while true {
            _ = wakeUp.wait(timeout: .now() + nextWakeUp())
            let batch = queue.withLock { pending -> [AMIClientEvent] in
                // Not `keepingCapacity`: after a burst the queue's buffer would stay at its peak.
                defer { pending = [] }
                return pending
            }
            if submitterWaiting.exchange(false, ordering: .acquiringAndReleasing) { roomInQueue.signal() }
            applyPendingConfiguration()
            if !batch.isEmpty { process(batch) }
            expireIfDue()
            flush()
            saveIfDue(force: false)
            if stopping.load(ordering: .acquiring) && queue.withLock({ $0.isEmpty }) {
                if unsent.isEmpty {
                    saveIfDue(force: true)
                    logStatistics()
                    return
                }
                // Still failing: keep trying until `stop(timeout:)` gives up on us.
            }
        }
    }

    private func applyPendingConfiguration() {
        guard let configuration = pendingConfiguration.withLock({ pending in
            defer { pending = nil }
            return pending
        }) else { return }
        session.reconfigure(configuration)
        logger.info("correlation rules applied; calls already in progress keep their tenant and direction",
                    ["tenants": String(configuration.tenants.count), "rating": configuration.rating.enabled ? "on" : "off"])
    }

    /// Seconds until the loop must run even without input: 1, or sooner when a state save is
    /// pending (the stored state then trails the outbox by at most `saveInterval` plus one save).
    private func nextWakeUp() -> TimeInterval {
        guard saveState != nil, unsent.isEmpty, session.correlator.hasPendingStateChanges || needsFullRewrite else { return 1 }
        let due = max(lastSave.addingTimeInterval(currentSaveInterval), nextSaveAttempt).timeIntervalSinceNow
        return min(1, max(0.001, due))
    }

    private func process(_ batch: [AMIClientEvent]) {
        var counts: [String: UInt64] = [:]
        for event in batch {
            switch event {
            case .message(let message):
                if let name = message.eventName { counts[name, default: 0] += 1 }
                let output = session.ingest(message, receivedAt: nowInstant())
                noteStamp(of: message)
                unsent += output.events
                log(output.diagnostics)
            case .liveChannels(let channels):
                continueStoredSequences(of: channels)
                let output = session.resynchronize(with: channels, at: nowInstant())
                logger.info("resynchronised with the PBX", ["ami.live_channels": String(channels.count),
                                                             "events": String(output.events.count)])
                unsent += output.events
                log(output.diagnostics)
            case .connected:
                session.connectionEstablished()
                metrics.setAMIConnected(true)
            case .disconnected, .authenticationFailed:
                metrics.setAMIConnected(false)
            }
        }
        metrics.recordIn(counts)
    }

    /// After a restart the correlator adopts calls whose first events an earlier run already stored:
    /// their new events continue those calls' sequences instead of reusing `evt_<call>_1…` ids
    /// (which the outbox would silently ignore as duplicates).
    private func continueStoredSequences(of channels: [AMIMessage]) {
        // Only calls this process does not track yet (all of them after a restart, few on a reconnect).
        let callIDs = Set(channels.compactMap { $0["Linkedid"] }.filter {
            !$0.isEmpty && !session.correlator.isTrackingCall(linkedID: $0)
        })
        guard !callIDs.isEmpty else { return }
        do {
            session.continueSequences(after: try storedSequences(callIDs.sorted()))
        } catch {
            logger.error("cannot read stored sequence numbers; adopted calls may repeat event ids",
                         ["error": String(describing: error)])
        }
    }

    private func flush() {
        guard !unsent.isEmpty, Date() >= nextFlushAttempt else { return }
        do {
            try sink(unsent)
            metrics.recordOut(unsent)
            unsent.removeAll(keepingCapacity: true)
            nextFlushAttempt = .distantPast
        } catch {
            // Every `submit` wakes the loop; without this pause a failing disk would be hit (and the
            // error logged) once per AMI message with an ever larger batch.
            nextFlushAttempt = Date().addingTimeInterval(1)
            logger.error("cannot store events; keeping them in memory and retrying",
                         ["events": String(unsent.count), "error": String(describing: error)])
        }
    }

    /// Time between two saves: 10× what the last one took, at most `saveInterval`. A busy daemon
    /// (10,000 live calls, thousands of events/s: saves of 10–25 ms) saves every `saveInterval`, so
    /// saving stays near a tenth of the ingest thread; a lightly loaded one (saves well under a
    /// millisecond) saves after nearly every batch, and its stored state trails the outbox by
    /// milliseconds instead of a tenth of a second.
    private var currentSaveInterval: TimeInterval { min(saveInterval, 10 * lastSaveCost) }

    /// Saves the entries of the correlator's state that changed, when `currentSaveInterval` passed (or
    /// `force`) and every event the state implies is durable: `unsent` is empty only right after
    /// the sink accepted everything correlated so far, so the stored state is never ahead of the
    /// outbox. The changes are cleared only once stored; a failed save is retried (whole) later.
    private func saveIfDue(force: Bool) {
        guard let saveState, unsent.isEmpty else { return }
        let now = Date()
        guard needsFullRewrite || session.correlator.hasPendingStateChanges,
              force || (now >= nextSaveAttempt && now.timeIntervalSince(lastSave) >= currentSaveInterval)
        else { return }
        let began = Date()
        var changes = CorrelationStateChanges()
        if needsFullRewrite {
            changes.upserts = session.correlator.stateRows()
        } else {
            changes = session.correlator.pendingStateChanges()
        }
        let encoded = Date().timeIntervalSince(began)
        do {
            try saveState(changes, needsFullRewrite)
            session.clearPendingStateChanges()
            needsFullRewrite = false
            lastSave = began
            let took = Date().timeIntervalSince(began)
            lastSaveCost = took
            statistics.withLock {
                $0.saves += 1
                $0.rowsWritten += changes.upserts.count
                $0.rowsDeleted += changes.deletions.count
                $0.bytesWritten += changes.bodyBytes
                $0.seconds += took
                $0.encodeSeconds += encoded
                $0.slowestSeconds = max($0.slowestSeconds, took)
            }
        } catch {
            statistics.withLock { $0.failures += 1 }
            nextSaveAttempt = Date().addingTimeInterval(1)
            logger.error("cannot store the correlation state; a restart may miss legs that end meanwhile",
                         ["error": String(describing: error), "rows": String(changes.upserts.count)])
        }
        if Date().timeIntervalSince(lastStatisticsLog) >= 60 { logStatistics() }
    }

    private func logStatistics() {
        lastStatisticsLog = Date()
        let stats = statistics.withLock { $0 }
        guard stats.saves > 0 || stats.failures > 0 else { return }
        logger.info("correlation state saves", [
            "saves": String(stats.saves), "rows.written": String(stats.rowsWritten),
            "rows.deleted": String(stats.rowsDeleted), "bytes": String(stats.bytesWritten),
            "ms.total": String(format: "%.1f", stats.seconds * 1000),
            "ms.encoding": String(format: "%.1f", stats.encodeSeconds * 1000),
            "ms.slowest": String(format: "%.2f", stats.slowestSeconds * 1000),
            "failures": String(stats.failures), "calls": String(session.correlator.liveCallCount),
        ])
    }

    private func expireIfDue() {
        guard Date().timeIntervalSince(lastExpiry) >= expiryCheckInterval else { return }
        lastExpiry = Date()
        let output = session.expireStale(now: nowInstant())
        unsent += output.events
        log(output.diagnostics)
    }

    /// After the session took a message's instant: when the message carried a `Timestamp:`, that
    /// instant is PBX time, and later messages without one extrapolate from it. (The session parses
    /// the header; it is not parsed twice on this hot path.)
    private func noteStamp(of message: AMIMessage) {
        if message.contains("Timestamp"), session.lastInstant > lastStamped {
            lastStamped = session.lastInstant
            lastStampedWall = Date()
        }
    }

    /// The PBX time extrapolated from the last timestamped event, or our wall clock if the PBX sends
    /// none (`timestampevents = no`).
    private func nowInstant() -> EventInstant {
        if lastStamped.microseconds == 0 {
            return EventInstant(seconds: Date().timeIntervalSince1970)
        }
        return lastStamped.adding(seconds: Date().timeIntervalSince(lastStampedWall))
    }

    private func log(_ diagnostics: [CorrelationDiagnostic]) {
        for diagnostic in diagnostics { logger.debug("correlation", ["diagnostic": diagnostic.description]) }
    }
}
