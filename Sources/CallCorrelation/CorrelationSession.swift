import AMIProtocol
import CallEvents

/// The loop the daemon and `replay` share: picks each message's instant and feeds the correlator.
///
/// The instant is the message's `Timestamp:` header (`timestampevents = yes`, µs since the epoch —
/// the only PBX-side time most events carry, pitfall P20), else the caller's receive time, else the
/// last instant seen; it never goes backwards, so per-call timestamps stay monotonic.
public struct CorrelationSession: Sendable {
    public private(set) var correlator: CallCorrelator
    /// The instant given to the last message.
    public private(set) var lastInstant = EventInstant(microseconds: 0)

    public init(configuration: CorrelationConfiguration) {
        correlator = CallCorrelator(configuration: configuration)
    }

    /// Continues with `correlator` (restored from a snapshot); instants start afresh from its next input.
    public init(correlator: CallCorrelator) {
        self.correlator = correlator
    }

    /// Feeds one message. `receivedAt` is the shell's clock reading (live) or nil (replay).
    public mutating func ingest(_ message: AMIMessage, receivedAt: EventInstant? = nil) -> CorrelationOutput {
        lastInstant = Self.instant(of: message, receivedAt: receivedAt, after: lastInstant)
        return correlator.process(message, at: lastInstant)
    }

    /// End of input: finishes every open leg at the last instant (replay reached the end of a capture).
    public mutating func finish() -> CorrelationOutput { correlator.finish(at: lastInstant) }

    /// A (re)connect's login succeeded: see ``CallCorrelator/connectionEstablished()``.
    public mutating func connectionEstablished() { correlator.connectionEstablished() }

    /// After a reconnect: see ``CallCorrelator/resynchronize(with:at:)``.
    public mutating func resynchronize(with liveChannels: [AMIMessage], at instant: EventInstant) -> CorrelationOutput {
        lastInstant = max(lastInstant, instant)
        return correlator.resynchronize(with: liveChannels, at: lastInstant)
    }

    /// See ``CallCorrelator/absorbStoredEvents(_:)``.
    @discardableResult
    public mutating func absorbStoredEvents(_ facts: [StoredEventFact]) -> Int { correlator.absorbStoredEvents(facts) }

    /// See ``CallCorrelator/continueSequences(after:)``.
    public mutating func continueSequences(after floors: [String: Int]) { correlator.continueSequences(after: floors) }

    /// See ``CallCorrelator/reconfigure(_:)``.
    public mutating func reconfigure(_ configuration: CorrelationConfiguration) { correlator.reconfigure(configuration) }

    /// See ``CallCorrelator/trackStateChanges()`` (incremental persistence).
    public mutating func trackStateChanges() { correlator.trackStateChanges() }

    /// See ``CallCorrelator/clearPendingStateChanges()``.
    public mutating func clearPendingStateChanges() { correlator.clearPendingStateChanges() }

    /// Timer tick of the shell: expires legs silent for longer than the configured expiry.
    public mutating func expireStale(now: EventInstant) -> CorrelationOutput { correlator.expireStale(now: now) }

    /// The message's `Timestamp:` (the first one, key in any case), parsed from its bytes in place:
    /// this runs for every AMI message, and making a `String` of it cost more than the parse.
    public static func stampedInstant(of message: AMIMessage) -> EventInstant? {
        message.withFields { fields in
            for position in 0..<fields.count where equalsIgnoringCase(fields.key(position), "timestamp") {
                return EventInstant(amiTimestampUTF8: fields.value(position))
            }
            return nil
        }
    }

    public static func instant(
        of message: AMIMessage, receivedAt: EventInstant?, after last: EventInstant
    ) -> EventInstant {
        if let stamped = stampedInstant(of: message) { return max(stamped, last) }
        if let receivedAt { return max(receivedAt, last) }
        return last
    }
}
