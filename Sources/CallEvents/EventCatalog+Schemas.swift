/// JSON Schemas of the events (draft 2020-12), built from small parts so that a field is described
/// once and every event that carries it says the same thing.
enum EventSchema {
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    static func string(_ description: String, format: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "description": .string(description)]
        if let format { schema["format"] = .string(format) }
        return .object(schema)
    }

    static func nullableString(_ description: String, format: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": ["string", "null"], "description": .string(description)]
        if let format { schema["format"] = .string(format) }
        return .object(schema)
    }

    static func enumeration(_ values: [String], _ description: String) -> JSONValue {
        ["type": "string", "enum": .array(values.map { .string($0) }), "description": .string(description)]
    }

    static func number(_ description: String, nullable: Bool = false) -> JSONValue {
        ["type": nullable ? ["number", "null"] : "number", "description": .string(description)]
    }

    static func integer(_ description: String, nullable: Bool = false) -> JSONValue {
        ["type": nullable ? ["integer", "null"] : "integer", "description": .string(description)]
    }

    static func boolean(_ description: String) -> JSONValue {
        ["type": "boolean", "description": .string(description)]
    }

    static func object(
        _ description: String, _ properties: [String: JSONValue], required: [String]? = nil, nullable: Bool = false
    ) -> JSONValue {
        [
            "type": nullable ? ["object", "null"] : "object",
            "description": .string(description),
            "properties": .object(properties),
            "required": .array((required ?? properties.keys.sorted()).map { .string($0) }),
        ]
    }

    static func array(_ description: String, of items: JSONValue) -> JSONValue {
        ["type": "array", "description": .string(description), "items": items]
    }

    static let instant = "date-time"

    static let legDefinition = object(
        "One leg: a real channel (phone or trunk), never a Local channel half.",
        [
            "id": string("The channel's Asterisk Uniqueid; stable for the leg's life."),
            "role": enumeration(
                ["caller", "callee"], "caller: the first leg of the call; callee: every leg it reached."),
            "channel": string("Asterisk channel name, e.g. PJSIP/1001-0000002a."),
            "device": string("Channel name without the driver's counter, e.g. PJSIP/1001."),
            "number": string("The leg's number: caller ID of the caller, dialled number of a callee."),
            "name": nullableString("Caller ID name when known."),
            "state": enumeration(["ringing", "up", "on_hold", "down"], "State after this event."),
            "external": boolean("True when the number is external (not matching numbers.internal)."),
            "account_code": nullableString("Asterisk accountcode of the channel."),
            "started_at": string("When the channel was created.", format: instant),
            "answered_at": nullableString("When the leg was answered or first connected.", format: instant),
            "ended_at": nullableString("When the leg hung up.", format: instant),
        ],
        required: ["id", "role", "channel", "number", "name", "state", "external", "started_at"])

    static let partyDefinition = object(
        "A party of the call.",
        ["number": nullableString("Number."), "name": nullableString("Caller ID name.")])

    static let queueDefinition = object(
        "The queue the caller went through, or null.",
        [
            "name": string("Queue name."),
            "joined_at": string("When the caller joined.", format: instant),
            "left_at": nullableString("When the caller left.", format: instant),
            "wait_seconds": number("Seconds the caller waited in the queue.", nullable: true),
            "abandoned": boolean("True when the caller left without an agent."),
        ], nullable: true)

    /// Shared definitions, referenced as `#/$defs/<name>` so each is published once per schema.
    static let definitions: JSONValue = ["leg": legDefinition, "party": partyDefinition, "queue": queueDefinition]
    static let leg: JSONValue = ["$ref": "#/$defs/leg"]
    static let party: JSONValue = ["$ref": "#/$defs/party"]
    static let queue: JSONValue = ["$ref": "#/$defs/queue"]

    /// Fields every event about a call carries.
    static let callFields: [String: JSONValue] = [
        "call_id": string("Stable id of the call (the Linkedid of its first leg)."),
        "related_call_ids": array("Calls linked to this one by a transfer.", of: string("Call id.")),
        "direction": enumeration(["inbound", "outbound", "internal"], "From the caller's point of view."),
        "from": party,
        "to": party,
        "dialed_number": nullableString("The number the caller dialled (DID for inbound calls)."),
        "queue": queue,
        "legs": array("Snapshot of every leg of the call announced so far, oldest first.", of: leg),
    ]

    /// Fields of the four leg events.
    static let legFields: [String: JSONValue] = callFields.merging([
        "leg": leg,
        "started_at": string("When this leg was created.", format: instant),
        "answered_at": nullableString("When this leg was answered or first connected.", format: instant),
        "ended_at": nullableString("When this leg hung up.", format: instant),
    ]) { $1 }

    static let legRequired = [
        "call_id", "leg", "direction", "from", "to", "dialed_number", "queue", "legs",
        "related_call_ids", "started_at",
    ]

    static func envelope(_ name: EventName, data: JSONValue) -> JSONValue {
        [
            "$schema": .string(dialect),
            "$id": .string("https://event-publisher.local/schemas/\(name.rawValue).json"),
            "title": .string(name.rawValue),
            "type": "object",
            "properties": [
                "id": string("Unique event id, identical on every retry and replay (evt_<call id>_<sequence>)."),
                "type": ["const": .string(name.rawValue)],
                "timestamp": string("When it happened at the PBX (ISO 8601, UTC).", format: instant),
                "tenant": string("The tenant the call belongs to; `main` when no rule claims it."),
                "sequence": [
                    "type": "integer", "minimum": 1, "description": "Per call, 1, 2, 3, … in emission order.",
                ],
                "data": data,
            ],
            "required": ["id", "type", "timestamp", "tenant", "sequence", "data"],
            "$defs": definitions,
        ]
    }

    static func legEvent(_ name: EventName, extra: [String: JSONValue], required: [String] = []) -> JSONValue {
        envelope(
            name,
            data: object(
                "The leg and a snapshot of its call.", legFields.merging(extra) { $1 },
                required: legRequired + required))
    }

    static let change = object(
        "What changed. `reason` names the cause; the other fields depend on it.",
        [
            "reason": enumeration(EventCatalog.updateReasons.map(\.0), "Why the leg was updated."),
            "application": nullableString("answered_by_application: the application (Answer, Queue, VoiceMail, …)."),
            "queue": string("queue_*: the queue name."),
            "position": integer("queue_joined/queue_abandoned: position in the queue.", nullable: true),
            "wait_seconds": number("queue_left: seconds waited."),
            "abandoned": boolean("queue_left: whether the caller had abandoned."),
            "transferer_leg_id": nullableString("transfer_*: leg that made the transfer."),
            "transferee_leg_id": nullableString("transfer_*: leg that was transferred."),
            "target": nullableString("transfer_blind: extension the transferee was sent to."),
            "target_context": nullableString("transfer_blind: dialplan context of the target."),
            "target_leg_id": nullableString("transfer_attended: the transfer target's leg."),
            "requested_externally": boolean(
                "transfer_*: requested from outside the bridge (phone REFER or AMI), not by a DTMF feature code."),
            "connected_party": party,
            "previous": party,
            "current": party,
            "music_class": nullableString("hold: music-on-hold class."),
            "from": nullableString("forwarded: the forwarding number."),
            "to": string("forwarded: where the call was forwarded."),
        ],
        required: ["reason"])

    static let hangupBy = object(
        "The leg whose hang-up ended this leg's conversation (itself when it hung up first), or null.",
        [
            "leg_id": string("Leg id."),
            "role": enumeration(["caller", "callee"], "Its role."),
            "number": string("Its number."),
        ], nullable: true)

    static let externalParty = object(
        "An external party of the call.",
        [
            "leg_id": string("Leg id."), "role": enumeration(["caller", "callee"], "Its role."),
            "number": string("External number."), "name": nullableString("Caller ID name."),
            "call_id": string("The call the leg belongs to."),
        ], required: ["leg_id", "role", "number", "name"])
}

