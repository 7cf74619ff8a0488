import CallEvents
import Webhooks

/// How the CLI shows webhooks. Every function masks secrets first (`Webhook.redacted()`).
enum WebhooksOutput {
    /// The `list` table: NAME, DESCRIPTION, TENANT, URL, ENABLED (✓/✗), SOURCE.
    static func table(_ webhooks: [Webhook]) -> String {
        guard !webhooks.isEmpty else { return "no webhooks\n" }
        let header = ["NAME", "DESCRIPTION", "TENANT", "URL", "ENABLED", "SOURCE"]
        let rows = webhooks.map { $0.redacted() }.map { webhook in
            [webhook.name, preview(webhook.description, 32), webhook.tenant, preview(webhook.url, 48),
             webhook.isActive ? "✓" : "✗", webhook.origin.rawValue]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(to: widths[column])
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The first `limit` characters on one line, with … when cut.
    static func preview(_ text: String, _ limit: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }

    /// The `show` view: one field per line.
    static func details(_ webhook: Webhook) -> String {
        let safe = webhook.redacted()
        var lines: [(String, String)] = [
            ("name", safe.name), ("id", String(safe.id)), ("tenant", safe.tenant),
            ("source", safe.origin == .yaml ? "yaml (edit the configuration file to change it)" : "api"),
            ("enabled", safe.isActive ? "✓ yes" : "✗ no"), ("description", safe.description), ("url", safe.url),
            ("serves", safe.tenant != "main" ? safe.tenant
                : safe.servesAllTenants ? "all tenants"
                : safe.tenants.isEmpty ? "main" : safe.tenants.joined(separator: ", ")),
            ("headers", safe.headers.isEmpty
                ? "none" : safe.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; ")),
            ("auth", auth(safe.auth)),
            ("signing secret", safe.signingSecret ?? "none"),
            ("events", safe.subscribesToAllEvents
                ? "all (subscribe_all)" : safe.events.map(\.rawValue).joined(separator: ", ")),
        ]
        if safe.description.isEmpty { lines.removeAll { $0.0 == "description" } }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { "\(($0.0 + ":").padding(to: width + 1)) \($0.1)" }.joined(separator: "\n") + "\n"
    }

    static func auth(_ auth: WebhookAuth) -> String {
        switch auth {
        case .none: return "none"
        case .basic(let username, let password): return "basic (username \(username), password \(password))"
        case .bearer(let token): return "bearer (token \(token))"
        case .oauth2ClientCredentials(let client):
            return "oauth2_client_credentials (\(oauth(client)))"
        case .oauth2Password(let client, let username, let password):
            return "oauth2_password (\(oauth(client)), username \(username), password \(password))"
        }
    }

    private static func oauth(_ client: OAuth2Client) -> String {
        var text = "token_url \(client.tokenURL), client_id \(client.clientID), client_secret \(client.clientSecret)"
        if !client.scopes.isEmpty { text += ", scopes \(client.scopes.joined(separator: " "))" }
        return text
    }

    // MARK: JSON (the admin API's shape: YAML keys, headers as a list of {name, value})

    static func json(_ webhooks: [Webhook]) -> String {
        JSONValue.array(webhooks.map(object)).prettyPrinted()
    }

    static func json(_ webhook: Webhook) -> String {
        object(webhook).prettyPrinted()
    }

    static func object(_ webhook: Webhook) -> JSONValue {
        let safe = webhook.redacted()
        var auth: [String: JSONValue] = ["type": .string(safe.auth.typeName)]
        let draft = WebhookAuthDraft(safe.auth)
        let fields: [(String, String?)] = [("username", draft.username), ("password", draft.password),
                                           ("token", draft.token), ("token_url", draft.tokenURL),
                                           ("client_id", draft.clientID), ("client_secret", draft.clientSecret)]
        for (key, value) in fields { if let value { auth[key] = .string(value) } }
        if let scopes = draft.scopes { auth["scopes"] = .array(scopes.map { .string($0) }) }
        return .object([
            "id": .int(safe.id), "name": .string(safe.name), "description": .string(safe.description),
            "active": .bool(safe.isActive), "tenant": .string(safe.tenant), "all_tenants": .bool(safe.servesAllTenants),
            "tenants": .array(safe.tenants.map { .string($0) }), "url": .string(safe.url),
            "headers": .array(safe.headers.map { .object(["name": .string($0.name), "value": .string($0.value)]) }),
            "auth": .object(auth), "signing_secret": .optional(safe.signingSecret),
            "subscribe_all": .bool(safe.subscribesToAllEvents),
            "events": .array(safe.events.map { .string($0.rawValue) }),
            "origin": .string(safe.origin.rawValue),
        ])
    }
}

extension String {
    /// Left-aligned in `width` characters (counting characters, so ✓ and é take one column).
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
