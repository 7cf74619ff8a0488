import CallEvents
import Storage
import Synchronization
import Webhooks

/// The set of webhooks the pipeline routes to, cached in memory and refreshed from the store.
///
/// Why a cache: routing runs for every call-leg event on the ingest thread and must not hit SQLite
/// each time. The store changes through the API, the CLI (another process) and config reloads, so
/// the cache is refreshed when we know of a change and also on a short timer (for the CLI).
public final class WebhookDirectory: Sendable {
    private let store: WebhookStore
    private let cached = Mutex<[Webhook]>([])
    /// Serialises refreshes: the timer, a reload, the admin API and auto-disable may refresh at
    /// once, and an older read must not overwrite a newer one.
    private let refreshing = Mutex(())

    public init(store: WebhookStore) {
        self.store = store
    }

    /// Reloads from the store; on a store error keeps the last good set and returns the error.
    @discardableResult
    public func refresh() -> (any Error)? {
        refreshing.withLock { _ in
            do {
                let all = try store.webhooks(matching: nil)
                cached.withLock { $0 = all }
                return nil
            } catch {
                return error
            }
        }
    }

    /// Every stored webhook (active or not), as last refreshed.
    public var all: [Webhook] { cached.withLock { $0 } }

    /// Active webhooks only (the delivery worker stops sending to inactive ones).
    public var active: [Webhook] { cached.withLock { $0.filter(\.isActive) } }

    /// Who receives `event`: active webhooks subscribed to its name and serving its tenant.
    public func recipients(of event: CallEvent) -> [Webhook] {
        let current = cached.withLock { $0 }
        return WebhookRouter.recipients(of: event.type, tenant: event.tenant, among: current)
    }
}
