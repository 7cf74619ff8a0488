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
        _ type: EventName, legID: String, peerID: String? = nil, extra: [String: JSONValue] = [:],
        at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let callID = state.channels[legID]?.callID else { return }
        var legObjects: [(id: String, object: [String: JSONValue])] = []
        var data = callData(callID, legObjects: &legObjects)
        let legObject = legObjects.first { $0.id == legID }?.object ?? legDictionary(state.channels[legID]!)
        data["leg"] = .object(legObject)
        data["started_at"] = legObject["started_at"]
        data["answered_at"] = legObject["answered_at"]
        data["ended_at"] = legObject["ended_at"]
        if let peerID, let peer = state.channels[peerID] {
            data["peer"] = .object(legObjects.first { $0.id == peerID }?.object ?? legDictionary(peer))
        }
        for (key, value) in extra { data[key] = value }
        emitCallEvent(type, callID: callID, data: data, at: instant, into: &out)
    }

    /// Appends any event of a call with the next sequence number of that call.
    mutating func emitCallEvent(
        _ type: EventName, callID: String, data: [String: JSONValue], at instant: EventInstant,
        into out: inout CorrelationOutput
    ) {
        guard let index = state.calls.index(forKey: callID) else { preconditionFailure("no call \(callID)") }
        state.calls.values[index].sequence += 1
        let call = state.calls.values[index]
        let sequence = call.sequenceBase + call.sequence
        out.events.append(
            CallEvent(
                id: "evt_\(callID)_\(sequence)", type: type, timestamp: instant,
                tenant: call.tenant ?? CorrelationConfiguration.mainTenant, sequence: sequence, callID: callID,
                data: .object(data)))
    }

    /// The call-level part of every leg event: ids, direction, parties, queue and the legs snapshot.
    func callData(_ callID: String) -> [String: JSONValue] {
        var legObjects: [(id: String, object: [String: JSONValue])] = []
        return callData(callID, legObjects: &legObjects)
    }

    /// ``callData(_:)`` that also hands back the leg objects of the `legs` snapshot by leg id, for
    /// callers that publish one of them again (`leg`, `peer`).
    func callData(
        _ callID: String, legObjects: inout [(id: String, object: [String: JSONValue])]
    ) -> [String: JSONValue] {
        let call = state.calls[callID]!
        var legs: [JSONValue] = []
        legs.reserveCapacity(call.channelIDs.count)
        legObjects.reserveCapacity(call.channelIDs.count)
        var firstCallee: String?
        for id in call.channelIDs {
            guard let leg = state.channels[id], leg.isRealLeg, leg.phase != .pending else { continue }
            if firstCallee == nil, leg.role == .callee { firstCallee = id }
            let object = legDictionary(leg)
            legObjects.append((id, object))
            legs.append(.object(object))
        }
        let caller = call.callerLegID.flatMap { state.channels[$0] }
        var to: JSONValue = ["number": .optional(call.dialedNumber), "name": nil]
        if let caller, let peerID = caller.lastPeerID, let peer = state.channels[peerID] {
            to = partyJSON(peer)
        } else if let firstCallee, let callee = state.channels[firstCallee] {
            to = partyJSON(callee)
        }
        var data = [String: JSONValue](minimumCapacity: 24)
        data["call_id"] = .string(callID)
        data["related_call_ids"] = .array(call.relatedCallIDs.map { .string($0) })
        data["direction"] = .string((call.direction ?? .internal).rawValue)
        data["from"] = caller.map(partyJSON) ?? ["number": nil, "name": nil]
        data["to"] = to
        data["dialed_number"] = .optional(call.dialedNumber)
        data["queue"] = queueJSON(call.queue)
        data["legs"] = .array(legs)
        return data
    }

    /// Real legs of the call that have been announced, in creation order.
    func publishedLegs(of call: CallRecord) -> [ChannelRecord] {
        call.channelIDs.compactMap { id in
            guard let leg = state.channels[id], leg.isRealLeg, leg.phase != .pending else { return nil }
            return leg
        }
    }

    func legJSON(_ leg: ChannelRecord) -> JSONValue { .object(legDictionary(leg)) }

    /// A leg's published object (event-model.md `leg`).
    func legDictionary(_ leg: ChannelRecord) -> [String: JSONValue] {
        var object = [String: JSONValue](minimumCapacity: 12)
        object["id"] = .string(leg.uniqueID)
        object["role"] = .string(leg.role.rawValue)
        object["channel"] = .string(leg.name)
        object["device"] = .string(deviceName(ofChannel: leg.name))
        object["number"] = .string(leg.number)
        object["name"] = .optional(leg.displayName)
        object["state"] = .string(leg.legState.rawValue)
        object["external"] = .bool(leg.isExternal)
        object["account_code"] = .optional(leg.accountCode)
        object["started_at"] = .string(leg.createdAt.iso8601)
        object["answered_at"] = .optional((leg.connectedAt ?? leg.answeredAt)?.iso8601)
        object["ended_at"] = .optional(leg.endedAt?.iso8601)
        return object
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
