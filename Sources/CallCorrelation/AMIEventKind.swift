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
    ///
    /// `borrowing`: an initializer takes its arguments owned by default, so `process` copied the
    /// message (a retain and a release of its storage, atomics) for every message of the stream.
    init?(of message: borrowing AMIMessage) {
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
    ///
    /// The length and one or two letters pick the only name it can be; that name is then compared
    /// a word at a time (``equalsIgnoringCase(_:from:_:)``: `| 0x20` on every byte, exact for
    /// these all-letter names). Every message of the stream comes through here: a loop over the
    /// candidates of a length, byte by byte, cost ~85 instructions a message.
    static func named(_ name: UnsafeBufferPointer<UInt8>) -> AMIEventKind? {
        let count = name.count
        guard count >= 4, count <= 18 else { return nil }
        let first = name[0] | 0x20
        let expected: StaticString
        let kind: AMIEventKind
        switch count {
        case 4: (expected, kind) = ("hold", .hold)
        case 6:
            switch first {
            case UInt8(ascii: "v"): (expected, kind) = ("varset", .varSet)
            case UInt8(ascii: "h"): (expected, kind) = ("hangup", .hangup)
            case UInt8(ascii: "u"): (expected, kind) = ("unhold", .unhold)
            case UInt8(ascii: "r"): (expected, kind) = ("rename", .rename)
            default: return nil
            }
        case 7: (expected, kind) = ("dialend", .dialEnd)
        case 8:
            switch first {
            case UInt8(ascii: "n"):
                (expected, kind) = name[3] | 0x20 == UInt8(ascii: "e") ? ("newexten", .newexten) : ("newstate", .newstate)
            case UInt8(ascii: "r"): (expected, kind) = ("rtcpsent", .rtcpSent)
            default: return nil
            }
        case 9: (expected, kind) = ("dialbegin", .dialBegin)
        case 10: (expected, kind) = ("newchannel", .newchannel)
        case 11:
            switch first {
            case UInt8(ascii: "n"): (expected, kind) = ("newcallerid", .newCallerid)
            case UInt8(ascii: "a"): (expected, kind) = ("agentcalled", .agentCalled)
            case UInt8(ascii: "b"):
                switch name[6] | 0x20 {
                case UInt8(ascii: "e"): (expected, kind) = ("bridgeenter", .bridgeEnter)
                case UInt8(ascii: "l"): (expected, kind) = ("bridgeleave", .bridgeLeave)
                default: (expected, kind) = ("bridgemerge", .bridgeMerge)
                }
            default: return nil
            }
        case 12:
            switch first {
            case UInt8(ascii: "b"): (expected, kind) = ("bridgecreate", .bridgeCreate)
            case UInt8(ascii: "a"): (expected, kind) = ("agentconnect", .agentConnect)
            case UInt8(ascii: "r"): (expected, kind) = ("rtcpreceived", .rtcpReceived)
            default: return nil
            }
        case 13:
            switch first {
            case UInt8(ascii: "h"): (expected, kind) = ("hanguprequest", .hangupRequest)
            case UInt8(ascii: "b"):
                (expected, kind) = name[1] | 0x20 == UInt8(ascii: "r")
                    ? ("bridgedestroy", .bridgeDestroy) : ("blindtransfer", .blindTransfer)
            default: return nil
            }
        case 14:
            switch first {
            case UInt8(ascii: "n"): (expected, kind) = ("newaccountcode", .newAccountCode)
            case UInt8(ascii: "m"):
                (expected, kind) = name[1] | 0x20 == UInt8(ascii: "i")
                    ? ("mixmonitorstop", .mixMonitorStop) : ("messagewaiting", .messageWaiting)
            default: return nil
            }
        case 15:
            switch first {
            case UInt8(ascii: "q"): (expected, kind) = ("queuecallerjoin", .queueCallerJoin)
            case UInt8(ascii: "m"): (expected, kind) = ("mixmonitorstart", .mixMonitorStart)
            default: return nil
            }
        case 16:
            switch first {
            case UInt8(ascii: "n"): (expected, kind) = ("newconnectedline", .newConnectedLine)
            case UInt8(ascii: "q"): (expected, kind) = ("queuecallerleave", .queueCallerLeave)
            case UInt8(ascii: "a"): (expected, kind) = ("attendedtransfer", .attendedTransfer)
            default: return nil
            }
        case 17: (expected, kind) = ("agentringnoanswer", .agentRingNoAnswer)
        case 18: (expected, kind) = ("queuecallerabandon", .queueCallerAbandon)
        default: return nil
        }
        return equalsIgnoringCase(name, expected) ? kind : nil
    }

    /// Every handled name in lowercase with its kind (tests check ``named(_:)`` against it).
    static let allNames: [(String, AMIEventKind)] = [
        ("hold", .hold), ("varset", .varSet), ("hangup", .hangup), ("unhold", .unhold), ("rename", .rename),
        ("dialend", .dialEnd), ("newexten", .newexten), ("newstate", .newstate), ("rtcpsent", .rtcpSent),
        ("dialbegin", .dialBegin), ("newchannel", .newchannel), ("newcallerid", .newCallerid),
        ("bridgeenter", .bridgeEnter), ("bridgeleave", .bridgeLeave), ("bridgemerge", .bridgeMerge),
        ("agentcalled", .agentCalled), ("bridgecreate", .bridgeCreate), ("agentconnect", .agentConnect),
        ("rtcpreceived", .rtcpReceived), ("hanguprequest", .hangupRequest), ("bridgedestroy", .bridgeDestroy),
        ("blindtransfer", .blindTransfer), ("newaccountcode", .newAccountCode), ("mixmonitorstop", .mixMonitorStop),
        ("messagewaiting", .messageWaiting), ("queuecallerjoin", .queueCallerJoin),
        ("mixmonitorstart", .mixMonitorStart), ("newconnectedline", .newConnectedLine),
        ("queuecallerleave", .queueCallerLeave), ("attendedtransfer", .attendedTransfer),
        ("agentringnoanswer", .agentRingNoAnswer), ("queuecallerabandon", .queueCallerAbandon),
    ]
}

/// Whether a key is `Event`, ignoring ASCII case.
@inline(__always)
private func isEventKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
    key.count == 5 && key[0] | 0x20 == UInt8(ascii: "e") && key[1] | 0x20 == UInt8(ascii: "v")
        && key[2] | 0x20 == UInt8(ascii: "e") && key[3] | 0x20 == UInt8(ascii: "n") && key[4] | 0x20 == UInt8(ascii: "t")
}
