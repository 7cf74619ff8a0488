import AMIProtocol
import CallEvents

/// Keeping state honest when input is missing: resynchronisation after a (re)connect (P11) and
/// expiry of legs that never got a `Hangup` (bounded memory).
extension CallCorrelator {
    /// Applies the live channel list (`CoreShowChannel` items) after a (re)connect.
    ///
    /// * Known channels that are not in the list vanished while we were away: their legs finish as
    ///   `reconstructed`, and calls left without channels end.
    /// * Channels in the list that we never saw are adopted: their legs are announced (marked
    ///   `reconstructed`); legs we already announced get no second `started`.
    /// * `BridgeId` membership restores who talks to whom.
    ///
    /// Assumes the list was read on the event connection: Asterisk queues events behind a list
    /// (P10), so every event processed before it is older than the list, and a known channel missing
    /// from it is really gone. Events newer than the list that arrive after it apply as usual.
    public mutating func resynchronize(
        with liveChannels: [AMIMessage], at instant: EventInstant
    ) -> CorrelationOutput {
        var out = CorrelationOutput()
        var live: Set<String> = []
        for item in liveChannels { if let id = nonEmpty(item["Uniqueid"]) { live.insert(id) } }
        // Channels with events since the (re)connect are followed by those events: the list may
        // have been generated before they appeared (or, from a server that answers late, not at
        // all), so only channels silent since the connect can have vanished.
        let followed = touchedSinceConnect ?? []
        touchedSinceConnect = nil
        // 1. Vanished channels, oldest first.
        let vanished = state.channels.values.filter {
            !$0.hungUp && !live.contains($0.uniqueID) && !followed.contains($0.uniqueID)
        }
            .sorted { $0.order < $1.order }
        for record in vanished {
            if record.isRealLeg {
                out.diagnostics.append(.vanishedDuringDisconnect(uniqueID: record.uniqueID, callID: record.callID))
            }
            endChannel(record.uniqueID, at: instant, reconstructed: true, into: &out)
        }
        // 2. Adopt unknown channels, in list order (Asterisk lists them oldest first).
        var touchedBridges: [String] = []
        for item in liveChannels {
            let snapshot = ChannelSnapshot(item)
            guard let id = snapshot.uniqueID, let name = snapshot.channel else { continue }
            if state.channels[id] == nil {
                state.endedChannels[id] = nil
                createChannel(id: id, name: name, snapshot: snapshot, at: instant)
                state.channels[id]!.adopted = true
                state.channels[id]!.reconstructed = true
                if isUp(snapshot.stateDesc) { state.channels[id]!.answeredAt = instant }
                if state.channels[id]!.isRealLeg {
                    out.diagnostics.append(.adoptedAfterReconnect(uniqueID: id, callID: state.channels[id]!.callID))
                }
            } else {
                refreshChannel(id, from: snapshot, at: instant, into: &out)
            }
            if let bridgeID = nonEmpty(item["BridgeId"]) ?? nonEmpty(item["BridgeUniqueid"]) {
                if state.bridges[bridgeID] == nil { state.bridges[bridgeID] = BridgeRecord(id: bridgeID) }
                if !state.bridges[bridgeID]!.memberIDs.contains(id) { state.bridges[bridgeID]!.memberIDs.append(id) }
                if !state.channels[id]!.bridgeIDs.contains(bridgeID) { state.channels[id]!.bridgeIDs.append(bridgeID) }
                noteBridge(bridgeID, ofCall: state.channels[id]!.callID)
                if !touchedBridges.contains(bridgeID) { touchedBridges.append(bridgeID) }
            }
        }
        for item in liveChannels {
            if let id = nonEmpty(item["Uniqueid"]), state.channels[id]?.adopted == true {
                publishStart(id, at: instant, into: &out)
            }
        }
        // 3. Who talks to whom now (no repeat for pairs already reported).
        for bridgeID in touchedBridges { updateConnections(around: bridgeID, at: instant, into: &out) }
        state.sequenceFloors.removeAll()
        return out
    }

    /// Before ``resynchronize(with:at:)`` after a restart (and after a restore): `floors` maps call ids to the highest
    /// sequence an earlier run already published (read from the shell's outbox). Calls adopted by
    /// the resync continue after it, so `evt_<call>_<sequence>` ids never collide with stored ones
    /// and per-call order holds across the restart.
    ///
    /// A call the engine already tracks (restored from a snapshot older than the outbox) continues
    /// at once after `floor` when the outbox holds more of its events than the snapshot knew.
    public mutating func continueSequences(after floors: [String: Int]) {
        for (callID, floor) in floors where floor > 0 {
            if let call = state.calls[callID] {
                if call.sequenceBase + call.sequence < floor { state.calls[callID]!.sequenceBase = floor - call.sequence }
                continue
            }
            state.sequenceFloors[callID] = max(state.sequenceFloors[callID] ?? 0, floor)
        }
    }

    /// Finishes legs (and forgets Local halves) with no event since before `instant`, and forgets
    /// ended channels and calls that ended before `endedBefore` (default: `instant`).
    public mutating func expire(
        before instant: EventInstant, forgettingEndedBefore endedBefore: EventInstant? = nil
    )
        -> CorrelationOutput
    {
        var out = CorrelationOutput()
        let stale = state.channels.values.filter { !$0.hungUp && $0.lastActivity < instant }.sorted {
            $0.order < $1.order
        }
        for record in stale {
            if record.isRealLeg {
                out.diagnostics.append(.legExpired(uniqueID: record.uniqueID, callID: record.callID))
            }
            endChannel(record.uniqueID, at: max(record.lastActivity, instant), into: &out)
        }
        let cutoff = endedBefore ?? instant
        // Bridges nobody is in (created and never entered, BridgeDestroy lost): `drop` only checks
        // the bridges of the call it drops.
        for (bridgeID, bridge) in state.bridges where bridge.memberIDs.isEmpty { state.bridges[bridgeID] = nil }
        state.endedChannels.removeAll { $0.value < cutoff }
        state.usedCallIDs.removeAll { $0.value < cutoff }
        return out
    }

    /// The shell calls this when a (re)connect's login succeeded, before any of its messages: the
    /// next ``resynchronize(with:at:)`` then leaves alone the channels that had events in between.
    public mutating func connectionEstablished() {
        touchedSinceConnect = []
    }

    /// The shell's timer tick: expires legs silent for `legExpirySeconds` and forgets what ended
    /// more than `lateEventGraceSeconds` ago.
    public mutating func expireStale(now: EventInstant) -> CorrelationOutput {
        expire(
            before: now.adding(seconds: -configuration.legExpirySeconds),
            forgettingEndedBefore: now.adding(seconds: -configuration.lateEventGraceSeconds))
    }

    /// End of input (a replay reached the end of its capture): every remaining leg finishes,
    /// every call ends.
    public mutating func finish(at instant: EventInstant) -> CorrelationOutput {
        var out = CorrelationOutput()
        let remaining = state.channels.values.filter { !$0.hungUp }.sorted { $0.order < $1.order }
        for record in remaining {
            if record.isRealLeg {
                out.diagnostics.append(.legExpired(uniqueID: record.uniqueID, callID: record.callID))
            }
            endChannel(record.uniqueID, at: instant, into: &out)
        }
        return out
    }
}
