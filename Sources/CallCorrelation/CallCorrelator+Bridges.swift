import AMIProtocol
import CallEvents

/// Bridges decide who talks to whom (ami-reference §2.3): two real legs are connected when they
/// are in one non-holding bridge, directly or through Local pairs (§2.4). A leg publishes
/// `connected` each time its peer changes; a Local optimisation that swaps the plumbing out keeps
/// the same peer and so publishes nothing.
extension CallCorrelator {
    mutating func handleBridgeCreate(_ message: AMIMessage) {
        guard let id = nonEmpty(message["BridgeUniqueid"]) else { return }
        ensureBridge(id, message)
    }

    mutating func ensureBridge(_ id: String, _ message: AMIMessage, prefix: String = "") {
        if state.bridges[id] == nil { state.bridges[id] = BridgeRecord(id: id) }
        if let type = nonEmpty(message[prefix + "BridgeType"]) { state.bridges[id]!.type = type }
        if let technology = nonEmpty(message[prefix + "BridgeTechnology"]) {
            state.bridges[id]!.technology = technology
        }
    }

    mutating func handleBridgeEnter(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput)
    {
        guard let bridgeID = nonEmpty(message["BridgeUniqueid"]),
            let id = observe(ChannelSnapshot(message), at: instant, create: true, into: &out)
        else { return }
        ensureBridge(bridgeID, message)
        if let swapped = nonEmpty(message["SwapUniqueid"]) { leaveBridge(bridgeID, channel: swapped) }
        // The record is read in place (`state.channels[id]!.x` copies all of it for one field) and
        // changed only when it must be, as before.
        guard let index = state.channels.index(forKey: id) else { preconditionFailure("no channel \(id)") }
        let (hungUp, inBridge, callID, isRealLeg) = state.channels.borrowValue(at: index) {
            ($0.hungUp, $0.bridgeIDs.contains(bridgeID), $0.callID, $0.isRealLeg)
        }
        guard !hungUp else { return }
        if !state.bridges[bridgeID]!.memberIDs.contains(id) { state.bridges[bridgeID]!.memberIDs.append(id) }
        if !inBridge { withChannel(at: index) { $0.bridgeIDs.append(bridgeID) } }
        noteBridge(bridgeID, ofCall: callID)
        if isRealLeg { publishStart(id, at: instant, into: &out) }
        updateConnections(around: bridgeID, at: instant, into: &out)
    }

    mutating func handleBridgeLeave(_ message: AMIMessage, at instant: EventInstant) {
        guard let bridgeID = nonEmpty(message["BridgeUniqueid"]), let id = nonEmpty(message["Uniqueid"]),
            let index = state.channels.index(forKey: id)
        else { return }
        withChannel(at: index) { $0.lastActivity = instant }
        touchedSinceConnect?.insert(id)
        leaveBridge(bridgeID, channel: id)
    }

    /// Changed in place through the stored records' indices: the optional-chained subscripts
    /// (`state.bridges[id]?.memberIDs.removeAll …`) copied each record out and back.
    mutating func leaveBridge(_ bridgeID: String, channel id: String) {
        if let index = state.bridges.index(forKey: bridgeID) {
            state.bridges[valueAt: index].memberIDs.removeAll { $0 == id }
        }
        if let index = state.channels.index(forKey: id) {
            withChannel(at: index) { $0.bridgeIDs.removeAll { $0 == bridgeID } }
        }
    }

    mutating func handleBridgeDestroy(_ message: AMIMessage) {
        guard let bridgeID = nonEmpty(message["BridgeUniqueid"]),
            let bridge = state.bridges.removeValue(forKey: bridgeID)
        else { return }
        for member in bridge.memberIDs { state.channels[member]?.bridgeIDs.removeAll { $0 == bridgeID } }
    }

    /// `BridgeMerge`: every member of the `From` bridge moves to the `To` bridge.
    mutating func handleBridgeMerge(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput)
    {
        guard let toID = nonEmpty(message["ToBridgeUniqueid"]), let fromID = nonEmpty(message["FromBridgeUniqueid"])
        else { return }
        ensureBridge(toID, message, prefix: "To")
        let moved = state.bridges.removeValue(forKey: fromID)?.memberIDs ?? []
        for member in moved {
            state.channels[member]?.bridgeIDs.removeAll { $0 == fromID }
            guard state.channels[member] != nil else { continue }
            if !state.bridges[toID]!.memberIDs.contains(member) { state.bridges[toID]!.memberIDs.append(member) }
            if !state.channels[member]!.bridgeIDs.contains(toID) { state.channels[member]!.bridgeIDs.append(toID) }
            noteBridge(toID, ofCall: state.channels[member]!.callID)
        }
        updateConnections(around: toID, at: instant, into: &out)
    }

