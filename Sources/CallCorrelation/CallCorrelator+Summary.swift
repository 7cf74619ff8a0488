import AMIProtocol
import CallEvents

/// The end of a call: `customer_interaction` (once per call — or per group of calls linked by a
/// transfer — with an external party) and `call_rating`; then the call is forgotten.
extension CallCorrelator {
    mutating func endCall(_ callID: String, at instant: EventInstant, into out: inout CorrelationOutput) {
        guard let call = state.calls[callID] else { return }
        if call.hasPublished {
            let externals = externalParties(of: call)
            if let heir = call.relatedCallIDs.first(where: { state.calls[$0] != nil }) {
                // A linked call is still going: its summary will cover this one too.
                state.calls[heir]!.inheritedExternalParties += externals + call.inheritedExternalParties
                state.calls[heir]!.inheritedCallIDs += [callID] + call.inheritedCallIDs
            } else if !externals.isEmpty || !call.inheritedExternalParties.isEmpty {
                emitCustomerInteraction(callID, externals: externals, at: instant, into: &out)
            }
            if configuration.rating.enabled { emitRating(callID, at: instant, into: &out) }
        }
        drop(callID, at: instant)
    }

    /// Forgets a call and its channels, keeping tombstones so late events are ignored.
    mutating func drop(_ callID: String, at instant: EventInstant) {
        guard let call = state.calls.removeValue(forKey: callID) else { return }
        state.usedCallIDs[callID] = instant
        for id in call.channelIDs {
            legObjects.remove(id)
            guard let record = state.channels.removeValue(forKey: id) else { continue }
            state.endedChannels[id] = instant
            if record.isLocal, state.localChannelIDByName[record.name] == id {
                state.localChannelIDByName[record.name] = nil
            }
            for bridgeID in record.bridgeIDs { state.bridges[bridgeID]?.memberIDs.removeAll { $0 == id } }
            if state.callIDByLinkedID[record.linkedID] == callID { state.callIDByLinkedID[record.linkedID] = nil }
        }
        if state.callIDByLinkedID[callID] == callID { state.callIDByLinkedID[callID] = nil }
        // Only this call's own entries: a scan of every live call here made ending a call O(live calls).
        if let linkedIDs = call.linkedIDs {
            for linkedID in linkedIDs where state.callIDByLinkedID[linkedID] == callID {
                state.callIDByLinkedID[linkedID] = nil
            }
        } else {
            for (linkedID, owner) in state.callIDByLinkedID where owner == callID { state.callIDByLinkedID[linkedID] = nil }
        }
        // Bridges left empty by this call are gone too (BridgeDestroy may never come after a reconnect).
        // Bridges nobody ever entered are swept by `expire(before:)`.
        if let bridgeIDs = call.bridgeIDs {
            for bridgeID in bridgeIDs where state.bridges[bridgeID]?.memberIDs.isEmpty == true {
                state.bridges[bridgeID] = nil
            }
        } else {
            for (bridgeID, bridge) in state.bridges where bridge.memberIDs.isEmpty { state.bridges[bridgeID] = nil }
        }
    }

    /// Remembers that a channel of `callID` entered `bridgeID` (for `drop`).
    mutating func noteBridge(_ bridgeID: String, ofCall callID: String) {
        guard let known = state.calls[callID]?.bridgeIDs, !known.contains(bridgeID) else { return }
        state.calls[callID]!.bridgeIDs!.append(bridgeID)
    }

    /// The external parties among the call's published legs, in creation order. Records are read
    /// in place: this runs at the end of every call, and most legs are not external.
    mutating func externalParties(of call: CallRecord) -> [JSONValue] {
        var parties: [JSONValue] = []
        for id in call.channelIDs {
            guard let index = state.channels.index(forKey: id) else { continue }
            let party: JSONValue? = state.channels.borrowValue(at: index) { leg in
                guard leg.isRealLeg, leg.phase != .pending, leg.isExternal else { return nil }
                return [
                    "leg_id": .string(leg.uniqueID), "role": .string(leg.role.rawValue), "number": .string(leg.number),
                    "name": .optional(leg.displayName), "call_id": .string(call.id),
                ]
            }
            if let party { parties.append(party) }
        }
        return parties
    }

