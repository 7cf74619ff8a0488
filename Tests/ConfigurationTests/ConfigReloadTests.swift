import CallEvents
import Configuration
import EventPublisher
import Foundation
import Glibc
import Observability
import Storage
import Synchronization
import Testing
import Webhooks

/// The daemon's hot reload against a real file, a real SQLite store and (in the live tests) real
/// inotify and SIGHUP.
@Suite("Hot reload of the configuration")
struct ConfigReloadTests {
    /// A config directory and a store in a fresh temporary directory.
    final class Sandbox: @unchecked Sendable {
        // @unchecked: immutable after init; the handler and store are thread-safe.
        let directory: URL
        let configPath: String
        let store: WebhookStore
        let log = InMemoryLogHandler()
        let logger: Logger

        init(initial: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            configPath = directory.appendingPathComponent("event-publisher.yaml").path
            store = try WebhookStore(path: directory.appendingPathComponent("store.sqlite").path)
            logger = Logger(label: "reload-test", level: .debug, handler: log)
            try install(initial)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Saves like an editor: write a temporary file, then rename it over the config.
        func install(_ fixture: String) throws {
            let temporary = directory.appendingPathComponent(".event-publisher.yaml.tmp")
            try FileManager.default.removeItem(atPath: temporary.path, ifExists: true)
            try FileManager.default.copyItem(atPath: ConfigFixtures.config(fixture), toPath: temporary.path)
            guard rename(temporary.path, configPath) == 0 else { throw POSIXError(.EIO) }
        }

        func names() throws -> [String] { try store.webhooks().map { "\($0.tenant)/\($0.name)" } }

        /// Who receives a call.event_call_started of tenant acme.
        func recipients() throws -> [String] {
            WebhookRouter.recipients(of: .callStarted, tenant: "acme", among: try store.activeWebhooks()).map(\.name)
        }
    }

    /// Polls `condition` until it holds or 5 s pass.
    func eventually(_ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @Test("Gaining a webhook, losing one, then breaking the file: the store and routing follow the first two only")
    func gainLoseThenBreak() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let (initial, _) = try ConfigReloader.loadAndSeed(path: box.configPath, store: box.store, logger: box.logger)
        let manual = try box.store.insert(Webhook(name: "by-hand", isActive: true, tenant: "acme",
                                                  url: "https://hand.example/h", events: [.callStarted]))
        let reloader = ConfigReloader(path: box.configPath, store: box.store, logger: box.logger, initial: initial)
        #expect(try box.recipients() == ["crm", "wallboard", "legacy", "by-hand"])

        try box.install("reload-2-gains.yaml")
        guard case .applied(_, let gained) = reloader.reload(trigger: "test") else {
            Issue.record("step 2 was not applied")
            return
        }
        #expect(gained.addedWebhooks == ["main/billing"] && gained.removedWebhooks.isEmpty)
        #expect(try box.recipients() == ["crm", "wallboard", "legacy", "by-hand", "billing"])

        try box.install("reload-3-loses.yaml")
        guard case .applied(_, let lost) = reloader.reload(trigger: "test") else {
            Issue.record("step 3 was not applied")
            return
        }
        #expect(lost.removedWebhooks == ["main/legacy"] && lost.addedWebhooks.isEmpty)
        #expect(try box.recipients() == ["crm", "wallboard", "by-hand", "billing"])
        let before = try box.store.webhooks()

        try box.install("reload-4-invalid.yaml")
        guard case .rejected(let problems) = reloader.reload(trigger: "test") else {
            Issue.record("the broken file was applied")
            return
        }
        #expect(problems == [
            "\(box.configPath):10:10: webhooks[0].url: scheme \"ftp\" not allowed (expected http or https)",
            "\(box.configPath):12:5: webhooks[0].colour: unknown key (expected name, tenant, description, active, "
                + "all_tenants, tenants, url, headers, auth, signing_secret, subscribe_all, events)",
        ])
        #expect(try box.store.webhooks() == before)
        #expect(try box.recipients() == ["crm", "wallboard", "by-hand", "billing"])
        #expect(reloader.configuration?.webhooks.map(\.name) == ["crm", "wallboard", "billing"])
        #expect(try box.store.webhook(id: manual.id) == manual)