extension EventCatalog {
    static func schema(of name: EventName) -> JSONValue {
        typealias S = EventSchema
        switch name {
        case .callStarted:
            return S.legEvent(
                name,
                extra: [
                    "reconstructed": S.boolean("Present and true when the leg was adopted after a reconnect.")
                ])
        case .callConnected:
            return S.legEvent(name, extra: ["peer": S.leg], required: ["peer"])
        case .callUpdated:
            return S.legEvent(name, extra: ["change": S.change], required: ["change"])
        case .callFinished:
            return S.legEvent(
                name,
                extra: [
                    "disposition": S.enumeration(dispositions.map(\.0), "How the leg ended."),
                    "hangup_cause": S.integer("Q.850 hangup cause code from Asterisk.", nullable: true),
                    "hangup_cause_text": S.nullableString("Asterisk's text for the cause."),
                    "hangup_by": S.hangupBy,
                    "ring_seconds": S.number("Seconds from creation to answer (or to the end when unanswered)."),
                    "talk_seconds": S.number("Seconds from the first connect to the end; 0 when never connected."),
                    "reconstructed": S.boolean(
                        "True when the end was inferred (the leg vanished during a disconnect)."),
                    "forwarded_to": S.string("Where the leg forwarded the call, when it did."),
                ], required: ["disposition", "hangup_cause", "hangup_by", "ring_seconds", "talk_seconds", "ended_at"])
        case .customerInteraction:
            return S.envelope(
                name,
                data: S.object(
                    "Summary of a call with an external party.",
                    S.callFields.merging([
                        "external_party": S.externalParty,
                        "external_parties": S.array("Every external party (of linked calls too).", of: S.externalParty),
                        "outcome": S.enumeration(
                            ["answered", "voicemail", "missed", "busy", "failed", "abandoned"],
                            "How the call went for the external party."),
                        "answered_by": S.object(
                            "The party that answered the caller, or null.",
                            [
                                "leg_id": S.string("Leg id."), "number": S.string("Number."),
                                "name": S.nullableString("Name."),
                            ], nullable: true),
                        "transfers": S.array("Transfers during the call (the `change` objects).", of: S.change),
                        "transferred": S.boolean("Whether the call was transferred."),
                        "voicemail_mailbox": S.nullableString("Mailbox that got a message from this call."),
                        "started_at": S.string("When the call began.", format: S.instant),
                        "answered_at": S.nullableString("First time two parties were connected.", format: S.instant),
                        "ended_at": S.string("When the last leg hung up.", format: S.instant),
                        "duration_seconds": S.number("From the first leg's creation to the end."),
                        "wait_seconds": S.number("From the start until someone answered (or the caller gave up)."),
                        "talk_seconds": S.number("From the caller's first connect to its hang-up."),
                        "linked_call_ids": S.array("Linked calls this summary also covers.", of: S.string("Call id.")),
                    ]) { $1 },
                    required: [
                        "call_id", "direction", "external_party", "outcome", "answered_by", "queue", "transfers",
                        "started_at", "ended_at", "duration_seconds", "wait_seconds", "talk_seconds", "legs",
                    ]))
        case .voicemailReceived:
            return S.envelope(
                name,
                data: S.object(
                    "A voicemail message was left. The call fields are present when the message is linked to a call.",
                    S.callFields.merging([
                        "call_id": S.nullableString("The call that left the message, or null."),
                        "mailbox": S.string("Mailbox, e.g. 1002@acme."),
                        "caller": S.object(
                            "Who left the message, or null.",
                            [
                                "leg_id": S.string("Leg id."), "number": S.string("Number."),
                                "name": S.nullableString("Name."),
                            ], nullable: true),
                        "new_messages": S.integer("New (unheard) messages in the mailbox now.", nullable: true),
                        "old_messages": S.integer("Old messages in the mailbox now.", nullable: true),
                        "left_at": S.string("When the mailbox reported the message.", format: S.instant),
                        "message_file": S.nullableString("Spool path of the recording (VM_MESSAGEFILE)."),
                        "duration_seconds": S.number(
                            "Approximate: from the voicemail answer until the message was stored (greeting included).",
                            nullable: true),
                    ]) { $1 },
                    required: ["call_id", "mailbox", "caller", "new_messages", "old_messages", "left_at"]))
        case .callRating:
            return S.envelope(
                name,
                data: S.object(
                    "Cost and/or voice quality of an ended call.",
                    S.callFields.merging([
                        "cost": S.object(
                            "Cost from the matching rate plan, or null.",
                            [
                                "currency": S.string("Currency code (rating.currency)."),
                                "amount": S.number(
                                    "connection_fee + per_minute × billed_seconds / 60; 0 when unanswered."),
                                "number": S.string("The external number rated."),
                                "leg_id": S.string("Its leg."),
                                "plan_prefix": S.string("Prefix of the plan that matched (longest prefix wins)."),
                                "per_minute": S.number("Price per minute."),
                                "increment": S.string("Billing increment, minimum/step in seconds (e.g. 30/6)."),
                                "connection_fee": S.number("Fee charged (0 when unanswered)."),
                                "talk_seconds": S.integer("Talk seconds, rounded up."),
                                "billed_seconds": S.integer("Billed seconds after the increment."),
                            ], nullable: true),
                        "quality": S.array(
                            "Voice quality per leg, when the PBX reported it.",
                            of: S.object(
                                "Per leg.",
                                [
                                    "leg_id": S.string("Leg id."), "number": S.string("Number."),
                                    "mos": S.number("Mean opinion score, 1–5."),
                                    "mes": S.number(
                                        "Asterisk's media experience score (0–100) when reported.", nullable: true),
                                    "jitter_ms": S.number("Jitter in milliseconds.", nullable: true),
                                    "loss_percent": S.number("Packet loss in percent.", nullable: true),
                                    "rtt_ms": S.number("Round-trip time in milliseconds.", nullable: true),
                                    "source": S.nullableString("rtpaudioqos (channel variables at hangup) or rtcp."),
                                ], required: ["leg_id", "number", "mos"])),
                        "mos": S.number("The worst MOS of the call, or null.", nullable: true),
                        "ended_at": S.string("When the call ended.", format: S.instant),
                    ]) { $1 },
                    required: ["call_id", "cost", "quality", "mos", "ended_at"]))
        }
    }

