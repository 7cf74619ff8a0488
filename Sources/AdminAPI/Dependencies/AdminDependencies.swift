public import CallEvents
public import Webhooks

/// Everything the admin API needs from the rest of the daemon, passed in by the composition root.
///
/// Validation is not a dependency: it is always the Webhooks module's `WebhookValidator`, as for YAML and the CLI.
///
/// Each piece is a small protocol owned by AdminAPI, so the router can be tested in-process and the
/// store, catalogue and delivery modules plug in through conformances (see `Adapters/`).
public struct AdminDependencies: Sendable {
    public var webhooks: any AdminWebhookStore
    public var events: any AdminEventCatalog
    public var deliveries: any AdminDeliveryLog
    public var testSender: any AdminTestSending
    /// Read on every `GET /metrics`; must be cheap and thread-safe.
    public var metrics: @Sendable () -> AdminMetricsSnapshot

    public init(webhooks: any AdminWebhookStore, events: any AdminEventCatalog,
                deliveries: any AdminDeliveryLog, testSender: any AdminTestSending,
                metrics: @escaping @Sendable () -> AdminMetricsSnapshot) {
        self.webhooks = webhooks
        self.events = events
        self.deliveries = deliveries
        self.testSender = testSender
        self.metrics = metrics
    }
}

/// The webhook store as the admin API uses it. Calls may block (SQLite); they run on MHD worker threads.
public protocol AdminWebhookStore: Sendable {
    /// All webhooks whose name or tenant (origin or served tenant) contains `search`, case-insensitively;
    /// every webhook when `search` is nil or empty. Sorted by tenant then name.
    func webhooks(matching search: String?) throws -> [Webhook]
    func webhook(id: Int64) throws -> Webhook?
    /// Stores a new webhook and returns it with its id.
    func insert(_ webhook: Webhook) throws -> Webhook
    /// Replaces the stored webhook with the same id.
    func update(_ webhook: Webhook) throws -> Webhook
    /// Returns false when no webhook had that id.
    func deleteWebhook(id: Int64) throws -> Bool
    /// Tenant names, `main` first.
    func tenantNames() throws -> [String]
}

/// One entry of the event catalogue.
public struct AdminEventEntry: Sendable, Hashable {
    public var name: String
    public var category: String
    /// A short human title ("Call started").
    public var title: String
    /// What the event tells an integrator.
    public var description: String
    /// When it fires and how often.
    public var fires: String
    /// JSON Schema of the delivered body.
    public var schema: JSONValue
    /// A sample delivered body.
    public var sample: JSONValue
    public init(name: String, category: String, title: String = "", description: String, fires: String = "",
                schema: JSONValue, sample: JSONValue) {
        self.name = name
        self.category = category
        self.title = title
        self.description = description
        self.fires = fires
        self.schema = schema
        self.sample = sample
    }
}

public protocol AdminEventCatalog: Sendable {
    /// Every published event, in catalogue order.
    func entries() -> [AdminEventEntry]
}

/// One attempt to deliver one event to one webhook.
public struct AdminDeliveryAttempt: Sendable, Hashable {
    public var number: Int
    /// Seconds since the Unix epoch.
    public var time: Double
    /// HTTP status, nil when the endpoint was not reached.
    public var status: Int?
    public var latencyMilliseconds: Double?
    public var error: String?
    /// Truncated response body.
    public var response: String?
    public init(number: Int, time: Double, status: Int? = nil, latencyMilliseconds: Double? = nil,
                error: String? = nil, response: String? = nil) {
        self.number = number
        self.time = time
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
        self.response = response
    }
}

/// One delivery (an event for a webhook) with its attempts.
public struct AdminDelivery: Sendable, Hashable {
    public var id: Int64
    public var webhookID: Int64
    public var eventID: String
    public var eventName: String
    /// `pending` (no attempt yet), `retrying` (pending after a failed attempt), `delivered` or `failed`.
    public var state: String
    /// Seconds since the Unix epoch.
    public var createdAt: Double
    public var nextAttemptAt: Double?
    public var attempts: [AdminDeliveryAttempt]
    public init(id: Int64, webhookID: Int64, eventID: String, eventName: String, state: String, createdAt: Double,
                nextAttemptAt: Double? = nil, attempts: [AdminDeliveryAttempt] = []) {
        self.id = id
        self.webhookID = webhookID
        self.eventID = eventID
        self.eventName = eventName
        self.state = state
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
    }
}

public protocol AdminDeliveryLog: Sendable {
    /// Newest first, at most `limit`; every webhook when `webhookID` is nil.
    func deliveries(webhookID: Int64?, limit: Int) throws -> [AdminDelivery]
    /// Queues the delivery again; false when no delivery had that id.
    func redeliver(id: Int64) throws -> Bool
}

/// A test send as the page's Test panel describes it.
public struct AdminTestRequest: Sendable, Hashable {
    public var url: String
    public var headers: [WebhookHeader]
    public var auth: WebhookAuth
    public var signingSecret: String?
    public var body: [UInt8]
    public init(url: String, headers: [WebhookHeader], auth: WebhookAuth, signingSecret: String?, body: [UInt8]) {
        self.url = url
        self.headers = headers
        self.auth = auth
        self.signingSecret = signingSecret
        self.body = body
    }
}

public struct AdminTestResult: Sendable, Hashable {
    public var reachable: Bool
    public var status: Int?
    public var responseBody: String
    public var milliseconds: Double
    public var error: String?
    public init(reachable: Bool, status: Int?, responseBody: String, milliseconds: Double, error: String? = nil) {
        self.reachable = reachable
        self.status = status
        self.responseBody = responseBody
        self.milliseconds = milliseconds
        self.error = error
    }
}

public protocol AdminTestSending: Sendable {
    /// Sends once, no retries; blocks until done or timed out.
    func send(_ request: AdminTestRequest) -> AdminTestResult
}
