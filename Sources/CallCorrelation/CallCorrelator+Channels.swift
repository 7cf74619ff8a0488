import AMIProtocol
import CallEvents

/// Channel lifecycle: creation (lazy, from any event that carries a channel block), snapshot
/// updates, the pending → live → ended life of a leg, and hangup.
extension CallCorrelator {
    /// Finds the channel a snapshot names, updating its facts; creates it when `create` is true
    /// and the channel is neither known nor recently ended (events after a reconnect, P1).
    @discardableResult
    mutating func observe(
        _ snapshot: ChannelSnapshot, at instant: EventInstant, create: Bool, refresh: Bool = true,
        into out: inout CorrelationOutput
    ) -> String? {
        guard let id = snapshot.uniqueID else { return nil }
        if let index = state.channels.index(forKey: id) {
            if refresh {
                refreshChannel(at: index, from: snapshot, at: instant, into: &out)
            } else {
                withChannel(at: index) { $0.lastActivity = instant }
                touchedSinceConnect?.insert(id)
            }
            return id
        }
        guard create, state.endedChannels[id] == nil, let name = snapshot.channel else { return nil }
        createChannel(id: id, name: name, snapshot: snapshot, at: instant)
        return id
    }

    mutating func createChannel(id: String, name: String, snapshot: ChannelSnapshot, at instant: EventInstant) {
        let linkedID = snapshot.linkedID ?? id
        let callID = callID(forLinkedID: linkedID, uniqueID: id, at: instant)
        let isLocal = isLocalChannelName(name)
        // Stored straight from the function that builds it: a local record stored with
        // `state.channels[id] = record` was copied (a retain and a release per field).
        state.channels[id] = Self.newChannelRecord(
            id: id, name: name, linkedID: linkedID, callID: callID, isLocal: isLocal, order: state.nextOrder,
            snapshot: snapshot, tenantVariableNames: classifier.tenantVariableNames, at: instant)
        state.nextOrder += 1
        touchedSinceConnect?.insert(id)
        // One lookup for both changes (the call was just found or made by `callID(forLinkedID:)`).
        withCall(callID) { call in
            call.channelIDs.append(id)
            call.liveChannelCount += 1
        }!
        if isLocal { state.localChannelIDByName[name] = id }
    }

    /// The record of a channel seen for the first time (``createChannel(id:name:snapshot:at:)``).
    static func newChannelRecord(
        id: String, name: String, linkedID: String, callID: String, isLocal: Bool, order: Int,
        snapshot: ChannelSnapshot, tenantVariableNames: Set<String>, at instant: EventInstant
    ) -> ChannelRecord {
        var variables: [String: String] = [:]
        for variable in tenantVariableNames {
            if let value = snapshot.channelVariable(variable) { variables[variable] = value }
        }
        // One initializer call returned as it is: a local record changed field by field and then
        // returned was copied out (a retain and a release per field).
        return ChannelRecord(
            uniqueID: id, name: name, linkedID: linkedID, callID: callID, isLocal: isLocal, order: order,
            createdAt: instant, lastActivity: instant, callerIDNum: snapshot.callerIDNum,
            callerIDName: snapshot.callerIDName, connectedLineNum: snapshot.connectedLineNum,
            accountCode: snapshot.accountCode, context: snapshot.context, initialContext: snapshot.context,
            initialExten: snapshot.exten, stateDesc: snapshot.stateDesc, variables: variables)
    }

    /// The call a new channel joins: the call of its `Linkedid`, or a new call named after it.
    mutating func callID(forLinkedID linkedID: String, uniqueID: String, at instant: EventInstant) -> String {
        if let existing = state.callIDByLinkedID[linkedID], state.calls[existing] != nil { return existing }
        var callID = linkedID
        if state.usedCallIDs[callID] != nil || state.calls[callID] != nil {
            // The linkedid's call already ended (a late channel of an old chain): a new call with a
            // derived, still deterministic id, so event ids never repeat.
            callID = linkedID + "-" + uniqueID
        }
        // Built before it is stored: one insertion instead of an insertion and two lookups.
        var call = CallRecord(id: callID, startedAt: instant)
        call.sequenceBase = state.sequenceFloors.removeValue(forKey: callID) ?? 0
        call.linkedIDs?.append(linkedID)
        state.calls[callID] = call
        state.callIDByLinkedID[linkedID] = callID
        return callID
    }

