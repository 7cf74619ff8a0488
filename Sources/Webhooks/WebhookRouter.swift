import CallEvents

/// Decides which webhooks receive an event: the tenant rules of the product page, as a function.
///
/// ## Rules
/// 1. Only active webhooks receive anything.
/// 2. A webhook receives an event it subscribes to: `subscribe_all` (every event, present and
///    future) or the event is in its list.
/// 3. A webhook of the main tenant serves every tenant when `all_tenants` is set (its tenant list
///    is then ignored); otherwise the tenants in its list; with an empty list, only `main`.
/// 4. A webhook of any other tenant serves only that tenant, whatever its stored flags say
///    (the validator rejects such flags; the router does not trust that they never got stored).
///
/// Recipients come in a stable order: by store id, then tenant, then name.
public enum WebhookRouter {
    public static func recipients(of event: EventName, tenant: String, among webhooks: [Webhook]) -> [Webhook] {
        webhooks
            .filter { $0.isActive && subscribes($0, to: event) && serves($0, tenant: tenant) }
            .sorted { ($0.id, $0.tenant, $0.name) < ($1.id, $1.tenant, $1.name) }
    }

    /// Whether `webhook` takes events of `event`'s kind (ignoring activity and tenants).
    public static func subscribes(_ webhook: Webhook, to event: EventName) -> Bool {
        webhook.subscribesToAllEvents || webhook.events.contains(event)
    }

    /// Whether `webhook` takes events of calls that belong to `tenant` (ignoring activity and events).
    public static func serves(_ webhook: Webhook, tenant: String) -> Bool {
        guard webhook.tenant == WebhookValidator.mainTenant else {
            return tenant == webhook.tenant
        }
        if webhook.servesAllTenants { return true }
        if webhook.tenants.isEmpty { return tenant == WebhookValidator.mainTenant }
        return webhook.tenants.contains(tenant)
    }
}