    mutating func emitCustomerInteraction(
        _ callID: String, externals: [JSONValue], at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        let call = state.calls[callID]!
        let legs = publishedLegs(of: call)
        let caller = call.callerLegID.flatMap { state.channels[$0] }
        let allExternals = externals + call.inheritedExternalParties
        let firstConnect = legs.compactMap(\.connectedAt).min()
        let answeredBy = caller?.firstPeerID.flatMap { state.channels[$0] }
        let outcome: String
        if firstConnect != nil {
            outcome = "answered"
        } else if let caller {
            switch disposition(of: caller, in: call) {
            case .voicemail: outcome = "voicemail"
            case .busy: outcome = "busy"
            case .failed: outcome = "failed"
            case .cancelled where call.queue?.abandoned == true || (call.queue != nil && call.queue?.leftAt == nil):
                outcome = "abandoned"
            default: outcome = "missed"
            }
        } else {
            outcome = "missed"
        }
        let callerEnd = caller?.endedAt ?? instant
        var data = callData(callID)
        data["external_party"] = allExternals.first ?? .null
        data["external_parties"] = .array(allExternals)
        data["outcome"] = .string(outcome)
        data["answered_by"] =
            answeredBy.map { peer in
                ["leg_id": .string(peer.uniqueID), "number": .string(peer.number), "name": .optional(peer.displayName)]
            } ?? .null
        data["transfers"] = .array(call.transfers)
        data["transferred"] = .bool(!call.transfers.isEmpty)
        data["voicemail_mailbox"] = .optional(call.voicemailMailbox)
        data["started_at"] = .string(call.startedAt.iso8601)
        data["answered_at"] = .optional(firstConnect?.iso8601)
        data["ended_at"] = .string(instant.iso8601)
        data["duration_seconds"] = .double(roundedSeconds(instant.seconds(since: call.startedAt)))
        data["wait_seconds"] = .double(roundedSeconds((firstConnect ?? callerEnd).seconds(since: call.startedAt)))
        data["talk_seconds"] = .double(
            roundedSeconds(caller?.connectedAt.map { callerEnd.seconds(since: $0) } ?? 0))
        data["linked_call_ids"] = .array(call.inheritedCallIDs.map { .string($0) })
        emitCallEvent(.customerInteraction, callID: callID, data: data, at: instant, into: &out)
    }

    /// `call_rating`: a cost when an external number matches a plan, and/or quality per leg.
    /// Nothing to rate → no event.
    mutating func emitRating(_ callID: String, at instant: EventInstant, into out: inout CorrelationOutput) {
        let call = state.calls[callID]!
        let legs = publishedLegs(of: call)
        let rating = configuration.rating
        var cost: JSONValue = .null
        for leg in legs where leg.isExternal {
            guard let plan = CallCost.plan(for: leg.number, direction: call.direction ?? .internal, in: rating.plans)
            else { continue }
            let talk = leg.connectedAt.map { (leg.endedAt ?? instant).seconds(since: $0) } ?? 0
            let priced = CallCost.rate(number: leg.number, talkSeconds: talk, plan: plan)
            cost = [
                "currency": .string(rating.currency),
                "amount": .double(priced.amount),
                "number": .string(leg.number),
                "leg_id": .string(leg.uniqueID),
                "plan_prefix": .string(plan.prefix),
                "per_minute": .double(plan.perMinute),
                "increment": .string("\(plan.minimumSeconds)/\(plan.incrementSeconds)"),
                "connection_fee": .double(priced.billedSeconds > 0 ? plan.connectionFee : 0),
                "talk_seconds": .int(Int64(priced.talkSeconds)),
                "billed_seconds": .int(Int64(priced.billedSeconds)),
            ]
            break
        }
        var quality: [JSONValue] = []
        for leg in legs {
            let facts = leg.quality.isEmpty ? leg.rtcpQuality : leg.quality
            guard !facts.isEmpty, let mos = facts.mos else { continue }
            quality.append([
                "leg_id": .string(leg.uniqueID),
                "number": .string(leg.number),
                "mos": .double(mos),
                "mes": facts.mes.map { .double(QualityFacts.rounded($0, places: 2)) } ?? .null,
                "jitter_ms": facts.rxJitterSeconds.map {
                    .double(QualityFacts.rounded(max($0, facts.txJitterSeconds ?? 0) * 1000, places: 3))
                } ?? .null,
                "loss_percent": facts.lossPercent.map { .double(QualityFacts.rounded($0, places: 3)) } ?? .null,
                "rtt_ms": facts.rttSeconds.map { .double(QualityFacts.rounded($0 * 1000, places: 3)) } ?? .null,
                "source": .optional(facts.source),
            ])
        }
        guard cost != .null || !quality.isEmpty else { return }
        var data = callData(callID)
        data["cost"] = cost
        data["quality"] = .array(quality)
        data["mos"] = quality.compactMap { $0["mos"]?.doubleValue }.min().map { .double($0) } ?? .null
        data["ended_at"] = .string(instant.iso8601)
        emitCallEvent(.callRating, callID: callID, data: data, at: instant, into: &out)
    }