    /// Updates a known channel from an event's channel block. A changed `Linkedid` that belongs to
    /// another call links the two calls (transfers, pickups — ami-reference §2.13).
    mutating func refreshChannel(
        _ id: String, from snapshot: ChannelSnapshot, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let index = state.channels.index(forKey: id) else { return }
        refreshChannel(at: index, from: snapshot, at: instant, into: &out)
    }

    /// ``refreshChannel(_:from:at:into:)`` of the channel at `index`, updated in place.
    mutating func refreshChannel(
        at index: ChannelIndex, from snapshot: ChannelSnapshot, at instant: EventInstant,
        into out: inout CorrelationOutput
    ) {
        // The message's fields are opened once for all the stores (see `store(_:as:into:in:)`).
        let (id, callID, newLinkedID) = snapshot.message.withFields { fields in
            withChannel(at: index) { record -> (String, String, String?) in
                record.lastActivity = instant
                snapshot.store(.stateDesc, as: .nonEmpty, into: &record.stateDesc, in: fields)
                snapshot.store(.accountCode, as: .nonEmpty, into: &record.accountCode, in: fields)
                snapshot.store(.context, as: .nonEmpty, into: &record.context, in: fields)
                if record.phase == .pending {
                    snapshot.store(.callerIDNum, as: .known, into: &record.callerIDNum, in: fields)
                    snapshot.store(.callerIDName, as: .knownUnescaped, into: &record.callerIDName, in: fields)
                    // A trunk may deliver the call to `s` and route the DID later: the first real
                    // extension seen before the leg is announced is the dialled number.
                    if nonEmptyExten(record.initialExten) == nil, let exten = nonEmptyExten(snapshot.exten) {
                        record.initialExten = exten
                    }
                }
                snapshot.store(.connectedLineNum, as: .known, into: &record.connectedLineNum, in: fields)
                var newLinkedID: String?
                if !snapshot.has(.linkedID, equalTo: record.linkedID, in: fields), let linkedID = snapshot.linkedID,
                    linkedID != record.linkedID
                {
                    record.linkedID = linkedID
                    newLinkedID = linkedID
                }
                return (record.uniqueID, record.callID, newLinkedID)
            }
        }
        touchedSinceConnect?.insert(id)
        guard let linkedID = newLinkedID else { return }
        if let other = state.callIDByLinkedID[linkedID], other != callID, state.calls[other] != nil {
            linkCalls(callID, other, into: &out)
        } else if state.callIDByLinkedID[linkedID] == nil {
            state.callIDByLinkedID[linkedID] = callID
            state.calls[callID]?.linkedIDs?.append(linkedID)
        }
    }

    /// Events that only refresh the channel block (NewAccountCode).
    mutating func handleSnapshotRefresh(_ message: AMIMessage, at instant: EventInstant) {
        var ignored = CorrelationOutput()
        observe(ChannelSnapshot(message), at: instant, create: false, into: &ignored)
    }

    mutating func handleNewchannel(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        observe(ChannelSnapshot(message), at: instant, create: true, into: &out)
    }

    /// `Newexten`: the most frequent channel event. Only the application matters (VoiceMail, and
    /// why an application answered), plus tenant facts while the leg is still pending.
    mutating func handleNewexten(_ message: AMIMessage, at instant: EventInstant) {
        // Both keys found in one pass over the fields: two `message[key]` scans were ~1.4k
        // instructions of this, the most frequent channel event.
        let (uniqueIDAt, applicationAt) = message.withFields { fields -> (Int, Int) in
            var uniqueID = -1, application = -1
            for position in 0..<fields.count {
                let key = fields.key(position)
                if key.count == 8 {
                    if uniqueID < 0, equalsIgnoringCase(key, "uniqueid") { uniqueID = position }
                } else if key.count == 11 {
                    if application < 0, equalsIgnoringCase(key, "application") { application = position }
                } else {
                    continue
                }
                if uniqueID >= 0 && application >= 0 { break }
            }
            return (uniqueID, application)
        }
        guard uniqueIDAt >= 0, !message.valueIsEmpty(at: uniqueIDAt) else { return }
        let id = message.value(at: uniqueIDAt)
        guard let index = state.channels.index(forKey: id) else { return }
        if withChannel(at: index, { $0.phase == .pending }) {
            var ignored = CorrelationOutput()
            refreshChannel(at: index, from: ChannelSnapshot(message), at: instant, into: &ignored)
        } else {
            withChannel(at: index) { $0.lastActivity = instant }
            touchedSinceConnect?.insert(id)
        }
        guard applicationAt >= 0, !message.valueIsEmpty(at: applicationAt) else { return }
        let application = message.value(at: applicationAt)
        let isVoicemail = application.utf8.count == 9 && lowercasedEquals(application, "voicemail")
        withChannel(at: index) { record in
            record.application = application
            if isVoicemail { record.ranVoicemail = true }
        }
    }

