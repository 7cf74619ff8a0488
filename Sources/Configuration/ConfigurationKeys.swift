/// The keys the loader accepts, in one place: the unknown-key check uses them and the docs test
/// compares them with `docs/CONFIGURATION.md`.
enum ConfigurationKeys {
    static let top = ["ami", "store", "admin", "tenants", "numbers", "rating", "webhooks", "delivery"]
    static let ami = ["host", "port", "username", "secret", "md5_challenge"]
    static let store = ["path"]
    static let admin = ["listen", "token"]
    static let tenant = ["name", "match"]
    static let match = ["accountcode", "context_prefix", "channel_pattern", "variable"]
    static let variable = ["name", "value"]
    static let numbers = ["internal", "trunk_channel_pattern"]
    static let rating = ["enabled", "currency", "plans"]
    static let plan = ["prefix", "direction", "per_minute", "increment", "connection_fee"]
    static let webhook = ["name", "tenant", "description", "active", "all_tenants", "tenants", "url", "headers", "auth",
                          "signing_secret", "subscribe_all", "events"]
    static let delivery = [
        "refuse_private_destinations", "retry_schedule", "connect_timeout", "request_timeout",
        "max_in_flight_per_webhook", "max_in_flight", "disable_after_failing_for", "log_retention",
    ]
    static let auth = ["type", "username", "password", "token", "token_url", "client_id", "client_secret", "scopes"]

    /// Every accepted key as a documented path: `ami.host`, `tenants[].match.variable.name`,
    /// `webhooks[].headers.<name>` (header names are free).
    static var allPaths: [String] {
        var paths = top
        paths += ami.map { "ami.\($0)" }
        paths += store.map { "store.\($0)" }
        paths += admin.map { "admin.\($0)" }
        paths += tenant.map { "tenants[].\($0)" }
        paths += match.map { "tenants[].match.\($0)" }
        paths += variable.map { "tenants[].match.variable.\($0)" }
        paths += numbers.map { "numbers.\($0)" }
        paths += rating.map { "rating.\($0)" }
        paths += plan.map { "rating.plans[].\($0)" }
        paths += webhook.map { "webhooks[].\($0)" }
        paths += ["webhooks[].headers.<name>"]
        paths += auth.map { "webhooks[].auth.\($0)" }
        paths += delivery.map { "delivery.\($0)" }
        return paths
    }
}

extension GatewayConfiguration {
    /// Every key path the loader accepts (`ami.host`, `webhooks[].auth.token_url`, …).
    public static var acceptedKeyPaths: [String] { ConfigurationKeys.allPaths }
}
