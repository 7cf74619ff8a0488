/// Realistic samples, taken from replays of the lab captures (outbound call 1001 → +15557654321,
/// the queue call of scenario 8 and the voicemail of scenario 11), trimmed of nothing: a webhook
/// receives exactly this shape.
enum EventSamples {
    static let callID = "1796415068.12"

    static func leg(
        id: String, role: String, channel: String, number: String, name: String?, state: String, external: Bool,
        startedAt: String, answeredAt: String? = nil, endedAt: String? = nil
    ) -> JSONValue {
        [
            "id": .string(id), "role": .string(role), "channel": .string(channel),
            "device": .string(String(channel[..<(channel.lastIndex(of: "-") ?? channel.endIndex)])),
            "number": .string(number), "name": .optional(name), "state": .string(state),
            "external": .bool(external), "account_code": "acme", "started_at": .string(startedAt),
            "answered_at": .optional(answeredAt), "ended_at": .optional(endedAt),
        ]
    }

    static func caller(state: String, answered: Bool = true, ended: Bool = false) -> JSONValue {
        leg(
            id: "1796415068.12", role: "caller", channel: "IAX2/1001-3825", number: "1001", name: "Alice Anders",
            state: state, external: false, startedAt: "2026-12-04T20:11:08.073Z",
            answeredAt: answered ? "2026-12-04T20:11:12.085Z" : nil, endedAt: ended ? "2026-12-04T20:11:18.107Z" : nil)
    }

    static func callee(state: String, answered: Bool = true, ended: Bool = false) -> JSONValue {
        leg(
            id: "1796415068.13", role: "callee", channel: "IAX2/carrier-14467", number: "+15557654321", name: nil,
            state: state, external: true, startedAt: "2026-12-04T20:11:08.074Z",
            answeredAt: answered ? "2026-12-04T20:11:12.083Z" : nil, endedAt: ended ? "2026-12-04T20:11:18.108Z" : nil)
    }

    static func callData(legs: [JSONValue], toNumber: String = "+15557654321") -> [String: JSONValue] {
        [
            "call_id": .string(callID), "related_call_ids": [], "direction": "outbound",
            "from": ["number": "1001", "name": "Alice Anders"], "to": ["number": .string(toNumber), "name": nil],
            "dialed_number": "+15557654321", "queue": nil, "legs": .array(legs),
        ]
    }

    static func envelope(
        _ name: EventName, sequence: Int, timestamp: String, data: [String: JSONValue],
        callID: String = callID
    ) -> JSONValue {
        [
            "id": .string("evt_\(callID)_\(sequence)"), "type": .string(name.rawValue),
            "timestamp": .string(timestamp), "tenant": "acme", "sequence": .int(Int64(sequence)), "data": .object(data),
        ]
    }