    /// `VarSet`: ~40 % of all events. Reads only `Variable` unless it is one the engine uses.
    mutating func handleVarSet(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        // Most VarSets are dialplan noise: decide from the name's bytes before making any `String`.
        let wantsAnyName = configuration.rating.enabled || !classifier.tenantVariableNames.isEmpty
        guard let variable = Self.relevantVariable(of: message, anyName: wantsAnyName) else { return }
        let isQuality = configuration.rating.enabled && variable.hasPrefix("RTPAUDIOQOS")
        let isVoicemail = variable == "VM_MESSAGEFILE"
        let isTenant = !classifier.tenantVariableNames.isEmpty && classifier.tenantVariableNames.contains(variable)
        guard isQuality || isVoicemail || isTenant else { return }
        guard let id = nonEmpty(message["Uniqueid"]), state.channels.contains(id) else { return }
        let value = message.unescapedValue("Value") ?? ""
        if isQuality { state.channels[id]!.quality.merge(variable: variable, value: value) }
        if isVoicemail, !value.isEmpty {
            state.channels[id]!.voicemailFile = value
            state.channels[id]!.voicemailStoredAt = instant
        }
        if isTenant { state.channels[id]!.variables[variable] = value }
    }

    /// The `Variable` of a VarSet when it may matter: any name when `anyName` (quality or tenant
    /// rules are configured), else only `VM_MESSAGEFILE`.
    static func relevantVariable(of message: AMIMessage, anyName: Bool) -> String? {
        if anyName { return message["Variable"] }
        let isVoicemail: Bool? = message.withFields { fields in
            for position in 0..<fields.count where equalsIgnoringCase(fields.key(position), "variable") {
                // Compared in place with the literal's bytes: `elementsEqual` over the literal's
                // `String.UTF8View` iterated it generically (~100 instructions per VarSet).
                return sameBytes(fields.value(position), "VM_MESSAGEFILE")
            }
            return nil
        }
        return isVoicemail == true ? "VM_MESSAGEFILE" : nil
    }

