import CallEvents
import MicroHTTPD

/// `/api/deliveries?webhook={id}` and `/api/deliveries/{id}/redeliver`.
struct DeliveryHandlers {
    let log: any AdminDeliveryLog

    func list(webhookID: Int64?, limit: Int) throws -> HTTPResponse {
        let deliveries = try log.deliveries(webhookID: webhookID, limit: min(max(limit, 1), 1000))
        return .json(["deliveries": .array(deliveries.map(encode))])
    }

    func redeliver(id: Int64) throws -> HTTPResponse {
        guard try log.redeliver(id: id) else { throw AdminError.notFound }
        return .json(["redelivered": .int(id)], status: 202)
    }

    private func encode(_ delivery: AdminDelivery) -> JSONValue {
        [
            "id": .int(delivery.id), "webhook_id": .int(delivery.webhookID), "event_id": .string(delivery.eventID),
            "event": .string(delivery.eventName), "state": .string(delivery.state),
            "created_at": .double(delivery.createdAt),
            "next_attempt_at": delivery.nextAttemptAt.map { .double($0) } ?? .null,
            "attempts": .array(delivery.attempts.map { attempt in
                [
                    "number": .int(Int64(attempt.number)), "time": .double(attempt.time),
                    "status": attempt.status.map { .int(Int64($0)) } ?? .null,
                    "latency_ms": attempt.latencyMilliseconds.map { .double($0) } ?? .null,
                    "error": .optional(attempt.error), "response": .optional(attempt.response),
                ]
            }),
        ]
    }
}
