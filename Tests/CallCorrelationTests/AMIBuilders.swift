import AMIProtocol
import CallCorrelation
import CallEvents

/// A channel as the transcripts describe it; builds Asterisk's channel block (ami-reference §2.0).
struct TestChannel {
    var id: String
    var name: String
    var linkedID: String
    var number: String?
    var callerName: String?
    var exten: String = "s"
    var context: String = "acme-internal"
    var accountCode: String?
    var state: String = "Down"
    var connectedNumber: String?

    func fields(prefix: String = "") -> [(String, String)] {
        [
            (prefix + "Channel", name),
            (prefix + "ChannelState", "0"),
            (prefix + "ChannelStateDesc", state),
            (prefix + "CallerIDNum", number ?? "<unknown>"),
            (prefix + "CallerIDName", callerName ?? "<unknown>"),
            (prefix + "ConnectedLineNum", connectedNumber ?? "<unknown>"),
            (prefix + "ConnectedLineName", "<unknown>"),
            (prefix + "AccountCode", accountCode ?? ""),
            (prefix + "Context", context),
            (prefix + "Exten", exten),
            (prefix + "Priority", "1"),
            (prefix + "Uniqueid", id),
            (prefix + "Linkedid", linkedID),
        ]
    }

    /// An inbound or calling phone: ringing, with caller ID and the dialled number in `Exten`.
    static func caller(
        _ id: String, _ channel: String, number: String, name: String? = nil, dialed: String,
        account: String? = "acme", context: String = "acme-internal"
    ) -> TestChannel {
        TestChannel(
            id: id, name: channel, linkedID: id, number: number, callerName: name, exten: dialed,
            context: context, accountCode: account, state: "Ring")
    }

    /// A dialled channel: `Exten: s`, no caller ID, no accountcode yet (they arrive later).
    static func callee(_ id: String, _ channel: String, linkedTo linkedID: String) -> TestChannel {
        TestChannel(id: id, name: channel, linkedID: linkedID, accountCode: nil, state: "Down")
    }
}

/// Builders for the AMI events the transcripts use.
enum AMI {
    static func event(_ name: String, _ fields: [(String, String)]) -> AMIMessage {
        AMIMessage([("Event", name), ("Privilege", "call,all")] + fields)
    }

    static func newchannel(_ c: TestChannel) -> AMIMessage { event("Newchannel", c.fields()) }

    static func newstate(_ c: inout TestChannel, _ state: String) -> AMIMessage {
        c.state = state
        return event("Newstate", c.fields())
    }