    mutating func handleNewstate(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: true, into: &out) else { return }
        guard
            let isUp = withChannel(id, { $0.isRealLeg && $0.phase != .ended ? isUp($0.stateDesc) : nil })
                ?? nil
        else { return }
        publishStart(id, at: instant, into: &out)
        guard isUp else { return }
        let byApplication = withChannel(id) { leg -> (application: String?, Void)? in
            if leg.answeredAt == nil { leg.answeredAt = instant }
            if leg.role == .caller, !leg.wasDialled, !leg.anyDialAnswered, leg.connectedAt == nil,
                !leg.answeredByApplication, leg.lastPeerID == nil
            {
                // Up without a human answer (Answer(), Queue, VoiceMail, IVR): an update, never a connect.
                leg.answeredByApplication = true
                if !leg.onHold { leg.legState = .up }
                return (leg.ranVoicemail ? "VoiceMail" : leg.application, ())
            }
            if !leg.onHold { leg.legState = .up }
            return nil
        }!
        if let byApplication {
            var change: [String: JSONValue] = ["reason": "answered_by_application"]
            change["application"] = .optional(byApplication.application)
            emitLegEvent(.callUpdated, legID: id, extra: [.change: .object(change)], at: instant, into: &out)
        }
    }

    mutating func handleNewCallerID(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput)
    {
        let snapshot = ChannelSnapshot(message)
        guard let id = observe(snapshot, at: instant, create: true, into: &out) else { return }
        let leg = state.channels[id]!
        guard leg.isRealLeg, leg.phase == .live else { return }
        let newNumber = snapshot.callerIDNum ?? leg.number
        let newName = snapshot.callerIDName
        guard newNumber != leg.number || newName != leg.displayName else { return }
        let change: JSONValue = [
            "reason": "caller_id_changed",
            "previous": ["number": .string(leg.number), "name": .optional(leg.displayName)],
            "current": ["number": .string(newNumber), "name": .optional(newName)],
        ]
        state.channels[id]!.number = newNumber
        state.channels[id]!.displayName = newName
        state.channels[id]!.callerIDNum = snapshot.callerIDNum
        state.channels[id]!.callerIDName = newName
        state.channels[id]!.isExternal = classifier.isExternal(number: newNumber, channel: leg.name)
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }

    /// A connected-line change is published only when it names someone other than the peer the
    /// engine already reported (Asterisk updates connected line on every answer and Local hop).
    mutating func handleNewConnectedLine(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        let snapshot = ChannelSnapshot(message)
        // The facts needed from before the refresh, read in place (not a copy of the whole record).
        guard let id = snapshot.uniqueID,
            let before = readChannel(id, {
                (isRealLeg: $0.isRealLeg, phase: $0.phase, lastPeerID: $0.lastPeerID,
                 connectedLineNum: $0.connectedLineNum)
            })
        else {
            observe(snapshot, at: instant, create: true, into: &out)
            return
        }
        observe(snapshot, at: instant, create: false, into: &out)
        guard before.isRealLeg, before.phase == .live, let peerID = before.lastPeerID,
            let number = snapshot.connectedLineNum, number != before.connectedLineNum
        else { return }
        let peerNumber = legRecord(peerID)?.number
        guard number != peerNumber else { return }
        let change: JSONValue = [
            "reason": "connected_party_changed",
            "connected_party": ["number": .string(number), "name": .optional(snapshot.connectedLineName)],
        ]
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }

    mutating func handleRename(_ message: AMIMessage) {
        guard let id = nonEmpty(message["Uniqueid"]), let newName = nonEmpty(message["Newname"]),
            let old = state.channels[id]
        else { return }
        if old.isLocal {
            state.localChannelIDByName[old.name] = nil
            state.localChannelIDByName[newName] = id
        }
        state.channels[id]!.name = newName
    }

    /// Remembers which party hung up first: the caller, or a callee that had answered.
    mutating func handleHangupRequest(_ message: AMIMessage, at instant: EventInstant) {
        guard let id = nonEmpty(message["Uniqueid"]) else { return }
        noteHangupParty(id)
    }

    /// Records that leg `id` hangs up (read and changed in place).
    mutating func noteHangupParty(_ id: String) {
        guard
            let (callID, talked, endedBy, bridgeIDs) = withChannel(id, { leg in
                leg.isRealLeg && leg.phase != .ended && !leg.hungUp
                    ? (leg.callID, leg.role == .caller || leg.answeredAt != nil, leg.endedByLegID, leg.bridgeIDs) : nil
            }) ?? nil
        else { return }
        if talked { withCall(callID) { if $0.firstHangupLegID == nil { $0.firstHangupLegID = id } } }
        // A ringing callee that is torn down did not hang up on anyone.
        guard endedBy == nil, talked else { return }
        withChannel(id) { $0.endedByLegID = id }
        // Whoever is talking to this leg right now was hung up on by it.
        for peer in realLegs(reachableFrom: bridgeIDs, excluding: id) {
            withChannel(peer) { if $0.endedByLegID == nil { $0.endedByLegID = id } }
        }
    }

    mutating func handleHangup(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        let snapshot = ChannelSnapshot(message)
        guard let id = snapshot.uniqueID else { return }
        guard let index = state.channels.index(forKey: id) else {
            if state.endedChannels[id] == nil { out.diagnostics.append(.unknownChannel(uniqueID: id, event: "Hangup")) }
            return
        }
        // What `observe(snapshot, create: false)` does for a known channel, with the id and index just
        // found (it made the id's `String` and looked the channel up again).
        refreshChannel(at: index, from: snapshot, at: instant, into: &out)
        let cause = message["Cause"].flatMap { Int($0) }
        let causeText = nonEmpty(message["Cause-txt"])
        // One in-place access for the check and the stores (the refresh may have linked calls, so
        // the channel is looked up again rather than reached through `index`).
        let hangsUpNow = withChannel(id) { leg -> Bool in
            guard !leg.hungUp else { return false }
            leg.hangupCause = cause
            leg.hangupCauseText = causeText
            return true
        }
        guard hangsUpNow == true else { return }
        noteHangupParty(id)
        endChannel(id, at: instant, into: &out)
    }

    /// A channel is gone: leave its bridges (Hangup may precede BridgeLeave, P2), finish the leg,
    /// and end the call when it was the call's last channel.
    mutating func endChannel(
        _ id: String, at instant: EventInstant, reconstructed: Bool = false, into out: inout CorrelationOutput
    ) {
        guard
            let (bridgeIDs, isRealLeg, phase, callID) = withChannel(id, { record in
                record.hungUp ? nil : (record.bridgeIDs, record.isRealLeg, record.phase, record.callID)
            }) ?? nil
        else { return }
        withChannel(id) { record in
            record.hungUp = true
            record.bridgeIDs = []
        }
        for bridgeID in bridgeIDs { state.bridges[bridgeID]?.memberIDs.removeAll { $0 == id } }
        if isRealLeg {
            if phase == .pending { publishStart(id, at: instant, into: &out) }
            if withChannel(id, { $0.phase }) == .live {
                finishLeg(id, at: instant, reconstructed: reconstructed, into: &out)
            }
        }
        let remaining = withCall(callID) { call -> Int in
            call.liveChannelCount -= 1
            return call.liveChannelCount
        }!
        if remaining <= 0 { endCall(callID, at: instant, into: &out) }
    }

    /// Publishes `started` for a pending real leg, first for every earlier pending leg of its call
    /// (so the caller always starts first), freezing tenant and direction on the call's first one.
    mutating func publishStart(_ id: String, at instant: EventInstant, into out: inout CorrelationOutput) {
        // Records are read and changed in place (CallCorrelator+Records.swift): this runs for
        // every leg event, and most calls find the leg already live.
        guard
            let (callID, order) = withChannel(id, { $0.isRealLeg && $0.phase == .pending ? ($0.callID, $0.order) : nil })
                ?? nil
        else { return }
        for other in withCall(callID, { $0.channelIDs })! where other != id {
            if withChannel(other, { $0.order < order && $0.isRealLeg && $0.phase == .pending }) == true {
                publishStart(other, at: instant, into: &out)
            }
        }
        guard withChannel(id, { $0.phase == .pending }) == true else { return }
        let (isFirstLeg, needsTenant) = withCall(callID) { ($0.callerLegID == nil, $0.tenant == nil) }!
        let classifier = self.classifier
        let (isExternal, initialExten, reconstructed, tenant) = withChannel(id) { leg in
            if isFirstLeg {
                leg.role = .caller
                leg.number = leg.callerIDNum ?? nonEmptyExten(leg.initialExten) ?? endpointName(ofChannel: leg.name)
            } else {
                leg.role = .callee
                leg.number =
                    leg.callerIDNum ?? dialedPart(leg.dialString) ?? nonEmptyExten(leg.initialExten)
                    ?? endpointName(ofChannel: leg.name)
            }
            leg.displayName = leg.callerIDName
            leg.isExternal = classifier.isExternal(number: leg.number, channel: leg.name)
            leg.legState = isUp(leg.stateDesc) ? .up : .ringing
            leg.phase = .live
            return (leg.isExternal, leg.initialExten, leg.reconstructed, needsTenant ? classifier.tenant(for: leg) : nil)
        }!
        withCall(callID) { call in
            if isFirstLeg {
                call.callerLegID = id
                call.dialedNumber = nonEmptyExten(initialExten)
            }
            // Direction is frozen with the first event: every leg event of a call carries one
            // direction, so a later external callee of an `internal` call does not flip it mid-call.
            if needsTenant {
                call.tenant = tenant
                if isExternal {
                    call.direction = .inbound
                } else if let dialed = call.dialedNumber, classifier.isExternal(dialed) {
                    call.direction = .outbound
                } else {
                    call.direction = .internal
                }
            }
        }
        var extra: EventFields = [:]
        if reconstructed { extra.append(.reconstructed, true) }
        emitLegEvent(.callStarted, legID: id, extra: extra, at: instant, into: &out)
    }

    /// Publishes `finished` with the disposition, cause, ring and talk seconds.
    mutating func finishLeg(
        _ id: String, at instant: EventInstant, reconstructed: Bool, into out: inout CorrelationOutput
    ) {
        // The record and its call are read and changed in place: copying the whole record (and the
        // call) out cost a retain and a release per field, for every finished leg.
        let channelIndex = state.channels.index(forKey: id)!
        let callID = state.channels.borrowValue(at: channelIndex) { $0.callID }
        let callIndex = state.calls.index(forKey: callID)!
        let (queue, firstHangupLegID) = state.calls.borrowValue(at: callIndex) { ($0.queue, $0.firstHangupLegID) }
        let leg = withChannel(at: channelIndex) { leg in
            leg.phase = .ended
            leg.legState = .down
            leg.endedAt = instant
            leg.reconstructed = leg.reconstructed || reconstructed
            // The disposition reads none of the fields just changed.
            return FinishedLeg(
                disposition: Self.disposition(of: leg, queue: queue), connectedAt: leg.connectedAt,
                answeredAt: leg.answeredAt, createdAt: leg.createdAt, hangupCause: leg.hangupCause,
                hangupCauseText: leg.hangupCauseText, reconstructed: leg.reconstructed,
                endedByLegID: leg.endedByLegID, forwardedTo: leg.forwardedTo)
        }
        state.endedChannels[id] = instant
        let ringEnd = leg.connectedAt ?? leg.answeredAt ?? instant
        var extra: EventFields = [
            .disposition: .string(leg.disposition.rawValue),
            .hangupCause: leg.hangupCause.map { .int(Int64($0)) } ?? .null,
            .hangupCauseText: .optional(leg.hangupCauseText),
            .ringSeconds: .double(roundedSeconds(ringEnd.seconds(since: leg.createdAt))),
            .talkSeconds: .double(roundedSeconds(leg.connectedAt.map { instant.seconds(since: $0) } ?? 0)),
            .reconstructed: .bool(leg.reconstructed),
        ]
        if let by = leg.endedByLegID ?? firstHangupLegID,
            let party = readChannel(by, { ($0.uniqueID, $0.role, $0.number) })
        {
            let template = hangupByTemplate
            var object = template.blank
            object.set(.legID, .string(party.0), in: template)
            object.set(.role, .string(party.1.rawValue), in: template)
            object.set(.number, .string(party.2), in: template)
            extra.append(.hangupBy, .object(object))
        } else {
            extra.append(.hangupBy, .null)
        }
        if let forward = leg.forwardedTo { extra.append(.forwardedTo, .string(forward)) }
        emitLegEvent(.callFinished, legID: id, extra: extra, at: instant, into: &out)
    }

    func legRecord(_ id: String) -> ChannelRecord? { state.channels[id] }
}

