import CallEvents

/// Building the published payloads (event-model.md). Keys are sorted at encoding time; the order
/// of legs in `legs` is creation order, never hash order.
extension CallCorrelator {
    /// Appends a leg event (`started`/`connected`/`updated`/`finished`) of leg `legID`; `peerID`
    /// adds that leg's object as `peer` (`connected`).
    ///
    /// Each leg object is built once per event: the leg itself and its peer are taken from the
    /// `legs` snapshot when they are in it (formatting instants and hashing keys is most of the
    /// cost of an event).
    mutating func emitLegEvent(
        _ type: EventName, legID: String, peerID: String? = nil, extra: EventFields = [:],
        at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let legIndex = state.channels.index(forKey: legID) else { return }
        let callID = state.channels.borrowValue(at: legIndex) { $0.callID }
        var builtLegs = BuiltLegs()
        let template = LegEventTemplates.shared.template(for: type)
        var data = template.blank
        fillCallData(callID, into: &data, template: template, builtLegs: &builtLegs)
        let legObject = builtLegs.first(withUniqueID: legID)?.object ?? legDictionary(legID)!
        data.set(.leg, .object(legObject), in: template)
        // The leg object comes from `legObjectTemplate`: its slots read without hashing.
        data.set(.startedAt, legObject.values[legObjectTemplate.slot(.startedAt)], in: template)
        data.set(.answeredAt, legObject.values[legObjectTemplate.slot(.answeredAt)], in: template)
        data.set(.endedAt, legObject.values[legObjectTemplate.slot(.endedAt)], in: template)
        var fields = extra
        if let peerID,
            let peerObject = builtLegs.first(withUniqueID: peerID)?.object ?? legDictionary(peerID)
        {
            fields.append(.peer, .object(peerObject))
        }
        fields.store(into: &data, template: template)
        emitCallEvent(type, callID: callID, data: data, at: instant, into: &out)
    }

    /// Appends any event of a call with the next sequence number of that call.
    mutating func emitCallEvent(
        _ type: EventName, callID: String, data: [String: JSONValue], at instant: EventInstant,
        into out: inout CorrelationOutput
    ) {
        guard
            let (sequence, tenant) = withCall(callID, { call -> (Int, String?) in
                call.sequence += 1
                return (call.sequenceBase + call.sequence, call.tenant)
            })
        else { preconditionFailure("no call \(callID)") }
        // Room for the events one message usually causes (a connect publishes two, a hangup up to
        // three): growing the list one event at a time reallocated it for each.
        if out.events.isEmpty { out.events.reserveCapacity(4) }
        out.events.append(
            CallEvent(
                id: eventID(callID: callID, sequence: sequence), type: type, timestamp: instant,
                tenant: tenant ?? CorrelationConfiguration.mainTenant, sequence: sequence,
                callID: callID, data: .object(data)))
    }

    /// The call-level part of every leg event: ids, direction, parties, queue and the legs snapshot.
    mutating func callData(_ callID: String) -> [String: JSONValue] {
        var builtLegs = BuiltLegs()
        let template = callDataTemplate
        var data = template.blank
        fillCallData(callID, into: &data, template: template, builtLegs: &builtLegs)
        return data
    }

