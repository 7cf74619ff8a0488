import AdminAPI
import Delivery
import Storage
import Webhooks

/// The admin API's view of the store, telling the running pipeline when a webhook changed so
/// routing and delivery follow at once (not only at the next periodic refresh).
struct NotifyingWebhookStore: AdminWebhookStore {
    let store: WebhookStore
    let changed: @Sendable () -> Void

    init(store: WebhookStore, changed: @escaping @Sendable () -> Void) {
        self.store = store
        self.changed = changed
    }

    func webhooks(matching search: String?) throws -> [Webhook] { try store.webhooks(matching: search) }
    func webhook(id: Int64) throws -> Webhook? { try store.webhook(id: id) }
    func tenantNames() throws -> [String] { try store.tenantNames() }

    func insert(_ webhook: Webhook) throws -> Webhook {
        defer { changed() }
        return try store.insert(webhook)
    }

    func update(_ webhook: Webhook) throws -> Webhook {
        defer { changed() }
        return try store.update(webhook)
    }

    func deleteWebhook(id: Int64) throws -> Bool {
        defer { changed() }
        return try store.deleteWebhook(id: id)
    }
}

extension AdminMetricsSnapshot {
    /// Copies the delivery worker's counters into the `/metrics` snapshot.
    mutating func apply(_ delivery: DeliveryMetrics) {
        deliveries = delivery.attemptsByOutcome
        retryQueueDepth = delivery.retryQueueDepth
        deliveryLatency = Histogram(upperBounds: delivery.latencyUpperBounds, counts: delivery.latencyCounts,
                                    sum: delivery.latencySum)
    }
}
