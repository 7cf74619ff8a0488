/// Masking for output: listings, logs, JSON answers. Storage keeps secrets as given.
extension Webhook {
    /// What a secret is replaced with. Empty secrets stay empty, so "not set" remains visible.
    public static let mask = "********"

    /// A copy safe to print: passwords, tokens, client secrets, the signing secret, the values of
    /// secret-looking headers (``isSensitiveHeader(_:)``) and credentials in the URL are masked.
    public func redacted() -> Webhook {
        var copy = self
        copy.auth = auth.redacted()
        copy.signingSecret = signingSecret.map(Self.masked)
        copy.headers = headers.map { header in
            guard Self.isSensitiveHeader(header.name) else { return header }
            return WebhookHeader(name: header.name, value: Self.masked(header.value))
        }
        copy.url = Self.redactedURL(url)
        return copy
    }

    static func masked(_ secret: String) -> String { secret.isEmpty ? "" : mask }

    /// Header names that usually carry credentials: Authorization, Cookie, and any name containing
    /// key, token, secret, pass, auth, signature or session (`X-Api-Key`, `X-Auth-Token`, …).
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        if lower == "cookie" || lower == "proxy-authorization" { return true }
        return ["key", "token", "secret", "pass", "auth", "signature", "session"].contains { lower.contains($0) }
    }

    /// Masks the password in `user:password@` and the values of secret-looking query parameters.
    public static func redactedURL(_ url: String) -> String {
        var result = url
        if let schemeEnd = result.firstRange(of: "://") {
            let authorityEnd = result[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" }
                ?? result.endIndex
            let authority = result[schemeEnd.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result.replaceSubrange(result.index(after: colon)..<at, with: mask)
            }
        }
        guard let question = result.firstIndex(of: "?") else { return result }
        let fragmentStart = result[question...].firstIndex(of: "#") ?? result.endIndex
        let query = result[result.index(after: question)..<fragmentStart]
        let redactedQuery = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals]
            let sensitive = isSensitiveHeader(String(name)) || name.lowercased() == "sig" || name.lowercased() == "code"
            return sensitive && pair.index(after: equals) < pair.endIndex ? "\(name)=\(mask)" : String(pair)
        }.joined(separator: "&")
        result.replaceSubrange(result.index(after: question)..<fragmentStart, with: redactedQuery)
        return result
    }
}

extension WebhookAuth {
    /// The same mode with every secret masked (usernames, client ids, URLs and scopes stay).
    public func redacted() -> WebhookAuth {
        switch self {
        case .none: return .none
        case .basic(let username, let password): return .basic(username: username, password: Webhook.masked(password))
        case .bearer(let token): return .bearer(token: Webhook.masked(token))
        case .oauth2ClientCredentials(let client): return .oauth2ClientCredentials(client.redacted())
        case .oauth2Password(let client, let username, let password):
            return .oauth2Password(client.redacted(), username: username, password: Webhook.masked(password))
        }
    }
}

extension OAuth2Client {
    public func redacted() -> OAuth2Client {
        var copy = self
        copy.clientSecret = Webhook.masked(clientSecret)
        return copy
    }
}
