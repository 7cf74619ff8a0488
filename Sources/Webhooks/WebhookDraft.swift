/// A webhook as a person typed it (YAML, CLI flags, API JSON), before validation.
///
/// Unlike ``Webhook`` every field can hold what a person wrote, right or wrong — an unknown auth
/// type, an unknown event name — so ``WebhookValidator`` can name each problem instead of the
/// input layer failing on the first one.
public struct WebhookDraft: Sendable, Hashable {
    public var name: String
    public var description: String
    public var isActive: Bool
    public var tenant: String
    public var servesAllTenants: Bool
    public var tenants: [String]
    public var url: String
    public var headers: [WebhookHeader]
    public var auth: WebhookAuthDraft
    public var signingSecret: String?
    public var subscribesToAllEvents: Bool
    /// Event names as written; unknown names are reported by the validator.
    public var events: [String]
    public var origin: WebhookOrigin

    public init(name: String = "", description: String = "", isActive: Bool = false,
                tenant: String = "main", servesAllTenants: Bool = false, tenants: [String] = [],
                url: String = "", headers: [WebhookHeader] = [], auth: WebhookAuthDraft = WebhookAuthDraft(),
                signingSecret: String? = nil, subscribesToAllEvents: Bool = false, events: [String] = [],
                origin: WebhookOrigin = .api) {
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

    /// The draft of an existing webhook, for edits ("change these fields, keep the rest").
    public init(_ webhook: Webhook) {
        self.init(name: webhook.name, description: webhook.description, isActive: webhook.isActive,
                  tenant: webhook.tenant, servesAllTenants: webhook.servesAllTenants, tenants: webhook.tenants,
                  url: webhook.url, headers: webhook.headers, auth: WebhookAuthDraft(webhook.auth),
                  signingSecret: webhook.signingSecret, subscribesToAllEvents: webhook.subscribesToAllEvents,
                  events: webhook.events.map(\.rawValue), origin: webhook.origin)
    }
}

/// Auth settings as written: a type name plus whichever fields were given.
public struct WebhookAuthDraft: Sendable, Hashable {
    /// One of ``WebhookAuth/typeNames``; anything else is reported.
    public var type: String
    public var username: String?
    public var password: String?
    public var token: String?
    public var tokenURL: String?
    public var clientID: String?
    public var clientSecret: String?
    public var scopes: [String]?

    public init(type: String = "none", username: String? = nil, password: String? = nil, token: String? = nil,
                tokenURL: String? = nil, clientID: String? = nil, clientSecret: String? = nil,
                scopes: [String]? = nil) {
        self.type = type
        self.username = username
        self.password = password
        self.token = token
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
    }

    public init(_ auth: WebhookAuth) {
        switch auth {
        case .none:
            self.init()
        case .basic(let username, let password):
            self.init(type: auth.typeName, username: username, password: password)
        case .bearer(let token):
            self.init(type: auth.typeName, token: token)
        case .oauth2ClientCredentials(let client):
            self.init(type: auth.typeName, tokenURL: client.tokenURL, clientID: client.clientID,
                      clientSecret: client.clientSecret, scopes: client.scopes)
        case .oauth2Password(let client, let username, let password):
            self.init(type: auth.typeName, username: username, password: password, tokenURL: client.tokenURL,
                      clientID: client.clientID, clientSecret: client.clientSecret, scopes: client.scopes)
        }
    }

    /// The wire names of the fields each type uses (required ones first, then optional).
    public static func fields(of type: String) -> (required: [String], optional: [String]) {
        switch type {
        case "basic": return (["username", "password"], [])
        case "bearer": return (["token"], [])
        case "oauth2_client_credentials": return (["token_url", "client_id", "client_secret"], ["scopes"])
        case "oauth2_password":
            return (["token_url", "client_id", "client_secret", "username", "password"], ["scopes"])
        default: return ([], [])
        }
    }

    /// The wire names of the fields that hold a value (set, even if empty).
    public var givenFields: [String] {
        var given: [String] = []
        if username != nil { given.append("username") }
        if password != nil { given.append("password") }
        if token != nil { given.append("token") }
        if tokenURL != nil { given.append("token_url") }
        if clientID != nil { given.append("client_id") }
        if clientSecret != nil { given.append("client_secret") }
        if scopes != nil { given.append("scopes") }
        return given
    }

    func value(of field: String) -> String? {
        switch field {
        case "username": return username
        case "password": return password
        case "token": return token
        case "token_url": return tokenURL
        case "client_id": return clientID
        case "client_secret": return clientSecret
        default: return nil
        }
    }
}
