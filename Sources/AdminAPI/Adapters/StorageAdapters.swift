import Foundation
public import Storage

/// The store engineer's `WebhookStore` already has the shape the API needs (it validates again inside its
/// write transaction, so two writers cannot take one name).
extension WebhookStore: AdminWebhookStore {}

/// The delivery log from the outbox; redelivery goes through `redeliver`, which the daemon points at its
/// delivery worker (so the worker wakes up) and which defaults to `Outbox.redeliver` with the wall clock.
public struct OutboxDeliveryLog: AdminDeliveryLog {
    public let outbox: Outbox
    private let redeliverAction: @Sendable (Int64) throws -> Bool

    public init(outbox: Outbox, redeliver: (@Sendable (Int64) throws -> Bool)? = nil) {
        self.outbox = outbox
        self.redeliverAction = redeliver ?? { id in
            try outbox.redeliver(deliveryID: id, nowMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)) != nil
        }
    }

    public func deliveries(webhookID: Int64?, limit: Int) throws -> [AdminDelivery] {
        try outbox.deliveries(DeliveryQuery(webhookID: webhookID, limit: limit)).map { record in
            let attempts = try outbox.attempts(deliveryID: record.id).map { attempt in
                AdminDeliveryAttempt(number: attempt.attempt, time: Double(attempt.startedAt) / 1000,
                                     status: attempt.statusCode,
                                     latencyMilliseconds: Double(attempt.latencyMilliseconds),
                                     error: attempt.error, response: attempt.responseBody)
            }
            let state: String
            switch record.state {
            case .pending: state = record.attempts > 0 ? "retrying" : "pending"
            case .delivered: state = "delivered"
            case .failed: state = "failed"
            }
            return AdminDelivery(id: record.id, webhookID: record.webhookID, eventID: record.eventID,
                                 eventName: record.eventType, state: state, createdAt: Double(record.createdAt) / 1000,
                                 nextAttemptAt: record.state == .pending ? Double(record.nextAttemptAt) / 1000 : nil,
                                 attempts: attempts)
        }
    }

    public func redeliver(id: Int64) throws -> Bool { try redeliverAction(id) }
}
