/// What applying a configuration changed in the store: the reload log's content.
public struct StoreChanges: Sendable, Hashable {
    /// `tenant/name` of each webhook, in configuration order.
    public var addedWebhooks: [String] = []
    public var changedWebhooks: [String] = []
    public var removedWebhooks: [String] = []
    public var addedTenants: [String] = []
    public var changedTenants: [String] = []
    public var removedTenants: [String] = []
    /// YAML webhooks skipped because a CLI/API webhook already has their tenant and name.
    public var conflicts: [String] = []

    public init() {}

    /// True when the store already matched the configuration (conflicts aside).
    public var isEmpty: Bool {
        addedWebhooks.isEmpty && changedWebhooks.isEmpty && removedWebhooks.isEmpty && addedTenants.isEmpty
            && changedTenants.isEmpty && removedTenants.isEmpty
    }

    /// `webhooks +crm ~billing -old; tenants +acme` — for one log line.
    public var summary: String {
        func part(_ label: String, _ added: [String], _ changed: [String], _ removed: [String]) -> String? {
            let items = added.map { "+\($0)" } + changed.map { "~\($0)" } + removed.map { "-\($0)" }
            return items.isEmpty ? nil : "\(label) " + items.joined(separator: " ")
        }
        let parts = [part("webhooks", addedWebhooks, changedWebhooks, removedWebhooks),
                     part("tenants", addedTenants, changedTenants, removedTenants)].compactMap { $0 }
        return parts.isEmpty ? "no changes" : parts.joined(separator: "; ")
    }
}
