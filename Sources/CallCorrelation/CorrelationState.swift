import CallEvents

/// Everything the engine remembers between inputs. Plain values, so the engine stays a value type
/// that can be copied, compared and persisted (`CallCorrelator.snapshot()`, CallCorrelator+Snapshot.swift).
/// The keyed parts are `TrackedDictionary`s: they record which keys changed, so the daemon persists
/// only those (one row per entry, `CallCorrelator.pendingStateChanges()`).
struct CorrelationState: Sendable, Codable {
    /// Every live channel (real legs and Local halves) by `Uniqueid`.
    var channels = TrackedDictionary<ChannelRecord>()
    /// Live calls by call id.
    var calls = TrackedDictionary<CallRecord>()
    /// `Linkedid` → call id, for channels that join an existing call.
    var callIDByLinkedID = TrackedDictionary<String>()
    /// Local halves by channel name, to find a half's partner (`;1` ↔ `;2`).
    var localChannelIDByName = TrackedDictionary<String>()
    /// Bridges with their members, in entry order.
    var bridges = TrackedDictionary<BridgeRecord>()
    /// Channels and call ids that ended recently, so late events (Cdr, BridgeLeave, VarSet after
    /// Hangup — pitfall P3) neither resurrect them nor reuse a call id. Purged by `expire(before:)`.
    var endedChannels = TrackedDictionary<EventInstant>()
    var usedCallIDs = TrackedDictionary<EventInstant>()
    /// Highest sequence an earlier run already published per call id (the shell reads them from its
    /// outbox before a resync after a restart): an adopted call continues after it, so its event
    /// ids never repeat ones already stored. Consumed when the call is created, cleared after a resync.
    var sequenceFloors = TrackedDictionary<Int>()
    /// Last known `New` count per mailbox, for MWI updates without a channel.
    var mailboxNewCounts = TrackedDictionary<Int>()
    /// Creation counter: orders legs deterministically (never hash order).
    var nextOrder = 0
}

/// The leg's role in its call: the first real channel is the caller, every later one a callee.
enum LegRole: String, Sendable, Codable {
    case caller, callee
}

/// Published leg state (event-model.md): ringing | up | on_hold | down.
enum LegState: String, Sendable, Codable {
    case ringing, up
    case onHold = "on_hold"
    case down
}

/// Where a real channel is in its published life.
enum LegPhase: Sendable, Codable {
    /// Created, nothing published yet (a callee starts with `Exten: s` and no caller ID; the facts
    /// arrive with the next events).
    case pending
    /// `started` published.
    case live
    /// `finished` published.
    case ended
}

struct ChannelRecord: Sendable, Codable {
    let uniqueID: String
    var name: String
    var linkedID: String
    var callID: String
    let isLocal: Bool
    let order: Int
    let createdAt: EventInstant
    var lastActivity: EventInstant

    // Snapshot facts, updated from every event that carries the channel block.
    var callerIDNum: String?
    var callerIDName: String?
    var connectedLineNum: String?
    var accountCode: String?
    var context: String?
    var initialContext: String?
    var initialExten: String?
    var stateDesc: String?
    /// Channel variables a tenant rule looks at.
    var variables: [String: String] = [:]

    // Leg facts (real channels only).
    var phase: LegPhase = .pending
    var role: LegRole = .callee
    var number: String = ""
    var displayName: String?
    var isExternal = false
    var legState: LegState = .ringing
    var answeredAt: EventInstant?
    var connectedAt: EventInstant?
    var endedAt: EventInstant?
    var lastPeerID: String?
    /// The first party this leg talked to (who answered the caller).
    var firstPeerID: String?
    var bridgeIDs: [String] = []
    var dialString: String?
    /// `DialStatus` of the dial that rang this channel.
    var dialStatusToMe: String?
    /// `DialStatus` of the last dial this channel made, and whether any of its dials was answered.
    var lastDialStatusFromMe: String?
    var anyDialAnswered = false
    /// For a Local `;2`: the real channels it dialled.
    var dialedChannelIDs: [String] = []
    var forwardedTo: String?
    var ringNoAnswer = false
    var answeredByApplication = false
    var ranVoicemail = false
    var voicemailFile: String?
    var voicemailStoredAt: EventInstant?
    var voicemailReported = false
    var onHold = false
    var recording = false
    /// The leg whose hangup ended this leg's conversation (itself when it hung up first).
    var endedByLegID: String?
    var hangupCause: Int?
    var hangupCauseText: String?
    /// From `RTPAUDIOQOS*` variables (preferred) and from RTCP reports.
    var quality = QualityFacts()
    var rtcpQuality = QualityFacts()
    var reconstructed = false
    var adopted = false
    /// Rung by a dial (`DialBegin` destination). A *caller* that was itself dialled (Originate,
    /// call file, a Local channel's dialplan) is answered by a person, not by an application.
    var wasDialled = false
    /// `Hangup` seen (Local halves included); the record stays until its call is dropped.
    var hungUp = false
    /// Dialplan application last reported by `Newexten` (why an application answered the leg).
    var application: String?

