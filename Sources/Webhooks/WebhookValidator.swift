import CallEvents

/// Checks a ``WebhookDraft`` against the product rules and reports *every* problem with its field.
///
/// Pure: the caller supplies the context (tenants that exist, the other webhooks for uniqueness),
/// so the YAML loader, the CLI and the admin API all apply the same rules and the same messages.
public struct WebhookValidator: Sendable {
    /// The tenants that exist (`main` always does). Nil skips the tenant-existence checks.
    public var knownTenants: [String]?
    /// Other webhooks, for the per-tenant name uniqueness check. A webhook with the draft's id is
    /// the one being edited and is skipped.
    public var existing: [Webhook]

    public static let maximumDescriptionLength = 1000
    public static let maximumNameLength = 100
    public static let mainTenant = "main"

    public init(knownTenants: [String]? = nil, existing: [Webhook] = []) {
        self.knownTenants = knownTenants
        self.existing = existing
    }

    /// The validated webhook, or every problem found.
    public func validate(_ draft: WebhookDraft, id: Int64 = 0) -> Result<Webhook, WebhookValidationError> {
        let problems = problems(in: draft, id: id)
        guard problems.isEmpty else { return .failure(WebhookValidationError(problems: problems)) }
        return .success(Self.webhook(from: draft, id: id))
    }

    /// Every problem in `draft`, in field order (name, description, tenant…, url, headers, auth, events).
    public func problems(in draft: WebhookDraft, id: Int64 = 0) -> [WebhookFieldProblem] {
        var problems: [WebhookFieldProblem] = []
        func report(_ field: String, _ message: String) {
            problems.append(WebhookFieldProblem(field: field, message: message))
        }
        checkName(draft, id: id, report)
        let length = draft.description.count
        if length > Self.maximumDescriptionLength {
            report("description", "\(length) characters, at most \(Self.maximumDescriptionLength)")
        }
        checkTenants(draft, report)
        if let problem = URLPolicy.problem(in: draft.url) { report("url", problem) }
        checkHeaders(draft.headers, report)
        checkAuth(draft.auth, report)
        if let secret = draft.signingSecret, !Self.isValidSigningSecret(secret) {
            report("signing_secret", "must be \"whsec_\" followed by a base64 key")
        }
        checkEvents(draft, report)
        return problems
    }

    private func checkName(_ draft: WebhookDraft, id: Int64, _ report: (String, String) -> Void) {
        let name = draft.name
        if name.isEmpty {
            report("name", "required")
            return
        }
        if name.count > Self.maximumNameLength {
            report("name", "\(name.count) characters, at most \(Self.maximumNameLength)")
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            report("name", "must not contain control characters")
        }
        if name.first?.isWhitespace == true || name.last?.isWhitespace == true {
            report("name", "must not start or end with a space")
        }
        let clash = existing.contains { other in
            (id == 0 || other.id != id) && other.tenant == draft.tenant && other.name == name
        }
        if clash { report("name", "already used in tenant \"\(draft.tenant)\"") }
    }

    private func checkTenants(_ draft: WebhookDraft, _ report: (String, String) -> Void) {
        let known = knownTenants.map { Set($0).union([Self.mainTenant]) }
        let knownList = knownTenants.map { names in
            ([Self.mainTenant] + names.filter { $0 != Self.mainTenant }).joined(separator: ", ")
        }
        if draft.tenant.isEmpty {
            report("tenant", "required")
        } else if let known, !known.contains(draft.tenant) {
            report("tenant", "unknown tenant \"\(draft.tenant)\" (known: \(knownList ?? ""))")
        }
        let isMain = draft.tenant == Self.mainTenant
        if draft.servesAllTenants && !isMain {
            report("all_tenants", "only webhooks of the main tenant may serve all tenants")
        }
        if draft.servesAllTenants && isMain { return }  // the list is ignored
        var seen: Set<String> = []
        for (index, tenant) in draft.tenants.enumerated() {
            let field = "tenants[\(index)]"
            if tenant.isEmpty {
                report(field, "empty tenant name")
            } else if !seen.insert(tenant).inserted {
                report(field, "\"\(tenant)\" listed twice")
            } else if let known, !known.contains(tenant) {
                report(field, "unknown tenant \"\(tenant)\" (known: \(knownList ?? ""))")
            } else if !isMain && tenant != draft.tenant {
                report(field, "a webhook of tenant \"\(draft.tenant)\" may serve only \"\(draft.tenant)\"")
            }
        }
    }