    /// The dialled channel learns its caller ID (the number it was dialled as) and accountcode.
    static func newCallerID(
        _ c: inout TestChannel, number: String, name: String? = nil,
        account: String? = "acme"
    ) -> AMIMessage {
        c.number = number
        c.callerName = name
        c.accountCode = account
        return event("NewCallerid", c.fields() + [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
    }

    static func newConnectedLine(_ c: inout TestChannel, number: String) -> AMIMessage {
        c.connectedNumber = number
        return event("NewConnectedLine", c.fields())
    }

    static func newexten(_ c: TestChannel, application: String, data: String = "") -> AMIMessage {
        event("Newexten", c.fields() + [("Extension", c.exten), ("Application", application), ("AppData", data)])
    }

    static func varSet(_ c: TestChannel, _ variable: String, _ value: String) -> AMIMessage {
        event("VarSet", c.fields() + [("Variable", variable), ("Value", value)])
    }

    static func dialBegin(from caller: TestChannel?, to dest: TestChannel, dialString: String) -> AMIMessage {
        event("DialBegin", (caller?.fields() ?? []) + dest.fields(prefix: "Dest") + [("DialString", dialString)])
    }

    static func dialEnd(
        from caller: TestChannel?, to dest: TestChannel, status: String,
        forward: String? = nil
    ) -> AMIMessage {
        var fields = (caller?.fields() ?? []) + dest.fields(prefix: "Dest") + [("DialStatus", status)]
        if let forward { fields.append(("Forward", forward)) }
        return event("DialEnd", fields)
    }

    static func bridgeEnter(_ bridge: String, _ c: TestChannel, swap: String? = nil) -> AMIMessage {
        var fields = bridgeFields(bridge) + c.fields()
        if let swap { fields.append(("SwapUniqueid", swap)) }
        return event("BridgeEnter", fields)
    }

    static func bridgeLeave(_ bridge: String, _ c: TestChannel) -> AMIMessage {
        event("BridgeLeave", bridgeFields(bridge) + c.fields())
    }

    static func bridgeFields(_ bridge: String) -> [(String, String)] {
        [
            ("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"), ("BridgeName", "<unknown>"), ("BridgeNumChannels", "1"),
        ]
    }

    static func hangup(_ c: TestChannel, cause: Int = 16, text: String = "Normal Clearing") -> AMIMessage {
        event("Hangup", c.fields() + [("Cause", "\(cause)"), ("Cause-txt", text)])
    }

    static func hangupRequest(_ c: TestChannel) -> AMIMessage { event("HangupRequest", c.fields() + [("Cause", "16")]) }

    static func cdr(_ c: TestChannel) -> AMIMessage {
        event("Cdr", [("AccountCode", "acme"), ("Channel", c.name), ("UniqueID", c.id), ("Disposition", "ANSWERED")])
    }

    static func localBridge(_ one: TestChannel, _ two: TestChannel) -> AMIMessage {
        event(
            "LocalBridge",
            one.fields(prefix: "LocalOne") + two.fields(prefix: "LocalTwo")
                + [("Context", "agents"), ("Exten", "1001"), ("LocalOptimization", "Yes")])
    }

    static func queueCallerJoin(_ c: TestChannel, queue: String) -> AMIMessage {
        event("QueueCallerJoin", c.fields() + [("Queue", queue), ("Position", "1"), ("Count", "1")])
    }

    static func queueCallerLeave(_ c: TestChannel, queue: String) -> AMIMessage {
        event("QueueCallerLeave", c.fields() + [("Queue", queue), ("Position", "1"), ("Count", "0")])
    }

    static func queueCallerAbandon(_ c: TestChannel, queue: String) -> AMIMessage {
        event(
            "QueueCallerAbandon",
            c.fields() + [
                ("Queue", queue), ("Position", "1"), ("OriginalPosition", "1"),
                ("HoldTime", "20"),
            ])
    }

    static func agentRingNoAnswer(caller: TestChannel, member: TestChannel, queue: String) -> AMIMessage {
        event(
            "AgentRingNoAnswer",
            caller.fields() + member.fields(prefix: "Dest")
                + [
                    ("Queue", queue), ("Interface", "Local/1001@agents"), ("MemberName", "agent"),
                    ("RingTime", "15000"),
                ])
    }

    static func blindTransfer(transferer: TestChannel, transferee: TestChannel, exten: String) -> AMIMessage {
        event(
            "BlindTransfer",
            [("Result", "Success")] + transferer.fields(prefix: "Transferer")
                + transferee.fields(prefix: "Transferee") + bridgeFields("b-x")
                + [("IsExternal", "No"), ("Context", "acme-internal"), ("Extension", exten)])
    }

    static func attendedTransfer(
        origTransferer: TestChannel, secondTransferer: TestChannel,
        transferee: TestChannel, target: TestChannel
    ) -> AMIMessage {
        event(
            "AttendedTransfer",
            [("Result", "Success")] + origTransferer.fields(prefix: "OrigTransferer")
                + secondTransferer.fields(prefix: "SecondTransferer") + transferee.fields(prefix: "Transferee")
                + target.fields(prefix: "TransferTarget") + [("IsExternal", "Yes"), ("DestType", "Bridge")])
    }

    static func hold(_ c: TestChannel) -> AMIMessage { event("Hold", c.fields() + [("MusicClass", "default")]) }
    static func unhold(_ c: TestChannel) -> AMIMessage { event("Unhold", c.fields()) }

    static func messageWaiting(_ c: TestChannel?, mailbox: String, new: Int, old: Int = 0) -> AMIMessage {
        event(
            "MessageWaiting",
            (c?.fields() ?? []) + [
                ("Mailbox", mailbox), ("Waiting", new > 0 ? "1" : "0"),
                ("New", "\(new)"), ("Old", "\(old)"),
            ])
    }

    /// A `CoreShowChannel` list item (resync).
    static func coreShowChannel(_ c: TestChannel, bridge: String? = nil) -> AMIMessage {
        AMIMessage(
            [("Event", "CoreShowChannel"), ("ActionID", "resync")] + c.fields()
                + [("BridgeId", bridge ?? ""), ("Application", "Dial"), ("Duration", "00:00:10")])
    }
}

/// Drives a correlator one message at a time with a clock that advances one second per step, and
/// renders outputs as short sentences ("started caller 1001") so a transcript asserts whole steps.
struct Transcript {
    var correlator: CallCorrelator
    var seconds: Int64 = 1_796_414_998
    var events: [CallEvent] = []

    init(configuration: CorrelationConfiguration = .sample) {
        correlator = CallCorrelator(configuration: configuration)
    }

    var now: EventInstant { EventInstant(microseconds: seconds * 1_000_000) }

    /// Feeds one message and returns the sentences of its output.
    mutating func step(_ message: AMIMessage, advance: Int64 = 1) -> [String] {
        seconds += advance
        let output = correlator.process(message, at: now)
        events += output.events
        return output.sentences
    }

    /// Feeds several messages at the same instant and returns all sentences.
    mutating func steps(_ messages: [AMIMessage]) -> [String] {
        seconds += 1
        var sentences: [String] = []
        for message in messages {
            let output = correlator.process(message, at: now)
            events += output.events
            sentences += output.sentences
        }
        return sentences
    }

    func last(_ type: EventName) -> CallEvent? { events.last { $0.type == type } }
}

extension CorrelationOutput {
    /// `started caller 1001`, `connected callee 1002`, `updated caller 1001 hold`,
    /// `finished callee 1002 busy`, `customer_interaction answered`, `voicemail_received 1002@acme`.
    var sentences: [String] { events.map(\.sentence) }
}

extension CallEvent {
    var sentence: String {
        let leg = data["leg"]
        let who = "\(leg?["role"]?.stringValue ?? "?") \(leg?["number"]?.stringValue ?? "?")"
        switch type {
        case .callStarted: return "started \(who)"
        case .callConnected: return "connected \(who)"
        case .callUpdated: return "updated \(who) \(data["change"]?["reason"]?.stringValue ?? "?")"
        case .callFinished: return "finished \(who) \(data["disposition"]?.stringValue ?? "?")"
        case .customerInteraction: return "customer_interaction \(data["outcome"]?.stringValue ?? "?")"
        case .voicemailReceived: return "voicemail_received \(data["mailbox"]?.stringValue ?? "?")"
        case .callRating: return "call_rating"
        }
    }
}
