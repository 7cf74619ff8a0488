import AMIClient
import AdminAPI
import CallCorrelation
import CallEvents
import Configuration
import Delivery
import Dispatch
import Foundation
import Glibc
import Observability
import Storage
import Synchronization
import Webhooks

/// How `event-publisher run` was asked to run.
public struct DaemonOptions: Sendable {
    public var configPath: String
    /// Demo mode: a local AMI server streams bundled captures, a local receiver prints deliveries.
    public var demo: Bool
    /// Where demo mode finds the bundled captures.
    public var fixturesDirectory: String
    public var logger: Logger
    /// Test hook: overrides `ami.host`/`ami.port` (the daemon otherwise uses the configuration's).
    public var amiEndpointOverride: (host: String, port: Int)?
    /// Test hook: overrides `admin.listen` (e.g. `127.0.0.1:0`).
    public var adminListenOverride: String?
    public var deliveryConfiguration: DeliveryConfiguration

    public init(configPath: String, demo: Bool = false, fixturesDirectory: String = "fixtures/ami",
                logger: Logger, amiEndpointOverride: (host: String, port: Int)? = nil,
                adminListenOverride: String? = nil, deliveryConfiguration: DeliveryConfiguration = DeliveryConfiguration()) {
        self.configPath = configPath
        self.demo = demo
        self.fixturesDirectory = fixturesDirectory
        self.logger = logger
        self.amiEndpointOverride = amiEndpointOverride
        self.adminListenOverride = adminListenOverride
        self.deliveryConfiguration = deliveryConfiguration
    }
}

/// The composition root: wires AMI client → ingest pipeline (correlator) → durable outbox →
/// delivery worker, plus the admin server and configuration reload.
///
/// Start order: configuration, store (migrations, YAML seed), delivery (resumes pending rows),
/// admin, reload, AMI last — so nothing arrives before it can be stored. Stop order is the reverse:
/// AMI first (no new input), then the ingest backlog is stored, then in-flight deliveries finish
/// within a bound; whatever remains waits in the outbox for the next start.
public final class Daemon: Sendable {
    public let options: DaemonOptions
    private let parts = Mutex<Parts?>(nil)

    /// The running components. `@unchecked`: set once by `start()`, read by `stop()`.
    private struct Parts: @unchecked Sendable {
        var configuration: GatewayConfiguration
        var store: WebhookStore
        var outbox: Outbox
        var directory: WebhookDirectory
        var delivery: DeliveryService
        var pipeline: IngestPipeline
        var ami: AMIClient
        var admin: AdminServer?
        var reload: ConfigReloadService
        var refreshTimer: any DispatchSourceTimer
        var demo: DemoEnvironment?
        var metrics: DaemonMetrics
    }

    public init(options: DaemonOptions) {
        self.options = options
    }

    /// The admin server's bound port (after `start`), for tests that asked for port 0.
    public var adminPort: Int? { parts.withLock { $0?.admin?.port } }
    public var metrics: DaemonMetrics? { parts.withLock { $0?.metrics } }
    public var ingestBacklog: Int { parts.withLock { $0?.pipeline.backlog ?? 0 } }

