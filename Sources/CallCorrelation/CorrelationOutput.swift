import CallEvents

/// What one input to ``CallCorrelator`` caused: the call events to publish, in emission order, and
/// diagnostics about input the engine ignored or had to guess about.
///
/// Why diagnostics are values and not log lines: the engine is pure (no I/O), so the shell decides
/// whether to log, count or drop them.
public struct CorrelationOutput: Sendable, Hashable {
    public var events: [CallEvent]
    public var diagnostics: [CorrelationDiagnostic]

    public init(events: [CallEvent] = [], diagnostics: [CorrelationDiagnostic] = []) {
        self.events = events
        self.diagnostics = diagnostics
    }

    /// Nothing happened (the common answer for VarSet, Newexten, CEL, …).
    public static let nothing = CorrelationOutput()

    public var isEmpty: Bool { events.isEmpty && diagnostics.isEmpty }

    /// The event names in emission order (handy in transcript tests).
    public var eventNames: [EventName] { events.map(\.type) }

    public mutating func append(_ other: CorrelationOutput) {
        events += other.events
        diagnostics += other.diagnostics
    }
}

/// Input the engine could not use as it stands, or a decision it took without full information.
public enum CorrelationDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// An event named a channel the engine never saw and cannot adopt from this event
    /// (e.g. a `Hangup` right after a reconnect).
    case unknownChannel(uniqueID: String, event: String)
    /// A leg got no event for longer than the expiry time and was finished without a `Hangup`.
    case legExpired(uniqueID: String, callID: String)
    /// A channel seen before a reconnect is not in the live channel list: finished as reconstructed.
    case vanishedDuringDisconnect(uniqueID: String, callID: String)
    /// A channel reported live after a reconnect was unknown and has been adopted.
    case adoptedAfterReconnect(uniqueID: String, callID: String)
    /// A channel's `Linkedid` changed to another call's id (transfer); the calls are now linked.
    case callsLinked(callID: String, relatedCallID: String)
    /// A configured regular expression does not compile; the rule is ignored.
    case invalidPattern(String)

    public var description: String {
        switch self {
        case .unknownChannel(let id, let event): return "\(event) for unknown channel \(id) ignored"
        case .legExpired(let id, let call): return "leg \(id) of call \(call) expired without a Hangup"
        case .vanishedDuringDisconnect(let id, let call):
            return "channel \(id) of call \(call) vanished while disconnected; finished as reconstructed"
        case .adoptedAfterReconnect(let id, let call): return "channel \(id) adopted into call \(call) after reconnect"
        case .callsLinked(let call, let related): return "call \(call) linked to call \(related)"
        case .invalidPattern(let pattern): return "invalid regular expression \(pattern) ignored"
        }
    }
}
