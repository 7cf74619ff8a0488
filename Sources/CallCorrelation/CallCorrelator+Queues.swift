import AMIProtocol
import CallEvents

/// Queue events (ami-reference §2.8). The caller's stay in a queue becomes `updated` events
/// (`queue_joined`, `queue_left`, `queue_abandoned`) and `data.queue`; members ring through Local
/// pairs, so the real agent phone is found behind them.
extension CallCorrelator {
    mutating func handleQueueCallerJoin(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: true, into: &out),
            state.channels[id]!.isRealLeg, state.channels[id]!.phase != .ended
        else { return }
        publishStart(id, at: instant, into: &out)
        let name = message["Queue"] ?? ""
        let position = message["Position"].flatMap { Int($0) }
        let callID = state.channels[id]!.callID
        state.calls[callID]!.queue = QueueVisit(name: name, joinedAt: instant, position: position)
        let change: JSONValue = [
            "reason": "queue_joined", "queue": .string(name), "position": position.map { .int(Int64($0)) } ?? .null,
        ]
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }

    mutating func handleQueueCallerLeave(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: false, into: &out),
            state.channels[id]!.phase == .live
        else { return }
        let callID = state.channels[id]!.callID
        guard var queue = state.calls[callID]!.queue, queue.leftAt == nil else { return }
        queue.leftAt = instant
        queue.waitSeconds = instant.seconds(since: queue.joinedAt)
        state.calls[callID]!.queue = queue
        let change: JSONValue = [
            "reason": "queue_left", "queue": .string(queue.name),
            "wait_seconds": .double(roundedSeconds(queue.waitSeconds ?? 0)), "abandoned": .bool(queue.abandoned),
        ]
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }

    /// Raised for caller hangup and also for queue timeout, leavewhenempty and withdraw (P16);
    /// `QueueCallerLeave` follows it.
    mutating func handleQueueCallerAbandon(
        _ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        guard let id = observe(ChannelSnapshot(message), at: instant, create: false, into: &out),
            state.channels[id]!.phase == .live
        else { return }
        let callID = state.channels[id]!.callID
        guard var queue = state.calls[callID]!.queue, !queue.abandoned else { return }
        queue.abandoned = true
        state.calls[callID]!.queue = queue
        let change: JSONValue = [
            "reason": "queue_abandoned", "queue": .string(queue.name),
            "position": message["Position"].flatMap { Int64($0) }.map { .int($0) } ?? .null,
            "original_position": message["OriginalPosition"].flatMap { Int64($0) }.map { .int($0) } ?? .null,
            "hold_seconds": message["HoldTime"].flatMap { Int64($0) }.map { .int($0) } ?? .null,
        ]
        emitLegEvent(.callUpdated, legID: id, extra: [.change: change], at: instant, into: &out)
    }

    /// `AgentCalled`: the member channel (often a Local ;1) belongs to the caller's call already
    /// (it inherits the Linkedid); remember the queue in case the join was missed.
    mutating func handleAgentCalled(_ message: AMIMessage, at instant: EventInstant) {
        var ignored = CorrelationOutput()
        guard let id = observe(ChannelSnapshot(message), at: instant, create: false, refresh: false, into: &ignored)
        else { return }
        let callID = state.channels[id]!.callID
        if state.calls[callID]!.queue == nil, let name = nonEmpty(message["Queue"]) {
            state.calls[callID]!.queue = QueueVisit(name: name, joinedAt: instant)
        }
    }

    /// `AgentConnect` carries the queue's own hold time (seconds); prefer it to our measurement
    /// only when the join was missed.
    mutating func handleAgentConnect(_ message: AMIMessage, at instant: EventInstant) {
        guard let id = nonEmpty(message["Uniqueid"]), let record = state.channels[id],
            var queue = state.calls[record.callID]?.queue, queue.waitSeconds == nil,
            let hold = message["HoldTime"].flatMap({ Double($0) })
        else { return }
        queue.waitSeconds = hold
        state.calls[record.callID]!.queue = queue
    }

    /// The member rang without an answer (RingTime in ms, P15): its phone leg is `no_answer`.
    mutating func handleAgentRingNoAnswer(_ message: AMIMessage, at instant: EventInstant) {
        guard let dest = nonEmpty(message["DestUniqueid"]), state.channels.contains(dest) else { return }
        let targets = state.channels[dest]!.isLocal ? realChannelsBehind(localHalf: dest) : [dest]
        for target in targets where state.channels[target]!.connectedAt == nil {
            state.channels[target]!.ringNoAnswer = true
        }
    }
}
