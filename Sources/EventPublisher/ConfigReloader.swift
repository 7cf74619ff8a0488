import CallCorrelation
public import Configuration
import Foundation
public import Observability
public import Storage
import Synchronization
import Webhooks

/// What one reload attempt did.
public enum ConfigReloadOutcome: Sendable, Hashable {
    /// The file was valid and is now in force; `changes` is what it did to the store.
    case applied(GatewayConfiguration, StoreChanges)
    /// The file was valid and identical in effect to the configuration in force.
    case unchanged
    /// The file was refused; the last good configuration stays. One line per problem.
    case rejected([String])
}

/// Reads the configuration file and, when it is valid, makes the store follow it: the decision
/// part of hot reload, without signals or file watching, so tests drive it directly.
///
/// A reload is all or nothing: the file must load without a single problem and the store must
/// accept it in one transaction (``WebhookStore/applyConfiguration(webhooks:tenants:)``), else
/// nothing changes and the problems are logged at `warning`. Thread-safe.
public final class ConfigReloader: Sendable {
    public let path: String
    public let store: WebhookStore
    private let logger: Logger
    private let environment: @Sendable () -> [String: String]
    private let current: Mutex<GatewayConfiguration?>

    public init(path: String, store: WebhookStore, logger: Logger, initial: GatewayConfiguration? = nil,
                environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }) {
        self.path = path
        self.store = store
        self.logger = logger
        self.environment = environment
        self.current = Mutex(initial)
    }

    /// The configuration in force: the last one applied (or the initial one).
    public var configuration: GatewayConfiguration? { current.withLock { $0 } }

    /// Loads the file and seeds the store, for startup. Unlike a reload, failure is fatal to the caller.
    /// - Throws: `ConfigurationError`, `WebhookStoreError`, `SQLiteError`.
    @discardableResult
    public static func loadAndSeed(path: String, store: WebhookStore, logger: Logger,
                                   environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (GatewayConfiguration, StoreChanges)
    {
        let configuration = try GatewayConfiguration.load(path: path, environment: environment)
        let changes = try store.applyConfiguration(webhooks: configuration.webhooks,
                                                   tenants: configuration.tenants.map(TenantRecord.init))
        Self.log(changes, logger: logger)
        return (configuration, changes)
    }

    /// Re-reads the file now. `trigger` only labels the log lines (`sighup`, `inotify`, `test`).
    @discardableResult
    public func reload(trigger: String = "manual") -> ConfigReloadOutcome {
        let metadata = ["config.path": path, "config.trigger": trigger]
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(path: path, environment: environment())
        } catch {
            return reject(error.problems.map(\.description), metadata)
        }
        let changes: StoreChanges
        do {
            changes = try store.applyConfiguration(webhooks: configuration.webhooks,
                                                   tenants: configuration.tenants.map(TenantRecord.init))
        } catch {
            return reject(["\(path): \(error)"], metadata)
        }
        let previous = current.withLock { state in
            defer { state = configuration }
            return state
        }
        if changes.isEmpty && previous == configuration {
            logger.debug("configuration unchanged", metadata)
            return .unchanged
        }
        var info = metadata
        info["config.changes"] = changes.summary
        let sections = Self.changedSections(from: previous, to: configuration)
        if !sections.isEmpty { info["config.sections"] = sections.joined(separator: ",") }
        logger.info("configuration reloaded", info)
        let restartOnly = sections.filter { Self.restartOnlySections.contains($0) }
        if !restartOnly.isEmpty {
            // Saying so beats a silent no-op.
            logger.warning("these settings apply at the next restart", ["config.sections": restartOnly.joined(separator: ",")])
        }
        Self.log(changes, logger: logger)
        return .applied(configuration, changes)
    }

    private func reject(_ problems: [String], _ metadata: [String: String]) -> ConfigReloadOutcome {
        var summary = metadata
        summary["config.problems"] = String(problems.count)
        logger.warning("configuration reload rejected; keeping the last good configuration", summary)
        for problem in problems {
            logger.warning("configuration problem", metadata.merging(["config.problem": problem]) { $1 })
        }
        return .rejected(problems)
    }

    /// One line per changed webhook or tenant: names only, never settings (they hold secrets).
    static func log(_ changes: StoreChanges, logger: Logger) {
        let lines: [(String, [String], String)] = [
            ("webhook added", changes.addedWebhooks, "webhook.name"),
            ("webhook changed", changes.changedWebhooks, "webhook.name"),
            ("webhook removed", changes.removedWebhooks, "webhook.name"),
            ("tenant added", changes.addedTenants, "tenant.name"),
            ("tenant changed", changes.changedTenants, "tenant.name"),
            ("tenant removed", changes.removedTenants, "tenant.name"),
        ]
        for (message, names, key) in lines {
            for name in names { logger.info(message, [key: name]) }
        }
        for name in changes.conflicts {
            logger.warning("YAML webhook ignored: a webhook created through the CLI/API has its name",
                           ["webhook.name": name])
        }
    }

    /// Sections a running daemon does not take over (its connections, its store and its delivery
    /// service are built at start); webhooks, tenants, numbers and rating apply at once.
    static let restartOnlySections: Set<String> = ["ami", "store", "admin", "delivery"]

    /// Sections other than webhooks and tenants that differ (numbers and rating take effect through
    /// `onApplied`; see ``restartOnlySections``).
    static func changedSections(from old: GatewayConfiguration?, to new: GatewayConfiguration) -> [String] {
        guard let old else { return [] }
        var sections: [String] = []
        if old.ami != new.ami { sections.append("ami") }
        if old.store != new.store { sections.append("store") }
        if old.admin != new.admin { sections.append("admin") }
        if old.internalNumberPattern != new.internalNumberPattern { sections.append("numbers") }
        if old.rating != new.rating { sections.append("rating") }
        if old.delivery != new.delivery { sections.append("delivery") }
        return sections
    }
}

extension TenantRecord {
    /// The store's view of a tenant rule (`accountcode=acme`, `variable=TENANT=acme`).
    public init(_ rule: TenantRule) {
        let match: String
        switch rule.match {
        case .accountCode(let code): match = "accountcode=\(code)"
        case .contextPrefix(let prefix): match = "context_prefix=\(prefix)"
        case .channelPattern(let pattern): match = "channel_pattern=\(pattern)"
        case .variable(let name, let value): match = "variable=\(name)=\(value)"
        }
        self.init(name: rule.name, origin: .yaml, match: match)
    }
}