    var isRealLeg: Bool { !isLocal }
}

/// One call: every channel sharing a `Linkedid`, plus calls linked to it by transfers.
struct CallRecord: Sendable, Codable {
    let id: String
    let startedAt: EventInstant
    /// Frozen when the first event of the call is published, so every event carries the same tenant.
    var tenant: String?
    var direction: CallDirection?
    var dialedNumber: String?
    /// All channels (real and Local) in creation order.
    var channelIDs: [String] = []
    var liveChannelCount = 0
    var sequence = 0
    /// Added to `sequence` in published events (see `CorrelationState.sequenceFloors`).
    var sequenceBase = 0
    var relatedCallIDs: [String] = []
    var queue: QueueVisit?
    @SnapshotJSON var transfers: [JSONValue] = []
    var firstHangupLegID: String?
    var originated = false
    var hasPublished: Bool { sequence > 0 }
    var callerLegID: String?
    var voicemailMailbox: String?
    /// Summaries of linked calls that ended first; this call's summary covers them (one
    /// `customer_interaction` per group of linked calls).
    @SnapshotJSON var inheritedExternalParties: [JSONValue] = []
    var inheritedCallIDs: [String] = []
    /// Every `Linkedid` mapped to this call in `callIDByLinkedID`, and every bridge one of its
    /// channels entered: what `drop` must clean up, without scanning all live calls and bridges.
    /// Optional so that snapshots written before these fields existed still load (no version
    /// bump); `nil` (a call restored from such a snapshot) makes `drop` scan as before.
    var linkedIDs: [String]? = []
    var bridgeIDs: [String]? = []
}

enum CallDirection: String, Sendable, Codable {
    case inbound, outbound, `internal`
}

/// A caller's stay in a queue.
struct QueueVisit: Sendable, Codable {
    var name: String
    var joinedAt: EventInstant
    var position: Int?
    var leftAt: EventInstant?
    var abandoned = false
    var answeredByLegID: String?
    var waitSeconds: Double?
}

struct BridgeRecord: Sendable, Codable {
    var id: String
    var type: String?
    var technology: String?
    var memberIDs: [String] = []

    /// Holding bridges (parking, `holding_bridge`) do not connect their members (ami-reference §2.3).
    var connectsMembers: Bool {
        if let technology, lowercasedEquals(technology, "holding_bridge") { return false }
        if let type, lowercasedEquals(type, "parking") || lowercasedEquals(type, "holding") { return false }
        return true
    }
}

/// `text.lowercased() == lowercase`, without making the lowercased `String` when `text` is ASCII
/// (where lowercasing maps A–Z and nothing else); other text takes `lowercased()` itself, whose
/// Unicode mappings can produce ASCII letters (KELVIN SIGN → `k`). `lowercase` is lowercase ASCII.
func lowercasedEquals(_ text: String, _ lowercase: StaticString) -> Bool {
    let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
    let ascii: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
        bytes.allSatisfy { $0 < 0x80 } ? true : nil
    } ?? nil
    guard ascii == true else { return text.lowercased().utf8.elementsEqual(expected) }
    guard text.utf8.count == expected.count else { return false }
    return zip(text.utf8, expected).allSatisfy { byte, want in
        (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) == want
    }
}

/// Voice-quality figures reported for one channel (RTPAUDIOQOS* variables at hangup, or RTCP).
struct QualityFacts: Sendable, Hashable, Codable {
    var mes: Double?
    var rxJitterSeconds: Double?
    var txJitterSeconds: Double?
    var lossPercent: Double?
    var rttSeconds: Double?
    var rxPackets: Int?
    var txPackets: Int?
    var lostPackets: Int?
    var source: String?

    var isEmpty: Bool { mes == nil && rxJitterSeconds == nil && lossPercent == nil && rttSeconds == nil }
}
