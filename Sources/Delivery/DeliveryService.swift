import Dispatch
import Foundation
public import CallEvents
public import Observability
public import Storage
import Synchronization
public import Webhooks

/// Durable, ordered, authenticated webhook delivery: the daemon's one entry point.
///
/// ```swift
/// let delivery = try DeliveryService(outbox: Outbox(database: store.database),
///                                    webhooks: { repository.activeWebhooks() }, logger: logger)
/// delivery.start()
/// try delivery.enqueue(events) { WebhookRouter.recipients(of: $0.type, tenant: $0.tenant, among: active) }
/// …
/// delivery.stop(timeout: .seconds(5))
/// ```
///
/// `enqueue` commits to SQLite before it returns; the worker thread (libcurl multi) then sends.
/// At-least-once: `webhook-id` is the event id on every attempt, so receivers can de-duplicate.
public final class DeliveryService: Sendable {
    public let outbox: Outbox
    public let configuration: DeliveryConfiguration
    private let environment: DeliveryEnvironment
    private let mailbox = DeliveryMailbox()
    private let counters = DeliveryCounters()
    private let logger: Logger
    private let webhooks: @Sendable () -> [Webhook]
    private let onWebhookDisabled: @Sendable (Webhook, String) -> Void
    private let lifecycle = Mutex(Lifecycle.idle)
    private let exited = DispatchSemaphore(value: 0)

    private enum Lifecycle { case idle, running, stopped }

    /// - Parameters:
    ///   - webhooks: the current webhook set (inactive ones are ignored); called from the worker
    ///     thread about every `resyncIntervalMilliseconds` and after `webhooksChanged()`, so it must
    ///     be cheap (an in-memory snapshot).
    ///   - onWebhookDisabled: called on the worker thread when a webhook answered 410 or failed for
    ///     `policy.disableAfterFailingFor`; persist `isActive = false` there. The worker stops sending
    ///     to it at once and resumes when the set has shown it inactive and then active again.
    public init(outbox: Outbox, webhooks: @escaping @Sendable () -> [Webhook],
                configuration: DeliveryConfiguration = DeliveryConfiguration(),
                environment: DeliveryEnvironment = .live, logger: Logger,
                onWebhookDisabled: @escaping @Sendable (Webhook, String) -> Void = { _, _ in }) {
        self.outbox = outbox
        self.webhooks = webhooks
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
        self.onWebhookDisabled = onWebhookDisabled
    }

    /// Stores one delivery per (event, recipient) in one transaction, then wakes the worker.
    /// Returns the number of deliveries created (pairs already in the outbox are skipped).
    @discardableResult
    public func enqueue(_ events: [CallEvent], recipients: (CallEvent) -> [Webhook]) throws -> Int {
        var items: [OutboxItem] = []
        items.reserveCapacity(events.count)
        for event in events {
            let receivers = recipients(event)
            guard !receivers.isEmpty else { continue }
            let body = event.encodedJSON()
            for webhook in receivers {
                items.append(OutboxItem(event: event, webhookID: webhook.id, webhookName: webhook.name, body: body))
            }
        }
        // Each created row goes to the worker with its item's body (no dictionary by event id).
        let created = try outbox.enqueueReturningItems(items, nowMilliseconds: environment.nowMilliseconds())
        mailbox.post(created.map { ($0.delivery, items[$0.item].body) })
        return created.count
    }

    /// Starts the worker thread; it resumes every pending row of the outbox. Once only.
    public func start() {
        let shouldStart = lifecycle.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        guard shouldStart else { return }
        let worker = DeliveryWorker(outbox: outbox, webhooks: webhooks, configuration: configuration,
                                    environment: environment, logger: logger, onWebhookDisabled: onWebhookDisabled,
                                    mailbox: mailbox, counters: counters)
        let exited = self.exited
        let thread = Thread {
            worker.run()
            exited.signal()
        }
        thread.name = "delivery"
        thread.start()
    }

    /// Stops sending: attempts in flight may finish within `timeout`; the rest are abandoned and stay
    /// `pending` in the outbox (sent again on the next start). Blocks until the worker is gone.
    /// Returns false when the worker did not stop in time (it is then left to finish on its own).
    @discardableResult
    public func stop(timeout: Duration = .seconds(5)) -> Bool {
        let wasRunning = lifecycle.withLock { state -> Bool in
            defer { state = .stopped }
            if case .running = state { return true }
            return false
        }
        guard wasRunning else { return true }
        let nanoseconds = UInt64(max(0, Double(timeout.components.seconds) * 1e9
                                     + Double(timeout.components.attoseconds) / 1e9))
        let deadline = DispatchTime.now().uptimeNanoseconds + nanoseconds
        mailbox.state.withLock { $0.stopDeadline = deadline }
        mailbox.wake()
        return exited.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)) + .milliseconds(500)) == .success
    }

    /// Tests only: the worker leaves at once, storing nothing more (attempts finished but not yet
    /// recorded are lost, as in a crash). Blocks until it is gone.
    func simulateCrash() {
        let wasRunning = lifecycle.withLock { state -> Bool in
            defer { state = .stopped }
            if case .running = state { return true }
            return false
        }
        guard wasRunning else { return }
        mailbox.state.withLock { $0.crash = true }
        mailbox.wake()
        _ = exited.wait(timeout: .now() + .seconds(5))
    }

    /// Puts a delivery back in the queue for one manual attempt. False when no delivery has that id.
    @discardableResult
    public func redeliver(deliveryID: Int64) throws -> Bool {
        guard let delivery = try outbox.redeliver(deliveryID: deliveryID,
                                                  nowMilliseconds: environment.nowMilliseconds())
        else { return false }
        mailbox.post([(delivery, nil)])
        return true
    }

    /// Tells the worker the webhook set changed (config reload, API edit): it re-reads it now.
    public func webhooksChanged() {
        mailbox.state.withLock { $0.webhooksChanged = true }
        mailbox.wake()
    }

    /// Counters for `/metrics`.
    public func metrics() -> DeliveryMetrics { counters.snapshot }
}
