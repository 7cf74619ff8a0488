import AMIProtocol
import CallEvents

/// Turns AMI events into call-leg events.
///
/// ## Overview
/// Asterisk reports *channels*; integrators want *calls*. A call is the set of channels sharing a
/// `Linkedid`; `Local/…;1`/`;2` halves are plumbing that connects real legs (queue members, ring
/// groups, follow-me); transfers link calls through `related_call_ids`. Each real channel (keyed by
/// `Uniqueid`) is a leg with its own `started` / `connected` / `updated` / `finished`; when the last
/// channel of a call hangs up the call-level `customer_interaction` and `call_rating` follow.
///
/// ## Inputs and outputs
/// Every input is one ``AMIMessage`` and the instant it happened (the capture's `Timestamp:` or the
/// socket's receive time, chosen by the caller). The output is the call events that input caused,
/// in emission order, plus diagnostics. No clock, no I/O, no randomness: the same inputs give
/// byte-identical outputs.
///
/// A leg is announced at its first significant event (ringing, answer, dial, bridge, queue,
/// hangup), not at `Newchannel`: a dialled channel starts with `Exten: s` and no caller ID, and a
/// trunk's accountcode (hence the tenant) is often set by the dialplan just after creation.
/// `started_at` keeps the creation time.
///
/// ## Invariants
/// 1. A leg publishes `started` once, `finished` once, and nothing after `finished`; `started` of
///    the caller comes before any event of its callees.
/// 2. Event ids are `evt_<call id>_<sequence>` and `sequence` counts every event of a call from 1,
///    so a replay produces the same ids.
/// 3. Memory is bounded: a call is dropped when its last channel hangs up; ``expire(before:)``
///    finishes legs that never got a `Hangup` and forgets old tombstones.
/// 4. Local halves are never legs.
public struct CallCorrelator: Sendable {
    public private(set) var configuration: CorrelationConfiguration
    private(set) var classifier: PartyClassifier
    var state = CorrelationState()
    /// Channels that had an event since ``connectionEstablished()``, until the next resync reads it.
    /// Not part of the snapshot: it only bridges a connect and the live list that follows it.
    var touchedSinceConnect: Set<String>? = nil
    /// Published leg objects by leg id (see ``LegObjectMemo``). Derived data, not in the snapshot.
    var legObjects = LegObjectCache()

    public init(configuration: CorrelationConfiguration = CorrelationConfiguration()) {
        self.configuration = configuration
        self.classifier = PartyClassifier(configuration: configuration)
    }

    /// Follows `configuration` from the next input on (a configuration reload): tenant rules, the
    /// internal-number and trunk patterns and the rating plans. What a call already published stays
    /// as it was — a call's tenant and direction are frozen at its first event, and a leg already
    /// classified keeps its `external` flag — so no call changes tenant or direction mid-way;
    /// legs announced later and ratings of calls that end later use the new rules.
    public mutating func reconfigure(_ configuration: CorrelationConfiguration) {
        self.configuration = configuration
        classifier = PartyClassifier(configuration: configuration)
    }

    /// Configuration problems found at start (invalid regular expressions).
    public var configurationDiagnostics: [CorrelationDiagnostic] { classifier.diagnostics }
    /// Calls with at least one live channel.
    public var liveCallCount: Int { state.calls.count }
    /// Whether channels with this `Linkedid` would join a call the engine is tracking now.
    public func isTrackingCall(linkedID: String) -> Bool {
        state.callIDByLinkedID[linkedID].map { state.calls[$0] != nil } ?? false
    }
    /// Live channels, Local halves included.
    public var liveChannelCount: Int { state.channels.count }

    /// Feeds one AMI message. Messages that are not events (responses, list items) are ignored.
    public mutating func process(_ message: AMIMessage, at instant: EventInstant) -> CorrelationOutput {
        guard let kind = AMIEventKind(of: message) else { return .nothing }
        var out = CorrelationOutput()
        dispatch(kind, message, at: instant, into: &out)
        return out
    }

    private mutating func dispatch(
        _ kind: AMIEventKind, _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        switch kind {
        case .varSet: handleVarSet(message, at: instant, into: &out)
        case .newexten: handleNewexten(message, at: instant)
        case .newAccountCode: handleSnapshotRefresh(message, at: instant)
        case .rtcpSent, .rtcpReceived: if configuration.rating.enabled { handleRTCP(message, at: instant) }
        case .newchannel: handleNewchannel(message, at: instant, into: &out)
        case .newstate: handleNewstate(message, at: instant, into: &out)
        case .newCallerid: handleNewCallerID(message, at: instant, into: &out)
        case .newConnectedLine: handleNewConnectedLine(message, at: instant, into: &out)
        case .hangupRequest: handleHangupRequest(message, at: instant)
        case .hangup: handleHangup(message, at: instant, into: &out)
        case .dialBegin: handleDialBegin(message, at: instant, into: &out)
        case .dialEnd: handleDialEnd(message, at: instant, into: &out)
        case .bridgeCreate: handleBridgeCreate(message)
        case .bridgeEnter: handleBridgeEnter(message, at: instant, into: &out)
        case .bridgeLeave: handleBridgeLeave(message, at: instant)
        case .bridgeDestroy: handleBridgeDestroy(message)
        case .bridgeMerge: handleBridgeMerge(message, at: instant, into: &out)
        case .queueCallerJoin: handleQueueCallerJoin(message, at: instant, into: &out)
        case .queueCallerLeave: handleQueueCallerLeave(message, at: instant, into: &out)
        case .queueCallerAbandon: handleQueueCallerAbandon(message, at: instant, into: &out)
        case .agentCalled: handleAgentCalled(message, at: instant)
        case .agentConnect: handleAgentConnect(message, at: instant)
        case .agentRingNoAnswer: handleAgentRingNoAnswer(message, at: instant)
        case .blindTransfer: handleBlindTransfer(message, at: instant, into: &out)
        case .attendedTransfer: handleAttendedTransfer(message, at: instant, into: &out)
        case .hold: handleHold(message, onHold: true, at: instant, into: &out)
        case .unhold: handleHold(message, onHold: false, at: instant, into: &out)
        case .mixMonitorStart: handleRecording(message, started: true, at: instant, into: &out)
        case .mixMonitorStop: handleRecording(message, started: false, at: instant, into: &out)
        case .messageWaiting: handleMessageWaiting(message, at: instant, into: &out)
        case .rename: handleRename(message)
        }
    }
}