    static func describe(_ name: EventName) -> EventDescription {
        switch name {
        case .callStarted:
            return EventDescription(
                name: name, title: "A leg appeared",
                summary:
                    "A new party of a call: the caller leg when the call begins, a callee leg when it starts ringing. Carries the call snapshot, direction, tenant and dialled number.",
                fires: "a leg appears: the caller leg when the call begins; a callee leg when it starts ringing",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .callConnected:
            return EventDescription(
                name: name, title: "A leg is talking to a new party",
                summary:
                    "The leg was bridged with another real leg (`data.peer`). An answer by an application (queue music, voicemail, IVR) is an `updated`, never a `connected`. A transfer gives the remaining leg a second `connected` with its new peer.",
                fires:
                    "a leg starts talking to another party (bridged with another real leg); each time a leg gets a new peer",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .callUpdated:
            return EventDescription(
                name: name, title: "A live leg changed",
                summary:
                    "Any other change of a live leg; `data.change.reason` names it (see the reasons above) and the other `change` fields say what changed.",
                fires:
                    "answered by an application, queue join/leave/abandon, hold/unhold, transfers, connected party or caller ID changes, recording on/off",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .callFinished:
            return EventDescription(
                name: name, title: "A leg hung up",
                summary:
                    "The leg ended, with its disposition, the hangup cause, who hung up, and ring and talk seconds. Nothing about the leg follows.",
                fires: "a leg hangs up", schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .customerInteraction:
            return EventDescription(
                name: name, title: "Summary of a call with an external party",
                summary:
                    "Once per call that had at least one external party, after its last leg ended (once per group of calls linked by a transfer): the external party, outcome, who answered, queue wait, transfers and durations.",
                fires: "the whole call has ended and at least one party was an external number",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .voicemailReceived:
            return EventDescription(
                name: name, title: "A voicemail message was left",
                summary:
                    "A caller left a message (Asterisk's MessageWaiting for the caller's channel after VoiceMail). Linked to the call that left it; mailbox counts included.",
                fires:
                    "a voicemail message was left (mailbox, caller, duration, counts); linked to the call that left it",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        case .callRating:
            return EventDescription(
                name: name, title: "Cost and voice quality of a call",
                summary:
                    "When `rating.enabled`: the cost from the longest-prefix rate plan of an external number (per-minute price, increment such as 30/6, connection fee; unanswered calls cost 0) and per-leg voice quality (MOS 1–5) from RTPAUDIOQOS variables or RTCP. No event when there is nothing to rate.",
                fires: "rating is enabled and the call has ended with a cost or quality figures",
                schema: schema(of: name), sample: EventSamples.sample(of: name))
        }
    }
}
