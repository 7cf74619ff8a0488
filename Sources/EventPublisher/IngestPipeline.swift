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
/// ## Nothing accepted is lost
/// If the sink throws (disk full, read-only file system), the batch stays in memory and is retried
/// every second; AMI input keeps queueing meanwhile. Events are acknowledged only by the sink.
///
/// ## Surviving a restart
/// With a `saveSnapshot` closure the correlator's state is persisted (``CallCorrelator/snapshot()``)
/// on the ingest thread at most every `snapshotInterval` seconds, and once more when the pipeline
/// stops — but only when nothing is waiting for the sink, so a snapshot never implies events that
/// are not durable yet (it may lag behind them; the outbox's sequences cover that gap, see
/// ``init(configuration:metrics:logger:expiryCheckInterval:storedSequences:snapshot:snapshotInterval:saveSnapshot:sink:)``).
/// Given the last snapshot at start, the pipeline resumes it: the first resync then finishes the
/// legs that vanished while the daemon was down and adopts the rest.
public final class IngestPipeline: @unchecked Sendable {
    // @unchecked: `session`, `lastStamped*`, `unsent` and `lastExpiry` are touched only by the ingest thread
    // (started once in `start()`); everything shared goes through `queue` (Mutex) and the semaphores.
    public typealias Sink = @Sendable ([CallEvent]) throws -> Void
    /// Call ids → the highest sequence already stored for them (the outbox), or nothing known.
    public typealias StoredSequences = @Sendable ([String]) throws -> [String: Int]
    /// Call ids → sequence: the stored bodies (JSON envelopes) of each call's events above that
    /// sequence, i.e. what an earlier run published after its last snapshot.
    public typealias StoredEventsAfter = @Sendable ([String: Int]) throws -> [[UInt8]]
    /// Persists a correlation snapshot (replacing the previous one).
    public typealias SnapshotSaver = @Sendable ([UInt8]) throws -> Void

    private let queue = Mutex<[AMIClientEvent]>([])
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

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
    /// Whether the correlator changed since the last snapshot, and when that snapshot was taken.
    private var snapshotDirty = false
    private var lastSnapshot = Date()
    /// How long the last snapshot took to encode and store: the interval adapts so snapshots never
    /// take more than about 5 % of the ingest thread (a small state is saved every
    /// `snapshotInterval`; 10,000 live calls less often).
    private var lastSnapshotCost: TimeInterval = 0

    private let sink: Sink
    private let storedSequences: StoredSequences
    private let storedEventsAfter: StoredEventsAfter
    private let metrics: DaemonMetrics
    private let logger: Logger
    /// How often stale legs are expired (the leg expiry itself is in the correlation configuration).
    private let expiryCheckInterval: TimeInterval
    private let snapshotInterval: TimeInterval
    private let saveSnapshot: SnapshotSaver?

    /// `snapshot`: the state an earlier run persisted, resumed when it decodes (else logged, and the
    /// pipeline starts empty). Restored calls continue after the highest sequence the outbox holds
    /// for them (`storedSequences`), which may be past the snapshot's: event ids are never reused.
    public init(configuration: CorrelationConfiguration, metrics: DaemonMetrics, logger: Logger,
                expiryCheckInterval: TimeInterval = 60,
                storedSequences: @escaping StoredSequences = { _ in [:] },
                storedEventsAfter: @escaping StoredEventsAfter = { _ in [] },
                snapshot: [UInt8]? = nil, snapshotInterval: TimeInterval = 0.25,
                saveSnapshot: SnapshotSaver? = nil, sink: @escaping Sink) {
        self.session = CorrelationSession(configuration: configuration)
        self.metrics = metrics
        self.logger = logger
        self.expiryCheckInterval = expiryCheckInterval
        self.sink = sink
        self.storedSequences = storedSequences
        self.storedEventsAfter = storedEventsAfter
        self.snapshotInterval = snapshotInterval
        self.saveSnapshot = saveSnapshot
        for diagnostic in session.correlator.configurationDiagnostics {
            logger.warning("correlation configuration problem", ["diagnostic": diagnostic.description])
        }
        if let snapshot { restore(snapshot, configuration: configuration) }
    }

    private func restore(_ snapshot: [UInt8], configuration: CorrelationConfiguration) {
        let correlator: CallCorrelator
        do {
            correlator = try CallCorrelator(configuration: configuration, restoring: snapshot)
        } catch {
            logger.error("cannot restore the correlation snapshot; starting with no calls in progress",
                         ["error": String(describing: error), "snapshot.bytes": String(snapshot.count)])
            return
        }
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

    /// Called from the AMI reader thread: never blocks beyond a short lock.
    public func submit(_ event: AMIClientEvent) {
        queue.withLock { $0.append(event) }
        wakeUp.signal()
    }

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
            _ = wakeUp.wait(timeout: .now() + 1)
            let batch = queue.withLock { pending -> [AMIClientEvent] in
                defer { pending.removeAll(keepingCapacity: true) }
                return pending
            }
            if !batch.isEmpty { process(batch) }
            expireIfDue()
            flush()
            snapshotIfDue(force: false)
            if stopping.load(ordering: .acquiring) && queue.withLock({ $0.isEmpty }) {
                if unsent.isEmpty {
                    snapshotIfDue(force: true)
                    return
                }
                // Still failing: keep trying until `stop(timeout:)` gives up on us.
            }
        }
    }

    private func process(_ batch: [AMIClientEvent]) {
        snapshotDirty = true
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

    /// Persists the correlator's state when it changed, `snapshotInterval` passed (or `force`), and
    /// every event it implies is durable: `unsent` is empty only right after the sink accepted
    /// everything correlated so far, so the snapshot is never ahead of the outbox.
    private func snapshotIfDue(force: Bool) {
        let interval = max(snapshotInterval, 20 * lastSnapshotCost)
        guard let saveSnapshot, snapshotDirty, unsent.isEmpty,
              force || Date().timeIntervalSince(lastSnapshot) >= interval else { return }
        let began = Date()
        lastSnapshot = began
        do {
            try saveSnapshot(session.correlator.snapshot())
            lastSnapshotCost = Date().timeIntervalSince(began)
            snapshotDirty = false
        } catch {
            logger.error("cannot store the correlation snapshot; a restart may miss legs that end meanwhile",
                         ["error": String(describing: error)])
        }
    }

    private func expireIfDue() {
        guard Date().timeIntervalSince(lastExpiry) >= expiryCheckInterval else { return }
        lastExpiry = Date()
        snapshotDirty = true
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