    /// Stores the fields of ``callData(_:)`` in `data` (made from `template`) and hands back the memo
    /// entries of the `legs` snapshot, in order, for callers that publish one of them again (`leg`,
    /// `peer`).
    ///
    /// Records are borrowed, never copied or marked as changed, and each leg is looked up once: the
    /// caller's `lastPeerID` is read when the loop meets the caller.
    mutating func fillCallData(
        _ callID: String, into data: inout [String: JSONValue], template: JSONObjectTemplate<CallDataField>,
        builtLegs: inout BuiltLegs
    ) {
        guard let callIndex = state.calls.index(forKey: callID) else { preconditionFailure("no call \(callID)") }
        let (channelIDs, callerLegID, dialedNumber, relatedCallIDs, direction, queue) =
            state.calls.borrowValue(at: callIndex) {
                ($0.channelIDs, $0.callerLegID, $0.dialedNumber, $0.relatedCallIDs, $0.direction, $0.queue)
            }
        var legs: [JSONValue] = []
        legs.reserveCapacity(channelIDs.count)
        var firstCallee: LegObjectMemo?
        /// `.some(lastPeerID)` of the caller once its record was read (it exists then).
        var callerPeerID: String??
        for id in channelIDs {
            guard let index = state.channels.index(forKey: id) else { continue }
            if callerPeerID == nil, let callerLegID, id == callerLegID {
                callerPeerID = .some(state.channels.borrowValue(at: index) { $0.lastPeerID })
            }
            guard let role = state.channels.borrowValue(at: index, { $0.isRealLeg && $0.phase != .pending ? $0.role : nil })
            else { continue }
            let memo = legMemo(at: index)
            if firstCallee == nil, role == .callee { firstCallee = memo }
            builtLegs.append(memo)
            legs.append(.object(memo.object))
        }
        if callerPeerID == nil, let callerLegID, let index = state.channels.index(forKey: callerLegID) {
            callerPeerID = .some(state.channels.borrowValue(at: index) { $0.lastPeerID })
        }
        // `from`/`to` are legs of this call most of the time: their memo entries were just read.
        func party(_ id: String) -> JSONValue? {
            if let built = builtLegs.first(withUniqueID: id) { return built.party }
            return state.channels.index(forKey: id).map { legMemo(at: $0).party }
        }
        var to: JSONValue?
        if let callerPeer = callerPeerID, let peerID = callerPeer, let peer = party(peerID) {
            to = peer
        } else if let firstCallee {
            to = firstCallee.party
        }
        let from: JSONValue? = callerPeerID != nil ? callerLegID.flatMap { party($0) } : nil
        data.set(.callID, .string(callID), in: template)
        data.set(.relatedCallIDs, .array(relatedCallIDs.map { .string($0) }), in: template)
        data.set(.direction, .string((direction ?? .internal).rawValue), in: template)
        data.set(.from, from ?? partyJSON(number: nil, name: nil), in: template)
        data.set(.to, to ?? partyJSON(number: .optional(dialedNumber), name: nil), in: template)
        data.set(.dialedNumber, .optional(dialedNumber), in: template)
        data.set(.queue, queueJSON(queue), in: template)
        data.set(.legs, .array(legs), in: template)
    }

    /// Real legs of the call that have been announced, in creation order.
    func publishedLegs(of call: CallRecord) -> [ChannelRecord] {
        call.channelIDs.compactMap { id in
            guard let leg = state.channels[id], leg.isRealLeg, leg.phase != .pending else { return nil }
            return leg
        }
    }

    func partyJSON(_ leg: ChannelRecord) -> JSONValue {
        partyJSON(number: .string(leg.number), name: .optional(leg.displayName))
    }

    /// `{"name":…,"number":…}`.
    func partyJSON(number: JSONValue, name: JSONValue) -> JSONValue {
        let template = partyTemplate
        var object = template.blank
        object.set(.number, number, in: template)
        object.set(.name, name, in: template)
        return .object(object)
    }

    func queueJSON(_ queue: QueueVisit?) -> JSONValue {
        guard let queue else { return .null }
        return [
            "name": .string(queue.name),
            "joined_at": .string(queue.joinedAt.iso8601),
            "left_at": .optional(queue.leftAt?.iso8601),
            "wait_seconds": queue.waitSeconds.map { .double(roundedSeconds($0)) } ?? .null,
            "abandoned": .bool(queue.abandoned),
        ]
    }

    /// Links two calls (a transfer joined them): each lists the other in `related_call_ids` from
    /// now on. Legs stay in the call that announced them.
    mutating func linkCalls(_ first: String, _ second: String, into out: inout CorrelationOutput) {
        guard first != second, state.calls[first] != nil, state.calls[second] != nil else { return }
        guard !state.calls[first]!.relatedCallIDs.contains(second) else { return }
        state.calls[first]!.relatedCallIDs.append(second)
        state.calls[second]!.relatedCallIDs.append(first)
        out.diagnostics.append(.callsLinked(callID: first, relatedCallID: second))
    }
}

