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

    /// The webhook body / JSON Lines record: the same bytes as `envelope.encoded()`, written
    /// without building and sorting the envelope's dictionary (keys below in sorted order).
    public func encodedJSON() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2_048)
        out.append(contentsOf: #"{"data":"#.utf8)
        data.write(into: &out)
        out.append(contentsOf: #","id":"#.utf8)
        JSONValue.writeString(id, into: &out)
        out.append(contentsOf: #","sequence":"#.utf8)
        JSONValue.int(Int64(sequence)).write(into: &out)
        out.append(contentsOf: #","tenant":"#.utf8)
        JSONValue.writeString(tenant, into: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        JSONValue.writeString(timestamp.iso8601, into: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONValue.writeString(type.rawValue, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
