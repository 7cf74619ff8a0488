public import CallEvents

/// One event to deliver to one webhook: what `Outbox.enqueue` stores.
public struct OutboxItem: Sendable, Hashable {
    public var event: CallEvent
    public var webhookID: Int64
    /// Kept with the delivery for the log (the webhook may be renamed or deleted later).
    public var webhookName: String
    /// `event.encodedJSON()` when the caller has it already (saves encoding it again).
    public var body: [UInt8]?

    public init(event: CallEvent, webhookID: Int64, webhookName: String, body: [UInt8]? = nil) {
        self.event = event
        self.webhookID = webhookID
        self.webhookName = webhookName
        self.body = body
    }
}

/// A delivery still to be attempted: what the worker keeps in memory (the body stays in SQLite).
public struct OutboxDelivery: Sendable, Hashable {
    /// `outbox_delivery.id`, the delivery id shown by `deliveries list` and used by `redeliver`.
    public var id: Int64
    /// The event id, sent as `webhook-id` on every attempt.
    public var eventID: String
    public var eventType: String
    public var webhookID: Int64
    /// The ordering key: one webhook receives one call's events in `sequence` order.
    public var callID: String
    public var sequence: Int
    /// Attempts made so far.
    public var attempts: Int
    /// Unix milliseconds.
    public var nextAttemptAt: Int64
    /// A redelivery asked for by a person: one attempt, no schedule.
    public var isManual: Bool

    public init(id: Int64, eventID: String, eventType: String, webhookID: Int64, callID: String, sequence: Int,
                attempts: Int, nextAttemptAt: Int64, isManual: Bool) {
        self.id = id
        self.eventID = eventID
        self.eventType = eventType
        self.webhookID = webhookID
        self.callID = callID
        self.sequence = sequence
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.isManual = isManual
    }
}

/// The state of a delivery row.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its first attempt or its next retry.
    case pending
    case delivered
    /// Dead letter: given up (schedule exhausted, 410, or a failed manual redelivery).
    case failed
}

/// The result of one attempt, in wazo's words: `success`, `failure` (will retry), `error` (gave up).
public enum DeliveryAttemptResult: String, Sendable, Hashable {
    case success
    case failure
    case error
}

/// One attempt as the worker reports it; `Outbox.record` stores it and moves the delivery on.
public struct DeliveryAttemptReport: Sendable, Hashable {
    public var deliveryID: Int64
    /// From 1.
    public var attempt: Int
    /// Unix milliseconds when the request started.
    public var startedAt: Int64
    public var latencyMilliseconds: Int
    /// Nil when no HTTP answer came (timeout, refused, token endpoint failure).
    public var statusCode: Int?
    /// Already truncated by the sender.
    public var responseBody: String?
    public var error: String?
    public var result: DeliveryAttemptResult
    /// The delivery's new state and, when pending, its next attempt (Unix milliseconds).
    public var newState: DeliveryState
    public var nextAttemptAt: Int64?

    public init(deliveryID: Int64, attempt: Int, startedAt: Int64, latencyMilliseconds: Int, statusCode: Int?,
                responseBody: String?, error: String?, result: DeliveryAttemptResult, newState: DeliveryState,
                nextAttemptAt: Int64?) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.startedAt = startedAt
        self.latencyMilliseconds = latencyMilliseconds
        self.statusCode = statusCode
        self.responseBody = responseBody
        self.error = error
        self.result = result
        self.newState = newState
        self.nextAttemptAt = nextAttemptAt
    }
}