/// `evt_<call id>_<sequence>` (invariant 2), written into one buffer.
///
/// Why: string interpolation appended three pieces (a `String.append` each, with its growth
/// checks) and formatted the integer through `description`, ~1.2k instructions per event.
func eventID(callID: String, sequence: Int) -> String {
    guard sequence >= 0 else { return "evt_\(callID)_\(sequence)" }
    var digits = 1
    var rest = sequence / 10
    while rest > 0 {
        digits += 1
        rest /= 10
    }
    var callID = callID
    return callID.withUTF8 { id in
        String(unsafeUninitializedCapacity: 5 + id.count + digits) { buffer in
            buffer[0] = UInt8(ascii: "e")
            buffer[1] = UInt8(ascii: "v")
            buffer[2] = UInt8(ascii: "t")
            buffer[3] = UInt8(ascii: "_")
            // The id copied as one block (a byte loop was ~190 instructions an event).
            if let source = id.baseAddress, !id.isEmpty {
                (buffer.baseAddress! + 4).initialize(from: source, count: id.count)
            }
            var end = 4 + id.count
            buffer[end] = UInt8(ascii: "_")
            end += digits
            var value = sequence
            for offset in 0..<digits {
                buffer[end - offset] = UInt8(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            }
            return end + 1
        }
    }
}

/// The call-level keys of leg events and summaries (`callDataTemplate`), those every leg event adds,
/// and the event-specific ones (``LegEventTemplates``).
enum CallDataField: Int, JSONObjectField {
    case callID, relatedCallIDs, direction, from, to, dialedNumber, queue, legs
    case leg, startedAt, answeredAt, endedAt
    /// Event-specific fields (``EventFields``).
    case peer, change, reconstructed, disposition, hangupCause, hangupCauseText, ringSeconds, talkSeconds, hangupBy
    case forwardedTo

    /// The fields of every leg event.
    static let legEventFields: [CallDataField] = [
        .callID, .relatedCallIDs, .direction, .from, .to, .dialedNumber, .queue, .legs, .leg, .startedAt, .answeredAt,
        .endedAt,
    ]

    var key: String {
        switch self {
        case .callID: "call_id"
        case .relatedCallIDs: "related_call_ids"
        case .direction: "direction"
        case .from: "from"
        case .to: "to"
        case .dialedNumber: "dialed_number"
        case .queue: "queue"
        case .legs: "legs"
        case .leg: "leg"
        case .startedAt: "started_at"
        case .answeredAt: "answered_at"
        case .endedAt: "ended_at"
        case .peer: "peer"
        case .change: "change"
        case .reconstructed: "reconstructed"
        case .disposition: "disposition"
        case .hangupCause: "hangup_cause"
        case .hangupCauseText: "hangup_cause_text"
        case .ringSeconds: "ring_seconds"
        case .talkSeconds: "talk_seconds"
        case .hangupBy: "hangup_by"
        case .forwardedTo: "forwarded_to"
        }
    }
}

/// Room for the keys added after the template's (event-specific data, summaries).
let callDataTemplate = JSONObjectTemplate<CallDataField>(
    [.callID, .relatedCallIDs, .direction, .from, .to, .dialedNumber, .queue, .legs], spare: 16)

/// The blank data of each leg event type: the fields of every leg event plus the event-specific
/// fields that type (nearly) always carries (`peer` of `connected`, `change` of `updated`, the
/// outcome of `finished`), so that those are stored by slot instead of hashed into the data.
/// ``EventFields/store(into:template:)`` removes a template field an event did not get.
struct LegEventTemplates: Sendable {
    static let shared = LegEventTemplates()

    let started = JSONObjectTemplate<CallDataField>(CallDataField.legEventFields, spare: 12)
    let connected = JSONObjectTemplate<CallDataField>(CallDataField.legEventFields + [.peer], spare: 12)
    let updated = JSONObjectTemplate<CallDataField>(CallDataField.legEventFields + [.change], spare: 12)
    let finished = JSONObjectTemplate<CallDataField>(
        CallDataField.legEventFields + [
            .disposition, .hangupCause, .hangupCauseText, .ringSeconds, .talkSeconds, .reconstructed, .hangupBy,
        ], spare: 12)

    func template(for type: EventName) -> JSONObjectTemplate<CallDataField> {
        switch type {
        case .callConnected: connected
        case .callUpdated: updated
        case .callFinished: finished
        default: started
        }
    }
}

enum PartyField: Int, JSONObjectField {
    case number, name

    var key: String {
        switch self {
        case .number: "number"
        case .name: "name"
        }
    }
}

let partyTemplate = JSONObjectTemplate<PartyField>()

/// Event-specific fields of a leg event (`change`, `disposition`, …), stored into its data in
/// order. A list, not a dictionary, keyed by ``CallDataField``: a field the event's template holds
/// is stored by slot, any other is hashed once, when it goes into the data.
struct EventFields: ExpressibleByDictionaryLiteral {
    private(set) var pairs: [(CallDataField, JSONValue)]

    init(dictionaryLiteral elements: (CallDataField, JSONValue)...) { pairs = elements }

    /// Adds a field; a later field with the same key replaces an earlier one in the data.
    mutating func append(_ field: CallDataField, _ value: JSONValue) { pairs.append((field, value)) }

    /// A bit per field.
    static func mask(_ fields: [CallDataField]) -> UInt32 { fields.reduce(0) { $0 | 1 << UInt32($1.rawValue) } }

    /// The fields every leg event has, as a mask (computed once, not per event).
    private static let legEventFieldMask = mask(CallDataField.legEventFields)

    /// Stores the fields into `data` (made from `template`): first every field the template holds,
    /// by slot, then the others by key, then the template's event-specific fields this event did not
    /// get are removed (they must not be published as `null`). In that order because adding keys
    /// keeps the template's slots valid (the blank has spare room) and removing them does not.
    func store(into data: inout [String: JSONValue], template: JSONObjectTemplate<CallDataField>) {
        var stored: UInt32 = 0
        for (field, value) in pairs where template.holds(field) {
            data.set(field, value, in: template)
            stored |= 1 << UInt32(field.rawValue)
        }
        for (field, value) in pairs where !template.holds(field) { data[field.key] = value }
        let eventSpecific = template.fieldMask & ~Self.legEventFieldMask
        var missing = eventSpecific & ~stored
        while missing != 0 {
            let raw = missing.trailingZeroBitCount
            missing &= missing - 1
            data.removeValue(forKey: CallDataField(rawValue: raw)!.key)
        }
    }
}

/// The memo entries of the `legs` snapshot ``CallCorrelator/fillCallData(_:into:template:builtLegs:)``
/// built, in order: the first four inline, any more in an array.
///
/// Why: an array reserved for them was an allocation and a free for every event, and most calls
/// have two to four legs.
struct BuiltLegs {
    static let inlineCapacity = 4
    private var inline = InlineArray<4, LegObjectMemo?>(repeating: nil)
    private var inlineCount = 0
    private var overflow: [LegObjectMemo] = []

    mutating func append(_ memo: LegObjectMemo) {
        if inlineCount < Self.inlineCapacity {
            inline[inlineCount] = memo
            inlineCount += 1
        } else {
            overflow.append(memo)
        }
    }

    /// The first entry (in append order) of the leg with `uniqueID`.
    func first(withUniqueID uniqueID: String) -> LegObjectMemo? {
        for index in 0..<inlineCount {
            if let memo = inline[index], memo.facts.uniqueID == uniqueID { return memo }
        }
        return overflow.first { $0.facts.uniqueID == uniqueID }
    }

    /// Every entry in append order (tests).
    var all: [LegObjectMemo] { (0..<inlineCount).compactMap { inline[$0] } + overflow }
}