    /// Starts everything; throws (with a message naming the problem) when the configuration or the
    /// store cannot be used.
    public func start() throws {
        let logger = options.logger
        let loaded = try GatewayConfiguration.load(path: options.configPath)
        var configuration = loaded
        let deliveryConfiguration = options.deliveryConfiguration.applying(loaded.delivery)
        let destinationPolicy = deliveryConfiguration.destinationPolicy
        // Parts started so far, stopped in reverse order if a later step fails.
        var rollback: [() -> Void] = []
        var started = false
        defer { if !started { rollback.reversed().forEach { $0() } } }

        var demo: DemoEnvironment?
        if options.demo {
            let environment = try DemoEnvironment.start(fixturesDirectory: options.fixturesDirectory,
                                                        configuration: configuration, logger: logger)
            rollback.append { environment.stop() }
            configuration.ami.host = "127.0.0.1"
            configuration.ami.port = environment.amiPort
            configuration.ami.username = environment.username
            configuration.ami.secret = environment.secret
            // A fresh store per demo run: the bundled captures always carry the same event ids, which
            // a store from an earlier run already holds (and would rightly not deliver again).
            let demoStore = ((configuration.store.path as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("demo.sqlite")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: demoStore + suffix) }
            configuration.store.path = demoStore
            logger.notice("demo store (recreated on every demo run)", ["store.path": demoStore])
            demo = environment
        }
        if let override = options.amiEndpointOverride {
            configuration.ami.host = override.host
            configuration.ami.port = override.port
        }

        let storePath = configuration.store.path
        try StoreDirectory.createParent(ofStorePath: storePath)
        let store = try WebhookStore(path: storePath)
        try ConfigReloader.loadAndSeed(path: options.configPath, store: store, logger: logger)
        let outbox = try Outbox(path: storePath)
        let snapshots = try CorrelationSnapshotStore(database: outbox.database)
        var restored: IngestPipeline.RestoredState?
        do {
            if try snapshots.rowCount() > 0 {
                // Read row by row while restoring (see `CorrelationStateRestorer`).
                restored = .streamedRows { visit in
                    try snapshots.forEachRow { try visit(CorrelationStateRow(kind: $0.kind, key: $0.key, body: $0.body)) }
                }
            } else if let blob = try snapshots.load() {
                restored = .snapshot(blob.bytes)
            }
        } catch {
            restored = .unreadable(reason: "cannot read the store: \(error)")
        }
        let directory = WebhookDirectory(store: store)
        if let error = directory.refresh() { throw error }

        let metrics = DaemonMetrics()
        let delivery = DeliveryService(
            outbox: outbox, webhooks: { directory.active }, configuration: deliveryConfiguration,
            logger: logger.child(label: "delivery"),
            onWebhookDisabled: { webhook, reason in
                logger.warning("webhook disabled", ["webhook.id": String(webhook.id), "webhook.name": webhook.name,
                                                    "reason": reason])
                do { _ = try store.deactivate(id: webhook.id) } catch {
                    logger.error("cannot store the disabled state", ["webhook.id": String(webhook.id), "error": "\(error)"])
                }
                directory.refresh()
            })
        delivery.start()
        rollback.append { _ = delivery.stop(timeout: .seconds(1)) }

        let pipeline = IngestPipeline(configuration: configuration.correlation, metrics: metrics,
                                      logger: logger.child(label: "ingest"),
                                      storedSequences: { try outbox.highestSequences(callIDs: $0) },
                                      storedEventsAfter: { published in
                                          try published.keys.sorted().flatMap {
                                              try outbox.storedEventBodies(callID: $0, afterSequence: published[$0]!)
                                          }
                                      },
                                      restoring: restored,
                                      saveState: { changes, replacingAll in
                                          try snapshots.apply(CorrelationSnapshotStore.Changes(
                                              upserts: changes.upserts.map {
                                                  .init(kind: $0.kind, key: $0.key, body: $0.body)
                                              },
                                              deletions: changes.deletions.map { ($0.kind, $0.key) },
                                              replacingAll: replacingAll,
                                              savedAtMilliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded())))
                                      }) { events in
            try delivery.enqueue(events, recipients: directory.recipients(of:))
        }
        pipeline.start()
        rollback.append { pipeline.stop(timeout: 5) }

