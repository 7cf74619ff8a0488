import CallEvents

/// Building the published payloads (event-model.md). Keys are sorted at encoding time; the order
/// of legs in `legs` is creation order, never hash order.
extension CallCorrelator {
    /// Appends a leg event (`started`/`connected`/`updated`/`finished`) of leg `legID`.
    mutating func emitLegEvent(
        _ type: EventName, legID: String, extra: [String: JSONValue], at instant: EventInstant,
        into out: inout CorrelationOutput
    ) {
        guard let leg = state.channels[legID] else { return }
        let callID = leg.callID
        var data = callData(callID)
        data["leg"] = legJSON(leg)
        data["started_at"] = .string(leg.createdAt.iso8601)
        data["answered_at"] = .optional((leg.connectedAt ?? leg.answeredAt)?.iso8601)
        data["ended_at"] = .optional(leg.endedAt?.iso8601)
        for (key, value) in extra { data[key] = value }
        emitCallEvent(type, callID: callID, data: data, at: instant, into: &out)
    }

    /// Appends any event of a call with the next sequence number of that call.
    mutating func emitCallEvent(
        _ type: EventName, callID: String, data: [String: JSONValue], at instant: EventInstant,
        into out: inout CorrelationOutput
    ) {
        state.calls[callID]!.sequence += 1
        let call = state.calls[callID]!
        let sequence = call.sequenceBase + call.sequence
        out.events.append(
            CallEvent(
                id: "evt_\(callID)_\(sequence)", type: type, timestamp: instant,
                tenant: call.tenant ?? CorrelationConfiguration.mainTenant, sequence: sequence, callID: callID,
                data: .object(data)))
    }

    /// The call-level part of every leg event: ids, direction, parties, queue and the legs snapshot.
    func callData(_ callID: String) -> [String: JSONValue] {
        let call = state.calls[callID]!
        let legs = publishedLegs(of: call)
        let caller = call.callerLegID.flatMap { state.channels[$0] }
        var to: JSONValue = ["number": .optional(call.dialedNumber), "name": nil]
        if let caller, let peerID = caller.lastPeerID, let peer = state.channels[peerID] {
            to = partyJSON(peer)
        } else if let callee = legs.first(where: { $0.role == .callee }) {
            to = partyJSON(callee)
        }
        return [
            "call_id": .string(callID),
            "related_call_ids": .array(call.relatedCallIDs.map { .string($0) }),
            "direction": .string((call.direction ?? .internal).rawValue),
            "from": caller.map(partyJSON) ?? ["number": nil, "name": nil],
            "to": to,
            "dialed_number": .optional(call.dialedNumber),
            "queue": queueJSON(call.queue),
            "legs": .array(legs.map(legJSON)),
        ]
    }

    /// Real legs of the call that have been announced, in creation order.
    func publishedLegs(of call: CallRecord) -> [ChannelRecord] {
        call.channelIDs.compactMap { id in
            guard let leg = state.channels[id], leg.isRealLeg, leg.phase != .pending else { return nil }
            return leg
        }
    }

    func legJSON(_ leg: ChannelRecord) -> JSONValue {
        [
            "id": .string(leg.uniqueID),
            "role": .string(leg.role.rawValue),
            "channel": .string(leg.name),
            "device": .string(deviceName(ofChannel: leg.name)),
            "number": .string(leg.number),
            "name": .optional(leg.displayName),
            "state": .string(leg.legState.rawValue),
            "external": .bool(leg.isExternal),
            "account_code": .optional(leg.accountCode),
            "started_at": .string(leg.createdAt.iso8601),
            "answered_at": .optional((leg.connectedAt ?? leg.answeredAt)?.iso8601),
            "ended_at": .optional(leg.endedAt?.iso8601),
        ]
    }

    func partyJSON(_ leg: ChannelRecord) -> JSONValue {
        ["number": .string(leg.number), "name": .optional(leg.displayName)]
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
