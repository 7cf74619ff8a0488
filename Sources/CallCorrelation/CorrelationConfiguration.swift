/// What the correlation engine needs from the configuration (tenants, numbers, rating, expiry).
/// Plain values: the `Configuration` module builds it from YAML.
public struct CorrelationConfiguration: Sendable, Hashable {
    /// Tenant rules in order; the first that matches a call's first real leg wins. `main` owns the rest.
    public var tenants: [TenantRule]
    /// Regex (whole-match) for internal extension numbers; any other party is external.
    public var internalNumberPattern: String
    public var rating: RatingConfiguration
    /// A leg with no event for this long is expired with a diagnostic (bounded memory).
    public var legExpirySeconds: Double
    /// How long ended channels and calls are remembered so that late events (Cdr, BridgeLeave,
    /// RTCP after Hangup; CDR batch mode up to 300 s — ami-reference P3) are recognised and ignored
    /// instead of starting a new call. Forgotten by `expireStale(now:)`.
    public var lateEventGraceSeconds: Double
    /// Optional regex on channel names that identifies trunks (e.g. `^(PJSIP|IAX2)/carrier`): a leg on
    /// a matching channel is external whatever its number says — an anonymous or non-numeric caller
    /// ID on a trunk is still an external party. `nil`: decided by the number alone.
    public var trunkChannelPattern: String?

    public init(
        tenants: [TenantRule] = [], internalNumberPattern: String = "^[0-9]{2,6}$",
        rating: RatingConfiguration = RatingConfiguration(), legExpirySeconds: Double = 4 * 3600,
        lateEventGraceSeconds: Double = 600, trunkChannelPattern: String? = nil
    ) {
        self.tenants = tenants
        self.internalNumberPattern = internalNumberPattern
        self.rating = rating
        self.legExpirySeconds = legExpirySeconds
        self.lateEventGraceSeconds = lateEventGraceSeconds
        self.trunkChannelPattern = trunkChannelPattern
    }

    public static let mainTenant = "main"
}

public struct TenantRule: Sendable, Hashable {
    public var name: String
    public var match: TenantMatch
    public init(name: String, match: TenantMatch) {
        self.name = name
        self.match = match
    }
}

public enum TenantMatch: Sendable, Hashable {
    case accountCode(String)
    case contextPrefix(String)
    /// Regex matched against the channel name.
    case channelPattern(String)
    case variable(name: String, value: String)
}

public struct RatingConfiguration: Sendable, Hashable {
    public var enabled: Bool
    public var currency: String
    public var plans: [RatePlan]
    public init(enabled: Bool = false, currency: String = "USD", plans: [RatePlan] = []) {
        self.enabled = enabled
        self.currency = currency
        self.plans = plans
    }
}

public struct RatePlan: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        case outbound, inbound, any
    }
    public var prefix: String
    public var direction: Direction
    public var perMinute: Double
    /// Minimum billed seconds, then the step: "30/6" → (30, 6); "60/60" → per minute.
    public var minimumSeconds: Int
    public var incrementSeconds: Int
    public var connectionFee: Double

    public init(
        prefix: String, direction: Direction = .outbound, perMinute: Double, minimumSeconds: Int = 1,
        incrementSeconds: Int = 1, connectionFee: Double = 0
    ) {
        self.prefix = prefix
        self.direction = direction
        self.perMinute = perMinute
        self.minimumSeconds = minimumSeconds
        self.incrementSeconds = incrementSeconds
        self.connectionFee = connectionFee
    }
}