    /// Re-evaluates the peers of every real leg reachable from a bridge and publishes `connected`
    /// for each leg whose peer changed.
    mutating func updateConnections(
        around bridgeID: String, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        let legs = realLegs(reachableFrom: [bridgeID], excluding: nil)
        guard legs.count >= 2 else { return }
        for legID in legs {
            guard
                let (active, lastPeerID) = withChannel(legID, { ($0.phase != .ended && !$0.hungUp, $0.lastPeerID) }),
                active
            else { continue }
            // The peer is the longest-present party: the oldest leg other than this one.
            guard let peer = legs.first(where: { $0 != legID }), peer != lastPeerID else { continue }
            connect(legID, to: peer, at: instant, into: &out)
        }
    }

    mutating func connect(
        _ legID: String, to peerID: String, at instant: EventInstant, into out: inout CorrelationOutput
    ) {
        publishStart(legID, at: instant, into: &out)
        publishStart(peerID, at: instant, into: &out)
        guard let callID = withChannel(legID, { $0.phase == .live ? $0.callID : nil })! else { return }
        let peerCallID = withChannel(peerID) { $0.callID }!
        if callID != peerCallID { linkCalls(callID, peerCallID, into: &out) }
        let isCaller = withChannel(legID) { leg -> Bool in
            leg.lastPeerID = peerID
            if leg.firstPeerID == nil { leg.firstPeerID = peerID }
            if leg.connectedAt == nil { leg.connectedAt = instant }
            if leg.answeredAt == nil { leg.answeredAt = instant }
            if !leg.onHold { leg.legState = .up }
            return leg.role == .caller
        }!
        if isCaller {
            withCall(callID) { call in
                if var queue = call.queue, queue.answeredByLegID == nil {
                    queue.answeredByLegID = peerID
                    call.queue = queue
                }
            }
        }
        emitLegEvent(.callConnected, legID: legID, peerID: peerID, at: instant, into: &out)
    }

    /// Real legs in the given bridges or behind Local pairs bridged there, oldest first.
    ///
    /// Runs for every BridgeEnter and every hangup of a talking leg. Records are borrowed (a copy of
    /// a bridge or channel record retains and releases each of its fields), the visited ids go in
    /// `StateKey` sets (no SipHash) and each leg's creation order is read while it is visited.
    mutating func realLegs(reachableFrom bridgeIDs: [String], excluding excluded: String?) -> [String] {
        var found: [(order: Int, id: String)] = []
        var seenChannels = VisitedIDs()
        var seenBridges = VisitedIDs()
        var pending = bridgeIDs
        while let bridgeID = pending.popLast() {
            guard seenBridges.insert(StateKey(bridgeID)), let bridgeIndex = state.bridges.index(forKey: bridgeID),
                let members = state.bridges.borrowValue(at: bridgeIndex, { $0.connectsMembers ? $0.memberIDs : nil })
            else { continue }
            for member in members where seenChannels.insert(StateKey(member)) {
                guard let index = state.channels.index(forKey: member),
                    let (isLocal, order) = state.channels.borrowValue(at: index, { $0.hungUp ? nil : ($0.isLocal, $0.order) })
                else { continue }
                if isLocal {
                    if let partner = localPartner(of: member), seenChannels.insert(StateKey(partner)),
                        let partnerBridges = readChannel(partner, { $0.hungUp ? nil : $0.bridgeIDs }) ?? nil
                    {
                        pending.append(contentsOf: partnerBridges)
                    }
                } else if member != excluded {
                    found.append((order, member))
                }
            }
        }
        guard found.count > 1 else { return found.map(\.id) }
        found.sort { $0.order < $1.order }
        return found.map(\.id)
    }
}

/// The ids ``CallCorrelator/realLegs(reachableFrom:excluding:)`` has visited: the first eight kept
/// inline and searched linearly, any more in a `Set`.
///
/// Why: a call's bridges and their members are a handful, and two `Set`s per call (allocated,
/// every id hashed, freed) were most of the cost of every BridgeEnter and talking hangup. A large
/// conference still goes through the `Set` past eight ids.
struct VisitedIDs {
    static let inlineCapacity = 8
    private var inline = InlineArray<8, StateKey?>(repeating: nil)
    private var inlineCount = 0
    private var overflow: Set<StateKey> = []

    /// Adds `key`; whether it was not there yet (`Set.insert(_:).inserted`).
    mutating func insert(_ key: StateKey) -> Bool {
        for index in 0..<inlineCount where inline[index] == key { return false }
        if inlineCount < Self.inlineCapacity {
            inline[inlineCount] = key
            inlineCount += 1
            return true
        }
        return overflow.insert(key).inserted
    }

    /// Whether `key` was added.
    func contains(_ key: StateKey) -> Bool {
        for index in 0..<inlineCount where inline[index] == key { return true }
        return overflow.contains(key)
    }
}