    static func sample(of name: EventName) -> JSONValue {
        switch name {
        case .callStarted:
            var data = callData(legs: [caller(state: "ringing", answered: false)])
            data["leg"] = caller(state: "ringing", answered: false)
            data["started_at"] = "2026-12-04T20:11:08.073Z"
            data["answered_at"] = nil
            data["ended_at"] = nil
            return envelope(name, sequence: 1, timestamp: "2026-12-04T20:11:08.074Z", data: data)
        case .callConnected:
            var data = callData(legs: [caller(state: "up"), callee(state: "up")])
            data["leg"] = caller(state: "up")
            data["peer"] = callee(state: "up")
            data["started_at"] = "2026-12-04T20:11:08.073Z"
            data["answered_at"] = "2026-12-04T20:11:12.085Z"
            data["ended_at"] = nil
            return envelope(name, sequence: 3, timestamp: "2026-12-04T20:11:12.085Z", data: data)
        case .callUpdated:
            let queueCaller = leg(
                id: "1796415082.14", role: "caller", channel: "IAX2/carrier-14580", number: "+15559876543",
                name: "Quinn Buyer", state: "up", external: true, startedAt: "2026-12-04T20:11:22.091Z",
                answeredAt: "2026-12-04T20:11:22.092Z")
            let data: [String: JSONValue] = [
                "call_id": "1796415082.14", "related_call_ids": [], "direction": "inbound",
                "from": ["number": "+15559876543", "name": "Quinn Buyer"],
                "to": ["number": "+18005550101", "name": nil],
                "dialed_number": "+18005550101",
                "queue": [
                    "name": "acme-support", "joined_at": "2026-12-04T20:11:22.115Z", "left_at": nil,
                    "wait_seconds": nil, "abandoned": false,
                ],
                "legs": [queueCaller], "leg": queueCaller,
                "change": ["reason": "queue_joined", "queue": "acme-support", "position": 1],
                "started_at": "2026-12-04T20:11:22.091Z", "answered_at": "2026-12-04T20:11:22.092Z", "ended_at": nil,
            ]
            return envelope(
                name, sequence: 3, timestamp: "2026-12-04T20:11:22.115Z", data: data,
                callID: "1796415082.14")
        case .callFinished:
            var data = callData(legs: [caller(state: "down", ended: true), callee(state: "up")])
            data["leg"] = caller(state: "down", ended: true)
            data["started_at"] = "2026-12-04T20:11:08.073Z"
            data["answered_at"] = "2026-12-04T20:11:12.085Z"
            data["ended_at"] = "2026-12-04T20:11:18.107Z"
            data["disposition"] = "answered"
            data["hangup_cause"] = 16
            data["hangup_cause_text"] = "Normal Clearing"
            data["hangup_by"] = ["leg_id": "1796415068.13", "role": "callee", "number": "+15557654321"]
            data["ring_seconds"] = 4.012
            data["talk_seconds"] = 6.022
            data["reconstructed"] = false
            return envelope(name, sequence: 5, timestamp: "2026-12-04T20:11:18.107Z", data: data)
        case .customerInteraction:
            var data = callData(legs: [caller(state: "down", ended: true), callee(state: "down", ended: true)])
            let external: JSONValue = [
                "leg_id": "1796415068.13", "role": "callee", "number": "+15557654321", "name": nil,
                "call_id": .string(callID),
            ]
            data["external_party"] = external
            data["external_parties"] = [external]
            data["outcome"] = "answered"
            data["answered_by"] = ["leg_id": "1796415068.13", "number": "+15557654321", "name": nil]
            data["transfers"] = []
            data["transferred"] = false
            data["voicemail_mailbox"] = nil
            data["started_at"] = "2026-12-04T20:11:08.073Z"
            data["answered_at"] = "2026-12-04T20:11:12.085Z"
            data["ended_at"] = "2026-12-04T20:11:18.108Z"
            data["duration_seconds"] = 10.035
            data["wait_seconds"] = 4.012
            data["talk_seconds"] = 6.022
            data["linked_call_ids"] = []
            return envelope(name, sequence: 7, timestamp: "2026-12-04T20:11:18.108Z", data: data)
        case .voicemailReceived:
            let vmCaller = leg(
                id: "1796415128.29", role: "caller", channel: "IAX2/1001-15113", number: "1001", name: "Alice Anders",
                state: "up", external: false, startedAt: "2026-12-04T20:12:08.177Z",
                answeredAt: "2026-12-04T20:12:20.192Z")
            let vmCallee = leg(
                id: "1796415128.30", role: "callee", channel: "IAX2/1002-1434", number: "1002", name: nil,
                state: "down", external: false, startedAt: "2026-12-04T20:12:08.178Z",
                endedAt: "2026-12-04T20:12:20.191Z")
            let data: [String: JSONValue] = [
                "call_id": "1796415128.29", "related_call_ids": [], "direction": "internal",
                "from": ["number": "1001", "name": "Alice Anders"], "to": ["number": "1002", "name": nil],
                "dialed_number": "1002", "queue": nil, "legs": [vmCaller, vmCallee],
                "mailbox": "1002@acme",
                "caller": ["leg_id": "1796415128.29", "number": "1001", "name": "Alice Anders"],
                "new_messages": 1, "old_messages": 0, "left_at": "2026-12-04T20:12:27.196Z",
                "message_file": "/var/spool/asterisk/voicemail/acme/1002/INBOX/msg0000", "duration_seconds": 7.004,
            ]
            return envelope(
                name, sequence: 5, timestamp: "2026-12-04T20:12:27.196Z", data: data,
                callID: "1796415128.29")
        case .callRating:
            var data = callData(legs: [caller(state: "down", ended: true), callee(state: "down", ended: true)])
            data["cost"] = [
                "currency": "USD", "amount": 0.02, "number": "+15557654321", "leg_id": "1796415068.13",
                "plan_prefix": "+1555", "per_minute": 0.02, "increment": "30/6", "connection_fee": 0.01,
                "talk_seconds": 7, "billed_seconds": 30,
            ]
            data["quality"] = [
                [
                    "leg_id": "1796415068.12", "number": "1001", "mos": 4.4, "mes": 88.08, "jitter_ms": 0.125,
                    "loss_percent": 0, "rtt_ms": 0.628, "source": "rtpaudioqos",
                ]
            ]
            data["mos"] = 4.4
            data["ended_at"] = "2026-12-04T20:11:18.108Z"
            return envelope(name, sequence: 8, timestamp: "2026-12-04T20:11:18.108Z", data: data)
        }
    }
}
