/// A delivery as listed by `deliveries list` and the admin API.
public struct DeliveryRecord: Sendable, Hashable {
    public var id: Int64
    public var eventID: String
    public var eventType: String
    public var tenant: String
    public var webhookID: Int64
    public var webhookName: String
    public var callID: String
    public var sequence: Int
    public var state: DeliveryState
    public var attempts: Int
    /// Unix milliseconds; meaningful while pending.
    public var nextAttemptAt: Int64
    public var isManual: Bool
    public var createdAt: Int64
    public var updatedAt: Int64
    public var lastStatus: Int?
    public var lastError: String?
}

/// One recorded attempt (the delivery log proper).
public struct DeliveryAttemptRecord: Sendable, Hashable {
    /// The `delivery_attempt` row; 0 for a success kept on the delivery row (`Outbox.record`).
    public var id: Int64
    public var deliveryID: Int64
    public var attempt: Int
    /// Unix milliseconds.
    public var startedAt: Int64
    public var latencyMilliseconds: Int
    public var statusCode: Int?
    public var result: DeliveryAttemptResult
    /// Truncated (2 KB by default). Nil for the success that delivered the row (not kept).
    public var responseBody: String?
    public var error: String?
    public var nextAttemptAt: Int64?
}

/// Filters for listing deliveries.
public struct DeliveryQuery: Sendable, Hashable {
    public var webhookID: Int64?
    public var webhookName: String?
    public var state: DeliveryState?
    /// Only deliveries with an id below this (paging backwards from the newest).
    public var beforeID: Int64?
    public var limit: Int

    public init(webhookID: Int64? = nil, webhookName: String? = nil, state: DeliveryState? = nil,
                beforeID: Int64? = nil, limit: Int = 50) {
        self.webhookID = webhookID
        self.webhookName = webhookName
        self.state = state
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// Row counts for metrics (`/metrics`) and the CLI.
public struct OutboxCounts: Sendable, Hashable {
    public var pending: Int
    /// Pending rows that have failed at least once (the retry queue).
    public var retrying: Int
    public var delivered: Int
    public var failed: Int

    public init(pending: Int = 0, retrying: Int = 0, delivered: Int = 0, failed: Int = 0) {
        self.pending = pending
        self.retrying = retrying
        self.delivered = delivered
        self.failed = failed
    }
}
