import AMIProtocol
import CallEvents

/// `DialBegin` / `DialEnd` (ami-reference §2.2): who rings whom, how each dial ended, forwards.
extension CallCorrelator {
    mutating func handleDialBegin(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        let source = observe(ChannelSnapshot(message), at: instant, create: true, into: &out)
        guard let dest = observe(ChannelSnapshot(message, prefix: "Dest"), at: instant, create: true, into: &out)
        else { return }
        // Records are read and changed in place: `state.channels[dest]!.x` copies the whole record
        // to read one field.
        let needsDialString = state.channels.borrowValue(at: state.channels.index(forKey: dest)!) { $0.dialString == nil }
        let dialString = needsDialString ? nonEmpty(message["DialString"]) : nil
        let destCallID = withChannel(dest) { record in
            if needsDialString { record.dialString = dialString }
            record.wasDialled = true
            return record.callID
        }!
        if let source {
            let sourceIndex = state.channels.index(forKey: source)!
            if state.channels.borrowValue(at: sourceIndex, { $0.isLocal && !$0.dialedChannelIDs.contains(dest) }) {
                withChannel(at: sourceIndex) { $0.dialedChannelIDs.append(dest) }
            }
            publishStart(source, at: instant, into: &out)
        } else {
            // No caller block: an originated or call-file dial ([AMI-v2] "Dialing and Origination").
            state.calls[destCallID]!.originated = true
        }
        // Only a pending leg is started (publishStart checks); the leg may have started just above.
        publishStart(dest, at: instant, into: &out)
    }

    mutating func handleDialEnd(_ message: AMIMessage, at instant: EventInstant, into out: inout CorrelationOutput) {
        let source = observe(ChannelSnapshot(message), at: instant, create: false, refresh: false, into: &out)
        let dest = observe(
            ChannelSnapshot(message, prefix: "Dest"), at: instant, create: false, refresh: false,
            into: &out)
        guard let status = nonEmpty(message["DialStatus"])?.uppercased() else { return }
        let forward = nonEmpty(message["Forward"])
        if let dest {
            record(status: status, on: dest)
            if let forward { withChannel(dest) { $0.forwardedTo = forward }! }
            // A Local ;1 that did not answer: the real phones its ;2 rang get the same outcome
            // (the ;2's own DialEnd only says CANCEL).
            let isLocal = state.channels.borrowValue(at: state.channels.index(forKey: dest)!) { $0.isLocal }
            if isLocal, status == "NOANSWER" || status == "BUSY" {
                for real in realChannelsBehind(localHalf: dest) { record(status: status, on: real) }
            }
        }
        if let source {
            withChannel(source) { record in
                record.lastDialStatusFromMe = status
                if status == "ANSWER" { record.anyDialAnswered = true }
            }!
        }
        if let forward {
            let callID = dest.flatMap { state.channels[$0]?.callID } ?? source.flatMap { state.channels[$0]?.callID }
            if let callID, let callerID = state.calls[callID]?.callerLegID, state.channels[callerID]?.phase == .live {
                let change: JSONValue = [
                    "reason": "forwarded",
                    "from": .optional(dest.flatMap { state.channels[$0] }.map { $0.isLocal ? nil : $0.number } ?? nil),
                    "to": .string(forward),
                ]
                emitLegEvent(.callUpdated, legID: callerID, extra: [.change: change], at: instant, into: &out)
            }
        }
    }

    /// Keeps the first decisive status of the dial that rang a channel: a later `CANCEL` (the
    /// Local ;2 tearing down) does not hide an earlier `NOANSWER`/`BUSY`.
    mutating func record(status: String, on id: String) {
        // In place: `state.channels[id]!.dialStatusToMe` read a copy of the whole record.
        withChannel(id) { record in
            if let existing = record.dialStatusToMe, existing == "NOANSWER" || existing == "BUSY", status == "CANCEL" {
                return
            }
            record.dialStatusToMe = status
        }!
    }

    /// Real channels rung through a Local pair (following chains of Local pairs).
    mutating func realChannelsBehind(localHalf id: String) -> [String] {
        var result: [String] = []
        var visited: Set<String> = []
        var queue = [id]
        while let current = queue.popLast() {
            // Borrowed: the two fields, not a copy of the record.
            guard visited.insert(current).inserted,
                let (isLocal, dialed) = readChannel(current, { ($0.isLocal, $0.isLocal ? $0.dialedChannelIDs : []) })
            else { continue }
            if !isLocal {
                result.append(current)
                continue
            }
            if let partner = localPartner(of: current) { queue.append(partner) }
            queue.append(contentsOf: dialed)
        }
        return sortedByOrder(result)
    }

    /// The other half of a Local pair, by name (`;1` ↔ `;2`).
    mutating func localPartner(of id: String) -> String? {
        // Borrowed: only the name is needed, not a copy of the record.
        guard let name = readChannel(id, { $0.isLocal ? $0.name : nil }) ?? nil, let partnerName = localPartnerName(name)
        else { return nil }
        return state.localChannelIDByName[partnerName]
    }
}