    private func checkHeaders(_ headers: [WebhookHeader], _ report: (String, String) -> Void) {
        var seen: Set<String> = []
        for header in headers {
            let field = "headers.\(header.name)"
            if header.name.isEmpty {
                report("headers", "empty header name")
                continue
            }
            if !Self.isHeaderToken(header.name) {
                report(field, "not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)")
            } else if !seen.insert(header.name.lowercased()).inserted {
                report(field, "given twice (header names are case-insensitive)")
            }
            if header.value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
                report(field, "value must not contain CR or LF")
            } else if Self.hasControlCharacter(header.value) {
                report(field, "value must not contain control characters such as NUL")
            }
        }
    }

    /// C0 controls other than tab, and DEL: never valid in a header field (RFC 9110 §5.5); NUL would
    /// also cut the value short in libcurl's C strings.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0.value != 0x09) || $0.value == 0x7F }
    }

    private func checkAuth(_ auth: WebhookAuthDraft, _ report: (String, String) -> Void) {
        guard WebhookAuth.typeNames.contains(auth.type) else {
            let expected = WebhookAuth.typeNames.joined(separator: ", ")
            report("auth.type", "unknown value \"\(auth.type)\" (expected \(expected))")
            return
        }
        let fields = WebhookAuthDraft.fields(of: auth.type)
        for field in fields.required where (auth.value(of: field) ?? "").isEmpty {
            report("auth.\(field)", "required for \(auth.type)")
        }
        let allowed = Set(fields.required + fields.optional)
        for field in auth.givenFields where !allowed.contains(field) {
            report("auth.\(field)", "not used by \(auth.type)")
        }
        if let tokenURL = auth.tokenURL, !tokenURL.isEmpty, allowed.contains("token_url"),
           let problem = URLPolicy.problem(in: tokenURL) {
            report("auth.token_url", problem)
        }
        if auth.type == "basic", let username = auth.username, username.contains(":") {
            report("auth.username", "must not contain \":\" (basic auth joins username:password)")
        }
        if allowed.contains("scopes") {
            for (index, scope) in (auth.scopes ?? []).enumerated()
            where scope.isEmpty || scope.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" }) {
                report("auth.scopes[\(index)]", "must be a non-empty scope token without spaces, quotes or backslashes")
            }
        }
        for field in ["token", "password", "client_secret", "client_id", "username"] {
            if let value = auth.value(of: field), value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
                report("auth.\(field)", "must not contain CR or LF")
            } else if let value = auth.value(of: field), Self.hasControlCharacter(value) {
                report("auth.\(field)", "must not contain control characters such as NUL")
            }
        }
    }

    private func checkEvents(_ draft: WebhookDraft, _ report: (String, String) -> Void) {
        if !draft.subscribesToAllEvents && draft.events.isEmpty {
            report("events", "choose at least one event or set subscribe_all")
        }
        for (index, name) in draft.events.enumerated() where EventName(rawValue: name) == nil {
            let expected = EventName.allCases.map(\.rawValue).joined(separator: ", ")
            report("events[\(index)]", "unknown event \"\(name)\" (expected \(expected))")
        }
    }

    /// RFC 9110 `token`: the characters allowed in a header field name.
    public static func isHeaderToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9": return true
            default: return "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
            }
        }
    }

    /// `whsec_` followed by standard, padded base64 (the Standard Webhooks secret format).
    public static func isValidSigningSecret(_ secret: String) -> Bool {
        guard secret.hasPrefix("whsec_") else { return false }
        let key = Array(secret.utf8.dropFirst("whsec_".utf8.count))
        guard !key.isEmpty, key.count % 4 == 0 else { return false }
        let padding = key.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return false }
        return key.dropLast(padding).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): return true
            default: return false
            }
        }
    }

    /// Builds the webhook from an already-checked draft (events deduplicated, order kept).
    static func webhook(from draft: WebhookDraft, id: Int64) -> Webhook {
        var events: [EventName] = []
        for name in draft.events {
            if let event = EventName(rawValue: name), !events.contains(event) { events.append(event) }
        }
        return Webhook(id: id, name: draft.name, description: draft.description, isActive: draft.isActive,
                       tenant: draft.tenant, servesAllTenants: draft.servesAllTenants, tenants: draft.tenants,
                       url: draft.url, headers: draft.headers, auth: Self.auth(from: draft.auth),
                       signingSecret: draft.signingSecret, subscribesToAllEvents: draft.subscribesToAllEvents,
                       events: events, origin: draft.origin)
    }

    static func auth(from draft: WebhookAuthDraft) -> WebhookAuth {
        let client = OAuth2Client(tokenURL: draft.tokenURL ?? "", clientID: draft.clientID ?? "",
                                  clientSecret: draft.clientSecret ?? "", scopes: draft.scopes ?? [])
        switch draft.type {
        case "basic": return .basic(username: draft.username ?? "", password: draft.password ?? "")
        case "bearer": return .bearer(token: draft.token ?? "")
        case "oauth2_client_credentials": return .oauth2ClientCredentials(client)
        case "oauth2_password":
            return .oauth2Password(client, username: draft.username ?? "", password: draft.password ?? "")
        default: return .none
        }
    }
}
