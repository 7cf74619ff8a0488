/// Why the store refused a change (validation problems come as `WebhookValidationError`).
public enum WebhookStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No webhook has this id.
    case notFound(id: Int64)
    /// The webhook is YAML-owned: the file is its source of truth, so the CLI/API may not change it.
    case managedByConfiguration(tenant: String, name: String)
    /// A reload would remove a tenant that webhooks created through the CLI/API still use.
    case tenantInUse(tenant: String, webhooks: [String])

    /// The field a client should highlight (admin API error shape).
    public var field: String? {
        switch self {
        case .notFound: return "id"
        case .managedByConfiguration: return "origin"
        case .tenantInUse: return "tenants"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let id):
            return "no webhook with id \(id)"
        case .managedByConfiguration(let tenant, let name):
            return "webhook \"\(name)\" of tenant \"\(tenant)\" comes from the YAML configuration; change it there"
        case .tenantInUse(let tenant, let webhooks):
            return "tenant \"\(tenant)\" was removed from the configuration but webhooks created through the CLI/API "
                + "still use it (\(webhooks.joined(separator: ", "))); delete or change them first"
        }
    }
}