        var admin: AdminServer?
        let listen = options.adminListenOverride ?? configuration.admin.listen
        if let token = configuration.admin.token, !token.isEmpty {
            let dependencies = AdminDependencies(
                webhooks: NotifyingWebhookStore(store: store) {
                    directory.refresh()
                    delivery.webhooksChanged()
                },
                events: CallEventCatalog(),
                deliveries: OutboxDeliveryLog(outbox: outbox, redeliver: { try delivery.redeliver(deliveryID: $0) }),
                testSender: DeliveryTestSender(destinationPolicy: destinationPolicy),
                metrics: { Self.snapshot(metrics: metrics, delivery: delivery.metrics()) })
            let server = try AdminServer(listen: listen, token: token, dependencies: dependencies,
                                         logger: logger.child(label: "admin"))
            try server.start()
            rollback.append { server.stop() }
            logger.notice("admin page up", ["admin.url": "http://\(server.host):\(server.port)/"])
            admin = server
        } else {
            logger.warning("admin.token is not set: the admin API and page are disabled")
        }

        let reload = ConfigReloadService(path: options.configPath, store: store, logger: logger.child(label: "config"),
                                         initial: loaded) { applied in
            directory.refresh()
            delivery.webhooksChanged()
            pipeline.reconfigure(applied.correlation)
        }
        reload.start()
        rollback.append { reload.stop() }

        // Webhooks edited by the CLI (another process) reach the running daemon within 2 s.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "event-publisher.webhook-refresh"))
        timer.schedule(deadline: .now() + 2, repeating: 2)
        timer.setEventHandler { @Sendable in
            let before = directory.all
            directory.refresh()
            if directory.all != before { delivery.webhooksChanged() }
        }
        timer.resume()

        let ami = AMIClient(
            configuration: AMIClient.Configuration(
                host: configuration.ami.host, port: UInt16(clamping: configuration.ami.port),
                username: configuration.ami.username, secret: configuration.ami.secret,
                useMD5: configuration.ami.usesMD5Challenge),
            logger: logger.child(label: "ami"))
        ami.start(onEvent: { @Sendable event in pipeline.submit(event) })

        logger.notice("event-publisher started", [
            "ami.host": configuration.ami.host, "ami.port": String(configuration.ami.port),
            "store.path": storePath, "webhooks.active": String(directory.active.count),
        ])
        started = true
        parts.withLock {
            $0 = Parts(configuration: configuration, store: store, outbox: outbox, directory: directory,
                       delivery: delivery, pipeline: pipeline, ami: ami, admin: admin, reload: reload,
                       refreshTimer: timer, demo: demo, metrics: metrics)
        }
    }

    /// Graceful stop: no new AMI input, the backlog is stored, in-flight deliveries get `timeout`.
    public func stop(deliveryTimeout: Duration = .seconds(5)) {
        guard let running = parts.withLock({ current -> Parts? in defer { current = nil }; return current }) else {
            return
        }
        let logger = options.logger
        logger.notice("stopping: no new AMI input; storing the backlog; finishing in-flight deliveries")
        running.ami.stop()
        if !running.pipeline.stop(timeout: 10) {
            logger.error("events could not be stored before shutdown", ["backlog": String(running.pipeline.backlog)])
        }
        running.reload.stop()
        running.refreshTimer.cancel()
        let drained = running.delivery.stop(timeout: deliveryTimeout)
        if !drained { logger.warning("in-flight deliveries left in the outbox for the next start") }
        running.admin?.stop()
        running.demo?.stop()
        logger.notice("stopped")
    }

    /// Runs until SIGTERM or SIGINT, then stops gracefully. Returns the process exit code.
    public func runUntilSignalled() -> Int32 {
        do {
            try start()
        } catch {
            options.logger.error("cannot start", ["error": String(describing: error)])
            FileHandle.standardError.write(Data("event-publisher: \(error)\n".utf8))
            return 1
        }
        let done = DispatchSemaphore(value: 0)
        let signals = TerminationSignals(signalling: done)
        done.wait()
        stop()
        signals.cancel()
        return 0
    }

    static func snapshot(metrics: DaemonMetrics, delivery: DeliveryMetrics) -> AdminMetricsSnapshot {
        var snapshot = AdminMetricsSnapshot(amiConnected: metrics.amiConnected, eventsIn: metrics.eventsIn,
                                            eventsOut: metrics.eventsOut)
        snapshot.apply(delivery)
        return snapshot
    }
}
