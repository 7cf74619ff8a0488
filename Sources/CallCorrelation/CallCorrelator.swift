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
    public let configuration: CorrelationConfiguration
    let classifier: PartyClassifier
    var state = CorrelationState()
    /// Channels that had an event since ``connectionEstablished()``, until the next resync reads it.
    /// Not part of the snapshot: it only bridges a connect and the live list that follows it.
    var touchedSinceConnect: Set<String>? = nil
    /// Published leg objects by leg id (see ``LegObjectMemo``). Derived data, not in the snapshot.
    var legObjects: [String: LegObjectMemo] = [:]

    public init(configuration: CorrelationConfiguration = CorrelationConfiguration()) {
        self.configuration = configuration
        self.classifier = PartyClassifier(configuration: configuration)
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
        guard let name = message.eventName else { return .nothing }
        var out = CorrelationOutput()
        dispatch(name, message, at: instant, into: &out)
        return out
    }

    private mutating func dispatch(
        _ name: String, _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        switch name {
        // The noisy ones first: most of the stream, almost always ignored.
        case "VarSet": handleVarSet(message, at: instant, into: &out)
        case "Newexten": handleNewexten(message, at: instant)
        case "CEL", "DeviceStateChange", "Cdr", "DialState", "SoftHangupRequest", "QueueMemberStatus",
            "MusicOnHoldStart", "MusicOnHoldStop", "LocalBridge", "LocalOptimizationBegin",
            "LocalOptimizationEnd", "FullyBooted", "SuccessfulAuth", "AgentDump", "QueueMemberAdded",
            "QueueMemberRemoved", "QueueMemberPause", "Registry", "PeerStatus", "ContactStatus",
            "OriginateResponse", "BridgeVideoSourceUpdate":
            break
        case "NewAccountCode": handleSnapshotRefresh(message, at: instant)
        case "RTCPSent", "RTCPReceived": if configuration.rating.enabled { handleRTCP(message, at: instant) }
        case "Newchannel": handleNewchannel(message, at: instant, into: &out)
        case "Newstate": handleNewstate(message, at: instant, into: &out)
        case "NewCallerid": handleNewCallerID(message, at: instant, into: &out)
        case "NewConnectedLine": handleNewConnectedLine(message, at: instant, into: &out)
        case "HangupRequest": handleHangupRequest(message, at: instant)
        case "Hangup": handleHangup(message, at: instant, into: &out)
        case "DialBegin": handleDialBegin(message, at: instant, into: &out)
        case "DialEnd": handleDialEnd(message, at: instant, into: &out)
        case "BridgeCreate": handleBridgeCreate(message)
        case "BridgeEnter": handleBridgeEnter(message, at: instant, into: &out)
        case "BridgeLeave": handleBridgeLeave(message, at: instant)
        case "BridgeDestroy": handleBridgeDestroy(message)
        case "BridgeMerge": handleBridgeMerge(message, at: instant, into: &out)
        case "QueueCallerJoin": handleQueueCallerJoin(message, at: instant, into: &out)
        case "QueueCallerLeave": handleQueueCallerLeave(message, at: instant, into: &out)
        case "QueueCallerAbandon": handleQueueCallerAbandon(message, at: instant, into: &out)
        case "AgentCalled": handleAgentCalled(message, at: instant)
        case "AgentConnect": handleAgentConnect(message, at: instant)
        case "AgentRingNoAnswer": handleAgentRingNoAnswer(message, at: instant)
        case "AgentComplete": break
        case "BlindTransfer": handleBlindTransfer(message, at: instant, into: &out)
        case "AttendedTransfer": handleAttendedTransfer(message, at: instant, into: &out)
        case "Hold": handleHold(message, onHold: true, at: instant, into: &out)
        case "Unhold": handleHold(message, onHold: false, at: instant, into: &out)
        case "MixMonitorStart": handleRecording(message, started: true, at: instant, into: &out)
        case "MixMonitorStop": handleRecording(message, started: false, at: instant, into: &out)
        case "MessageWaiting": handleMessageWaiting(message, at: instant, into: &out)
        case "Rename": handleRename(message)
        default:
            // Event names are fixed strings in Asterisk, but keys and values are case-insensitive by
            // the spec (pitfall P8): accept any spelling of the names we handle.
            if let canonical = Self.canonicalNames[name.lowercased()], canonical != name {
                dispatch(canonical, message, at: instant, into: &out)
            }
        }
    }

    private static let canonicalNames: [String: String] = {
        let names = [
            "VarSet", "Newexten", "Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "NewAccountCode",
            "HangupRequest", "Hangup", "DialBegin", "DialEnd", "BridgeCreate", "BridgeEnter", "BridgeLeave",
            "BridgeDestroy", "BridgeMerge", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
            "AgentCalled", "AgentConnect", "AgentRingNoAnswer", "BlindTransfer", "AttendedTransfer", "Hold",
            "Unhold", "MixMonitorStart", "MixMonitorStop", "MessageWaiting", "Rename", "RTCPSent", "RTCPReceived",
        ]
        return Dictionary(uniqueKeysWithValues: names.map { ($0.lowercased(), $0) })
    }()
}
