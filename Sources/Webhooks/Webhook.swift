public import CallEvents

/// A webhook as stored and routed. Validation lives in `WebhookValidator`; this is plain data.
public struct Webhook: Sendable, Hashable {
    /// Store row id; 0 for a webhook not stored yet.
    public var id: Int64
    /// Unique per tenant; required.
    public var name: String
    /// At most 1000 characters.
    public var description: String
    /// Deliveries happen only when active (default off).
    public var isActive: Bool
    /// Tenant origin: the tenant the webhook was created on (`main` by default).
    public var tenant: String
    /// Only for webhooks of the main tenant: fire for every tenant, ignoring `tenants`.
    public var servesAllTenants: Bool
    /// The tenants whose events this webhook receives (when not `servesAllTenants`).
    public var tenants: [String]
    public var url: String
    /// Fixed headers in the order configured.
    public var headers: [WebhookHeader]
    public var auth: WebhookAuth
    /// Standard Webhooks signing secret (`whsec_` + base64 key), optional.
    public var signingSecret: String?
    /// Every event, present and future.
    public var subscribesToAllEvents: Bool
    /// The chosen events when not `subscribesToAllEvents`.
    public var events: [EventName]
    /// Who owns the row: the YAML seed or the CLI/API.
    public var origin: WebhookOrigin

    public init(id: Int64 = 0, name: String, description: String = "", isActive: Bool = false, tenant: String = "main",
                servesAllTenants: Bool = false, tenants: [String] = [], url: String, headers: [WebhookHeader] = [],
                auth: WebhookAuth = .none, signingSecret: String? = nil, subscribesToAllEvents: Bool = false,
                events: [EventName] = [], origin: WebhookOrigin = .api) {
        self.id = id
        self.name = name
        self.description = description
        self.isActive = isActive
        self.tenant = tenant
        self.servesAllTenants = servesAllTenants
        self.tenants = tenants
        self.url = url
        self.headers = headers
        self.auth = auth
        self.signingSecret = signingSecret
        self.subscribesToAllEvents = subscribesToAllEvents
        self.events = events
        self.origin = origin
    }
}

public struct WebhookHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public enum WebhookOrigin: String, Sendable, Hashable {
    case yaml
    case api
}

/// The five auth modes of the product page.
public enum WebhookAuth: Sendable, Hashable {
    case none
    case basic(username: String, password: String)
    case bearer(token: String)
    case oauth2ClientCredentials(OAuth2Client)
    /// Resource Owner Password Credentials: for trusted or legacy environments only.
    case oauth2Password(OAuth2Client, username: String, password: String)

    /// The wire name used in YAML, JSON and the store.
    public var typeName: String {
        switch self {
        case .none: return "none"
        case .basic: return "basic"
        case .bearer: return "bearer"
        case .oauth2ClientCredentials: return "oauth2_client_credentials"
        case .oauth2Password: return "oauth2_password"
        }
    }

    public static let typeNames = ["none", "basic", "bearer", "oauth2_client_credentials", "oauth2_password"]
}

public struct OAuth2Client: Sendable, Hashable {
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String
    /// Optional; sent space-separated as `scope`.
    public var scopes: [String]
    public init(tokenURL: String, clientID: String, clientSecret: String, scopes: [String] = []) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
    }
}
