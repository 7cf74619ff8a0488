import AMIProtocol
import CallEvents

/// Transfers (ami-reference §2.6), hold (§2.7) and recording: `updated` events on the legs
/// involved. Transfers that join two calls link them through `related_call_ids`.
extension CallCorrelator {
    mutating func handleBlindTransfer(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard message["Result"]?.lowercased() == "success" else { return }
        let transferer = nonEmpty(message["TransfererUniqueid"])
        let transferee = nonEmpty(message["TransfereeUniqueid"])
        let target = nonEmpty(message["Extension"])
        let change: JSONValue = [
            "reason": "transfer_blind",
            "transferer_leg_id": .optional(transferer),
            "transferee_leg_id": .optional(transferee),
            "target": .optional(target),
            "target_context": .optional(nonEmpty(message["Context"])),
            "requested_externally": .bool(message["IsExternal"]?.lowercased() == "yes"),
        ]
        record(transfer: change, legs: [transferer, transferee], at: instant, into: &out)
    }

    mutating func handleAttendedTransfer(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard message["Result"]?.lowercased() == "success" else { return }
        let ids = [
            "OrigTransfererUniqueid", "SecondTransfererUniqueid", "TransfereeUniqueid", "TransferTargetUniqueid",
        ]
        .map { nonEmpty(message[$0]) }
        let change: JSONValue = [
            "reason": "transfer_attended",
            "transferer_leg_id": .optional(ids[0]),
            "second_transferer_leg_id": .optional(ids[1]),
            "transferee_leg_id": .optional(ids[2]),
            "target_leg_id": .optional(ids[3]),
            "destination_type": .optional(nonEmpty(message["DestType"])),
            "requested_externally": .bool(message["IsExternal"]?.lowercased() == "yes"),
        ]
        // The two conversations become one: link every call involved.
        let calls = ids.compactMap { $0.flatMap { state.channels[$0]?.callID } }
        if let first = calls.first { for other in calls.dropFirst() { linkCalls(first, other, into: &out) } }
        record(transfer: change, legs: ids, at: instant, into: &out)
    }

    /// Publishes the transfer on every live real leg named (transferer, transferee, …), once each,
    /// and keeps it for the call summary.
    private mutating func record(
        transfer change: JSONValue, legs: [String?], at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        var done: Set<String> = []
        var summarized: Set<String> = []
        for case let id? in legs where done.insert(id).inserted {
            guard let leg = state.channels[id], leg.isRealLeg, leg.phase != .ended else { continue }
            publishStart(id, at: instant, into: &out)
            if summarized.insert(leg.callID).inserted { state.calls[leg.callID]!.transfers.append(change) }
            emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
        }
    }

    /// `Hold`/`Unhold` are raised on the channel whose phone put the call on hold (P17). Repeats
    /// (`Unhold` without a `Hold`, as Asterisk raises during a transfer) are not published.
    mutating func handleHold(
        _ message: AMIMessage, onHold: Bool, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: true, into: &out),
            state.channels[id]!.isRealLeg, state.channels[id]!.phase != .ended,
            state.channels[id]!.onHold != onHold
        else { return }
        publishStart(id, at: instant, into: &out)
        state.channels[id]!.onHold = onHold
        state.channels[id]!.legState = onHold ? .onHold : .up
        var change: [String: JSONValue] = ["reason": onHold ? "hold" : "unhold"]
        if onHold { change["music_class"] = .optional(nonEmpty(message["MusicClass"])) }
        emitLegEvent(.callUpdated, legID: id, extra: [.change: .object(change)], at: instant, into: &out)
    }

    mutating func handleRecording(
        _ message: AMIMessage, started: Bool, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: false, into: &out),
            state.channels[id]!.isRealLeg, state.channels[id]!.phase == .live,
            state.channels[id]!.recording != started
        else { return }
        state.channels[id]!.recording = started
        let change: JSONValue = ["reason": started ? "recording_started" : "recording_stopped"]
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }
}