        // The log says what changed and why the last file was refused, without secrets.
        let messages = box.log.records.map { "\($0.level) \($0.message) \($0.metadata["webhook.name"] ?? "")" }
        #expect(messages.contains("info webhook added main/billing"))
        #expect(messages.contains("info webhook removed main/legacy"))
        #expect(messages.contains("warning configuration reload rejected; keeping the last good configuration "))
        let reasons = box.log.records.compactMap { $0.metadata["config.problem"] }
        #expect(reasons == problems)
        #expect(!box.log.fullText.contains("billing-token"))
    }

    @Test("A file that would orphan CLI/API webhooks is refused as a whole")
    func droppingUsedTenantIsRefused() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let (initial, _) = try ConfigReloader.loadAndSeed(path: box.configPath, store: box.store, logger: box.logger)
        _ = try box.store.insert(Webhook(name: "by-hand", tenant: "acme", url: "https://hand.example/h",
                                         events: [.callStarted]))
        let reloader = ConfigReloader(path: box.configPath, store: box.store, logger: box.logger, initial: initial)
        let before = try box.store.webhooks()
        try box.install("reload-5-drops-tenant.yaml")
        #expect(reloader.reload() == .rejected([
            "\(box.configPath): tenant \"acme\" was removed from the configuration but webhooks created through "
                + "the CLI/API still use it (acme/by-hand); delete or change them first",
        ]))
        #expect(try box.store.webhooks() == before)
        #expect(try box.store.tenantNames() == ["main", "acme"])
        #expect(reloader.configuration == initial)
    }

    @Test("Reloading an unchanged file reports no change and does not call back")
    func unchangedFile() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let (initial, _) = try ConfigReloader.loadAndSeed(path: box.configPath, store: box.store, logger: box.logger)
        let reloader = ConfigReloader(path: box.configPath, store: box.store, logger: box.logger, initial: initial)
        #expect(reloader.reload() == .unchanged)
    }

    @Test("Saving the file (write + rename) reloads it through inotify; a broken save is ignored")
    func inotifyTriggersReload() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let (initial, _) = try ConfigReloader.loadAndSeed(path: box.configPath, store: box.store, logger: box.logger)
        let applied = Atomic<Int>(0)
        let service = ConfigReloadService(path: box.configPath, store: box.store, logger: box.logger, initial: initial,
                                          debounce: .milliseconds(50)) { _ in applied.add(1, ordering: .relaxed) }
        service.start()
        defer { service.stop() }

        try box.install("reload-2-gains.yaml")
        #expect(try eventually { try box.recipients().contains("billing") })
        try box.install("reload-3-loses.yaml")
        #expect(try eventually { try !box.recipients().contains("legacy") })
        let appliedBefore = applied.load(ordering: .relaxed)
        #expect(appliedBefore >= 2)

        try box.install("reload-4-invalid.yaml")
        #expect(try eventually { box.log.messages.contains("configuration reload rejected; keeping the last good configuration") })
        #expect(try box.recipients() == ["crm", "wallboard", "billing"])
        #expect(applied.load(ordering: .relaxed) == appliedBefore)
        #expect(box.log.records.contains { $0.metadata["config.trigger"] == "inotify" })
    }

    @Test("SIGHUP reloads the file")
    func sighupTriggersReload() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let (initial, _) = try ConfigReloader.loadAndSeed(path: box.configPath, store: box.store, logger: box.logger)
        let service = ConfigReloadService(path: box.configPath, store: box.store, logger: box.logger, initial: initial,
                                          debounce: .milliseconds(10), watchesDirectory: false) { _ in }
        service.start()
        defer { service.stop() }
        try box.install("reload-2-gains.yaml")
        usleep(100_000)
        #expect(try !box.recipients().contains("billing"))  // no watch: nothing happens by itself
        kill(getpid(), SIGHUP)
        #expect(try eventually { try box.recipients().contains("billing") })
        // The store is written before the service records the configuration and logs: wait for all.
        #expect(try eventually { box.log.records.contains { $0.metadata["config.trigger"] == "sighup" } })
        #expect(try eventually { service.configuration?.webhooks.count == 4 })
    }

    @Test("reloadNow applies at once and calls back with the new configuration")
    func reloadNowCallsBack() throws {
        let box = try Sandbox(initial: "reload-1-initial.yaml")
        let seen = Mutex<[String]>([])
        let service = ConfigReloadService(path: box.configPath, store: box.store, logger: box.logger) { configuration in
            seen.withLock { $0 = configuration.webhooks.map(\.name) }
        }
        guard case .applied = service.reloadNow() else {
            Issue.record("not applied")
            return
        }
        #expect(seen.withLock { $0 } == ["crm", "wallboard", "legacy"])
    }
}

extension FileManager {
    fileprivate func removeItem(atPath path: String, ifExists: Bool) throws {
        if fileExists(atPath: path) { try removeItem(atPath: path) }
    }
}
