/// One published event: the envelope of event-model.md plus routing facts the pipeline needs.
///
/// `id` and `sequence` derive from the input (call id + sequence), so replaying the same capture
/// gives byte-identical events and a retried delivery carries the same `webhook-id`.
public struct CallEvent: Sendable, Hashable {
    /// `evt_…`, unique and stable across retries and replays.
    public var id: String
    public var type: EventName
    /// When it happened at the PBX.
    public var timestamp: EventInstant
    public var tenant: String
    /// Per call, from 1, in emission order.
    public var sequence: Int
    /// The call this event belongs to (also in `data.call_id`); the delivery ordering key.
    public var callID: String
    public var data: JSONValue

    public init(id: String, type: EventName, timestamp: EventInstant, tenant: String, sequence: Int, callID: String,
                data: JSONValue) {
        self.id = id
        self.type = type
        self.timestamp = timestamp
        self.tenant = tenant
        self.sequence = sequence
        self.callID = callID
        self.data = data
    }

    /// The envelope as JSON (sorted keys): `{"data":…,"id":…,"sequence":…,"tenant":…,"timestamp":…,"type":…}`.
    public var envelope: JSONValue {
        .object([
            "id": .string(id),
            "type": .string(type.rawValue),
            "timestamp": .string(timestamp.iso8601),
            "tenant": .string(tenant),
            "sequence": .int(Int64(sequence)),
            "data": data,
        ])
    }

    /// The webhook body / JSON Lines record.
    public func encodedJSON() -> [UInt8] { envelope.encoded() }
}