    /// RTCP reports (class `reporting`): the latest MES, RTT, loss and jitter per channel, used for
    /// quality when no `RTPAUDIOQOS*` variables arrive.
    mutating func handleRTCP(_ message: AMIMessage, at instant: EventInstant) {
        guard let id = nonEmpty(message["Uniqueid"]), state.channels.contains(id) else { return }
        var facts = state.channels[id]!.rtcpQuality
        facts.source = "rtcp"
        if let mes = message["MES"].flatMap({ Double($0) }) { facts.mes = min(facts.mes ?? mes, mes) }
        if let rtt = message["RTT"].flatMap({ Double($0) }) { facts.rttSeconds = rtt }
        if let fraction = message["Report0FractionLost"].flatMap({ Double($0) }) {
            facts.lossPercent = max(facts.lossPercent ?? 0, fraction / 256 * 100)
        }
        if let jitter = message["Report0IAJitter"].flatMap({ Double($0) }) {
            // Samples at 8 kHz (G.711/G.729); §2.12.
            facts.rxJitterSeconds = max(facts.rxJitterSeconds ?? 0, jitter / 8000)
        }
        state.channels[id]!.rtcpQuality = facts
    }

    /// `MessageWaiting` after a message was left carries the caller's channel (ami-reference §2.9):
    /// `voicemail_received` in that call. Without a channel, a rising `New` count is a message too.
    mutating func handleMessageWaiting(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let mailbox = nonEmpty(message["Mailbox"]) else { return }
        let newCount = message["New"].flatMap { Int($0) }
        let oldCount = message["Old"].flatMap { Int($0) }
        let previous = state.mailboxNewCounts[mailbox]
        if let newCount { state.mailboxNewCounts[mailbox] = newCount }
        var data: [String: JSONValue] = [
            "mailbox": .string(mailbox),
            "new_messages": newCount.map { .int(Int64($0)) } ?? .null,
            "old_messages": oldCount.map { .int(Int64($0)) } ?? .null,
            "left_at": .string(instant.iso8601),
        ]
        if let id = nonEmpty(message["Uniqueid"]), let leg = state.channels[id] {
            guard leg.ranVoicemail || leg.voicemailFile != nil, !leg.voicemailReported else { return }
            let callID = leg.callID
            state.channels[id]!.voicemailReported = true
            state.calls[callID]!.voicemailMailbox = mailbox
            if leg.isRealLeg { publishStart(id, at: instant, into: &out) }
            // The channel that left the message, or (a Local half ran VoiceMail) the call's caller.
            let caller =
                leg.isRealLeg ? state.channels[id]! : state.calls[callID]!.callerLegID.flatMap { state.channels[$0] }
            for (key, value) in callData(callID) { data[key] = value }
            data["caller"] =
                caller.map { caller in
                    [
                        "leg_id": .string(caller.uniqueID), "number": .string(caller.number),
                        "name": .optional(caller.displayName),
                    ]
                } ?? .null
            data["message_file"] = .optional(leg.voicemailFile)
            let answered = leg.answeredAt ?? leg.createdAt
            data["duration_seconds"] = .double(
                roundedSeconds((leg.voicemailStoredAt ?? instant).seconds(since: answered)))
            emitCallEvent(.voicemailReceived, callID: callID, data: data, at: instant, into: &out)
        } else if nonEmpty(message["Uniqueid"]) == nil, let newCount, let previous, newCount > previous {
            data["call_id"] = .null
            data["caller"] = .null
            data["duration_seconds"] = .null
            out.events.append(
                CallEvent(
                    id: "evt_vm_\(mailbox)_\(instant.microseconds)", type: .voicemailReceived, timestamp: instant,
                    tenant: CorrelationConfiguration.mainTenant, sequence: 1, callID: "vm:\(mailbox)",
                    data: .object(data)))
        }
    }
}
