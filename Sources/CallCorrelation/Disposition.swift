/// How a leg ended (event-model.md `finished`).
enum Disposition: String, Sendable {
    case answered, voicemail
    case noAnswer = "no_answer"
    case busy, cancelled, failed
}

extension CallCorrelator {
    /// The leg's disposition, from the strongest evidence down:
    /// 1. connected to a party at some point → `answered`;
    /// 2. a caller that reached voicemail → `voicemail`;
    /// 3. the `DialStatus` of the dial that rang the callee, or of the caller's last dial
    ///    (ami-reference §2.2), with queue abandon and `AgentRingNoAnswer` for queue members;
    /// 4. the Q.850 hangup cause (§2.1).
    /// A caller that hung up before reaching anyone (also in a queue or an IVR) is `cancelled`.
    func disposition(of leg: ChannelRecord, in call: CallRecord) -> Disposition {
        Self.disposition(of: leg, queue: call.queue)
    }

    /// ``disposition(of:in:)`` from the leg (borrowed: read in place, not copied) and its call's
    /// queue visit, the only fact of the call it reads.
    static func disposition(of leg: borrowing ChannelRecord, queue: QueueVisit?) -> Disposition {
        if leg.connectedAt != nil { return .answered }
        switch leg.role {
        case .caller:
            if leg.ranVoicemail { return .voicemail }
            if let queue, queue.abandoned || queue.leftAt == nil { return .cancelled }
            if leg.anyDialAnswered { return .answered }
            if leg.wasDialled {
                // An originated caller was itself dialled: judge it like a callee.
                if let status = leg.dialStatusToMe, let mapped = Self.disposition(dialStatus: status) { return mapped }
                if leg.answeredAt != nil { return .answered }
            }
            if let status = leg.lastDialStatusFromMe, let mapped = Self.disposition(dialStatus: status) {
                return mapped
            }
        case .callee:
            if leg.ringNoAnswer { return .noAnswer }
            if let status = leg.dialStatusToMe, let mapped = Self.disposition(dialStatus: status) { return mapped }
            if leg.forwardedTo != nil { return .cancelled }
            if leg.answeredAt != nil { return .answered }
        }
        return Self.disposition(cause: leg.hangupCause)
    }

    static func disposition(dialStatus: String) -> Disposition? {
        switch dialStatus.uppercased() {
        case "ANSWER": return .answered
        case "BUSY": return .busy
        case "NOANSWER": return .noAnswer
        case "CANCEL": return .cancelled
        case "CHANUNAVAIL", "CONGESTION", "ABORT": return .failed
        default: return nil
        }
    }

    /// Q.850 causes (`include/asterisk/causes.h`). Normal clearing and unknown mean the leg was
    /// hung up before anyone answered: `cancelled`.
    static func disposition(cause: Int?) -> Disposition {
        switch cause ?? 0 {
        case 17: return .busy
        case 18, 19: return .noAnswer
        case 26: return .cancelled
        case 1, 2, 3, 21, 22, 27, 28, 29, 34, 38, 41, 42, 44, 47, 50, 58, 65, 66, 69, 79, 88, 102, 111, 127:
            return .failed
        default: return .cancelled
        }
    }
}