/// What ``CallCorrelator/finishLeg(_:at:reconstructed:into:)`` reads from the record it ends (a
/// named struct: a tuple this size was copied through its type metadata).
private struct FinishedLeg {
    var disposition: Disposition
    var connectedAt: EventInstant?
    var answeredAt: EventInstant?
    var createdAt: EventInstant
    var hangupCause: Int?
    var hangupCauseText: String?
    var reconstructed: Bool
    var endedByLegID: String?
    var forwardedTo: String?
}

/// Whether a `ChannelStateDesc` is `Up` (in any case), without making a lowercased copy.
func isUp(_ stateDesc: String?) -> Bool { stateDesc.map { lowercasedEquals($0, "up") } ?? false }

/// `hangup_by` of `finished`.
enum HangupByField: Int, JSONObjectField {
    case legID, role, number

    var key: String {
        switch self {
        case .legID: "leg_id"
        case .role: "role"
        case .number: "number"
        }
    }
}

let hangupByTemplate = JSONObjectTemplate<HangupByField>()

/// `Exten` values that are not a dialled number (`s` is Asterisk's "start" extension).
func nonEmptyExten(_ exten: String?) -> String? {
    guard let exten, !exten.isEmpty, exten != "s" else { return nil }
    return exten
}

/// The number part of a `DialString` (`1002/1002` → `1002`, `carrier/+1555…` → `+1555…`,
/// `1101` → `1101`).
func dialedPart(_ dialString: String?) -> String? {
    guard let dialString, !dialString.isEmpty else { return nil }
    if let slash = dialString.lastIndex(of: "/") {
        return nonEmpty(String(dialString[dialString.index(after: slash)...]))
    }
    return dialString
}

/// Seconds rounded to milliseconds, so float noise never reaches the JSON.
func roundedSeconds(_ seconds: Double) -> Double {
    (max(0, seconds) * 1000).rounded() / 1000
}
