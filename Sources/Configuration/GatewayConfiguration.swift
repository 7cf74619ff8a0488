public import CallCorrelation
public import Webhooks

/// The daemon's whole configuration, typed and validated; built from YAML by ``load(path:environment:)``.
///
/// Key names are fixed by `docs/contract.md`; every key is documented in `docs/CONFIGURATION.md`
/// (a test keeps the two in step via ``acceptedKeyPaths``). Sections that are absent get defaults;
/// only `ami.username` and `ami.secret` are required.
public struct GatewayConfiguration: Sendable, Hashable {
    public var ami: AMISettings
    public var store: StoreSettings
    public var admin: AdminSettings
    /// Tenant rules in file order; `main` is implicit and owns what no rule claims.
    public var tenants: [TenantRule]
    /// `numbers.internal`: regex for internal extension numbers.
    public var internalNumberPattern: String
    /// `numbers.trunk_channel_pattern`: regex on channel names marking trunks (their party is external).
    public var trunkChannelPattern: String?
    public var rating: RatingConfiguration
    /// The YAML-owned webhooks, validated, with `origin == .yaml` and no store ids yet.
    public var webhooks: [Webhook]
    /// `delivery:` — outbound webhook delivery settings.
    public var delivery: DeliverySettings = DeliverySettings()

    public init(ami: AMISettings, store: StoreSettings = StoreSettings(), admin: AdminSettings = AdminSettings(),
                tenants: [TenantRule] = [], internalNumberPattern: String = GatewayConfiguration.defaultInternalPattern,
                rating: RatingConfiguration = RatingConfiguration(), webhooks: [Webhook] = [],
                trunkChannelPattern: String? = nil) {
        self.ami = ami
        self.store = store
        self.admin = admin
        self.tenants = tenants
        self.internalNumberPattern = internalNumberPattern
        self.rating = rating
        self.webhooks = webhooks
        self.trunkChannelPattern = trunkChannelPattern
    }

    public static let defaultInternalPattern = "^[0-9]{2,6}$"

    /// What the correlation engine needs.
    public var correlation: CorrelationConfiguration {
        CorrelationConfiguration(tenants: tenants, internalNumberPattern: internalNumberPattern, rating: rating,
                                 trunkChannelPattern: trunkChannelPattern)
    }

    /// `main` first, then the tenant rules' names in file order (without repeats).
    public var tenantNames: [String] {
        var names = [CorrelationConfiguration.mainTenant]
        for rule in tenants where !names.contains(rule.name) { names.append(rule.name) }
        return names
    }
}

/// `delivery:` — outbound webhook delivery settings. A nil value means the built-in default of the
/// delivery service (docs/CONFIGURATION.md lists them); durations are in milliseconds.
public struct DeliverySettings: Sendable, Hashable {
    /// `delivery.refuse_private_destinations`: refuse webhook destinations that resolve to private,
    /// loopback, link-local or otherwise non-public addresses (checked after DNS resolution). Off by
    /// default because PBX integrations often live on the LAN.
    public var refusePrivateDestinations: Bool
    /// `delivery.retry_schedule`: the waits before the 2nd, 3rd, … attempt (empty: one attempt only).
    public var retryScheduleMilliseconds: [Int64]?
    /// `delivery.connect_timeout` and `delivery.request_timeout` (the whole attempt).
    public var connectTimeoutMilliseconds: Int64?
    public var requestTimeoutMilliseconds: Int64?
    /// `delivery.max_in_flight_per_webhook` and `delivery.max_in_flight` (all webhooks together).
    public var maxInFlightPerWebhook: Int?
    public var maxInFlight: Int?
    /// `delivery.disable_after_failing_for`: `.some(nil)` is `never`.
    public var disableAfterFailingForMilliseconds: Int64??
    /// `delivery.log_retention`: `.some(nil)` is `forever`.
    public var logRetentionMilliseconds: Int64??

    public init(refusePrivateDestinations: Bool = false, retryScheduleMilliseconds: [Int64]? = nil,
                connectTimeoutMilliseconds: Int64? = nil, requestTimeoutMilliseconds: Int64? = nil,
                maxInFlightPerWebhook: Int? = nil, maxInFlight: Int? = nil,
                disableAfterFailingForMilliseconds: Int64?? = nil, logRetentionMilliseconds: Int64?? = nil) {
        self.refusePrivateDestinations = refusePrivateDestinations
        self.retryScheduleMilliseconds = retryScheduleMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maxInFlightPerWebhook = maxInFlightPerWebhook
        self.maxInFlight = maxInFlight
        self.disableAfterFailingForMilliseconds = disableAfterFailingForMilliseconds
        self.logRetentionMilliseconds = logRetentionMilliseconds
    }
}

/// `ami:` — where and how to log in to the Asterisk Manager Interface.
public struct AMISettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var secret: String
    /// `ami.md5_challenge`: log in with `Action: Challenge` and an MD5 key instead of the plain secret.
    public var usesMD5Challenge: Bool

    public init(host: String = "127.0.0.1", port: Int = 5038, username: String, secret: String,
                usesMD5Challenge: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.usesMD5Challenge = usesMD5Challenge
    }
}

/// `store:` — the SQLite file holding webhooks, tenants and the delivery outbox.
public struct StoreSettings: Sendable, Hashable {
    /// As written; a relative path is relative to the daemon's working directory.
    public var path: String

    public init(path: String = "data/event-publisher.sqlite") {
        self.path = path
    }
}

/// `admin:` — the admin HTTP API and web page.
public struct AdminSettings: Sendable, Hashable {
    /// `host:port` (IPv6 as `[::1]:8088`); port 0 picks a free port (tests).
    public var listen: String
    /// Bearer token the API requires; nil when not configured.
    public var token: String?

    public init(listen: String = "127.0.0.1:8088", token: String? = nil) {
        self.listen = listen
        self.token = token
    }

    /// `listen` split into host and port (validated at load time).
    public var host: String { Self.split(listen)?.host ?? "127.0.0.1" }
    public var port: Int { Self.split(listen)?.port ?? 8088 }

    static func split(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":") else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        return (host, port)
    }
}
