import AMIProtocol

/// The AMI events the correlator handles, recognised from the bytes of the `Event:` value.
///
/// Why not a `switch` over the name as a `String`: every message of the stream went through
/// making that `String` (an allocation for names over 15 bytes) and a chain of string compares
/// (Swift compiles a `String` switch to one compare per case, in order). Matching the bytes by
/// length first costs a few compares, and the handlers are then picked by a jump table.
///
/// Names are matched ignoring ASCII case: event names are fixed strings in Asterisk, but keys and
/// values are case-insensitive by the spec (pitfall P8). Every other event (CEL, Cdr,
/// DeviceStateChange, …) is ignored.
enum AMIEventKind: Sendable {
    case varSet, newexten, newchannel, newstate, newCallerid, newConnectedLine, newAccountCode, hangupRequest, hangup, dialBegin, dialEnd, bridgeCreate, bridgeEnter, bridgeLeave, bridgeDestroy, bridgeMerge, queueCallerJoin, queueCallerLeave, queueCallerAbandon, agentCalled, agentConnect, agentRingNoAnswer, blindTransfer, attendedTransfer, hold, unhold, mixMonitorStart, mixMonitorStop, messageWaiting, rename, rtcpSent, rtcpReceived

    /// The kind of `message` (its first `Event:` value), or `nil` for events the engine ignores and
    /// for messages that are not events.
    init?(of message: AMIMessage) {
        let kind: AMIEventKind?? = message.withFields { fields in
            for position in 0..<fields.count where isEventKey(fields.key(position)) {
                return .some(Self.named(fields.value(position)))
            }
            return .none
        }
        guard let kind = kind ?? nil else { return nil }
        self = kind
    }

    /// The handled event named `name`, ignoring ASCII case.
    static func named(_ name: UnsafeBufferPointer<UInt8>) -> AMIEventKind? {
        guard name.count < byLength.count, let base = name.baseAddress else { return nil }
        for (candidate, kind) in byLength[name.count] {
            // `| 0x20` lowercases letters; the names are all letters, so a match stays exact.
            let expected = candidate.utf8Start
            var index = 0
            while index < name.count && base[index] | 0x20 == expected[index] { index += 1 }
            if index == name.count { return kind }
        }
        return nil
    }

    /// The handled names in lowercase, grouped by length.
    private static let byLength: [[(StaticString, AMIEventKind)]] = {
        let all: [(StaticString, AMIEventKind)] = [
        ("hold", .hold),
        ("varset", .varSet),
        ("hangup", .hangup),
        ("unhold", .unhold),
        ("rename", .rename),
        ("dialend", .dialEnd),
        ("newexten", .newexten),
        ("newstate", .newstate),
        ("rtcpsent", .rtcpSent),
        ("dialbegin", .dialBegin),
        ("newchannel", .newchannel),
        ("newcallerid", .newCallerid),
        ("bridgeenter", .bridgeEnter),
        ("bridgeleave", .bridgeLeave),
        ("bridgemerge", .bridgeMerge),
        ("agentcalled", .agentCalled),
        ("bridgecreate", .bridgeCreate),
        ("agentconnect", .agentConnect),
        ("rtcpreceived", .rtcpReceived),
        ("hanguprequest", .hangupRequest),
        ("bridgedestroy", .bridgeDestroy),
        ("blindtransfer", .blindTransfer),
        ("newaccountcode", .newAccountCode),
        ("mixmonitorstop", .mixMonitorStop),
        ("messagewaiting", .messageWaiting),
        ("queuecallerjoin", .queueCallerJoin),
        ("mixmonitorstart", .mixMonitorStart),
        ("newconnectedline", .newConnectedLine),
        ("queuecallerleave", .queueCallerLeave),
        ("attendedtransfer", .attendedTransfer),
        ("agentringnoanswer", .agentRingNoAnswer),
        ("queuecallerabandon", .queueCallerAbandon),
        ]
        var table = [[(StaticString, AMIEventKind)]](repeating: [], count: 1 + all.map { $0.0.utf8CodeUnitCount }.max()!)
        for entry in all { table[entry.0.utf8CodeUnitCount].append(entry) }
        return table
    }()
}

/// Whether a key is `Event`, ignoring ASCII case.
@inline(__always)
private func isEventKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
    key.count == 5 && key[0] | 0x20 == UInt8(ascii: "e") && key[1] | 0x20 == UInt8(ascii: "v")
        && key[2] | 0x20 == UInt8(ascii: "e") && key[3] | 0x20 == UInt8(ascii: "n") && key[4] | 0x20 == UInt8(ascii: "t")
}
