public import Configuration
import Dispatch
import Foundation
import Glibc
public import Observability
public import Storage

/// Hot reload: re-reads the configuration on SIGHUP and whenever the file changes, and applies it
/// when valid (see ``ConfigReloader``). A broken file is logged and ignored; the last good
/// configuration stays in force and nothing stored is lost.
///
/// Triggers arriving close together (an editor's write + rename, `sed -i`) are coalesced into one
/// reload after ``debounce``. Reloads run one at a time on the service's own serial queue, never on
/// the cooperative pool (they do file and SQLite I/O).
///
/// Usage from the composition root:
/// ```swift
/// let (configuration, _) = try ConfigReloader.loadAndSeed(path: path, store: store, logger: logger)
/// let reload = ConfigReloadService(path: path, store: store, logger: logger, initial: configuration) { applied in
///     directory.refresh()   // the routing cache follows the store; `applied` carries the other sections
/// }
/// reload.start()   // … reload.stop() on shutdown
/// ```
public final class ConfigReloadService: @unchecked Sendable {
    // @unchecked: `signalRegistration`, `watcher` and `pending` are only read and written on `queue`.
    public let reloader: ConfigReloader
    public let debounce: DispatchTimeInterval
    /// False: SIGHUP only (for tests of the signal path, or read-only config mounts without inotify).
    public let watchesDirectory: Bool
    private let logger: Logger
    private let onApplied: @Sendable (GatewayConfiguration) -> Void
    private let queue = DispatchQueue(label: "event-publisher.config-reload")
    private var signalRegistration: Int?
    private var watcher: ConfigReloadFileWatcher?
    private var pending: DispatchWorkItem?

    public init(path: String, store: WebhookStore, logger: Logger, initial: GatewayConfiguration? = nil,
                environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment },
                debounce: DispatchTimeInterval = .milliseconds(150), watchesDirectory: Bool = true,
                onApplied: @escaping @Sendable (GatewayConfiguration) -> Void) {
        self.reloader = ConfigReloader(path: path, store: store, logger: logger, initial: initial,
                                       environment: environment)
        self.logger = logger
        self.debounce = debounce
        self.onApplied = onApplied
        self.watchesDirectory = watchesDirectory
    }

    deinit {
        // Nothing else holds the service now, so its state can be read here without the queue.
        watcher?.cancel()
        if let signalRegistration { ConfigReloadSignal.shared.remove(signalRegistration) }
    }

    public var path: String { reloader.path }
    /// The configuration in force.
    public var configuration: GatewayConfiguration? { reloader.configuration }

    /// Installs the SIGHUP handler and the directory watch. Idempotent.
    public func start() {
        queue.sync {
            guard signalRegistration == nil else { return }
            signalRegistration = ConfigReloadSignal.shared.add { @Sendable [weak self] in
                guard let self else { return }
                self.queue.async { self.schedule(trigger: "sighup") }
            }
            guard watchesDirectory else { return }
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            watcher = ConfigReloadFileWatcher(directory: directory, names: [url.lastPathComponent, "..data"],
                                              queue: queue) { @Sendable [weak self] in
                self?.schedule(trigger: "inotify")
            }
            if watcher == nil {
                logger.warning("cannot watch the configuration directory; reload with SIGHUP",
                               ["config.path": path, "error": String(cString: strerror(errno))])
            }
        }
        logger.debug("configuration reload armed", ["config.path": path])
    }

    /// Removes the watch and stops listening for SIGHUP; a reload already running finishes first.
    /// The SIGHUP handler stays installed (doing nothing), so a late signal cannot kill the process.
    public func stop() {
        queue.sync {
            pending?.cancel()
            pending = nil
            watcher?.cancel()
            watcher = nil
            if let signalRegistration { ConfigReloadSignal.shared.remove(signalRegistration) }
            signalRegistration = nil
        }
    }

    /// Reloads at once, on the service's queue, and returns what happened (for tests and the admin API).
    /// Never call it from `onApplied`, which already runs on that queue.
    @discardableResult
    public func reloadNow(trigger: String = "manual") -> ConfigReloadOutcome {
        queue.sync { performReload(trigger: trigger) }
    }

    /// The `Service` shape (`run() async throws`): armed until the task is cancelled.
    public func run() async throws {
        start()
        defer { stop() }
        // A stream that never yields or finishes: iterating it returns when the task is cancelled.
        let (stream, continuation) = AsyncStream<Never>.makeStream()
        for await _ in stream {}
        continuation.finish()  // keeps the continuation alive until here
    }

    /// Must run on `queue`.
    private func schedule(trigger: String) {
        pending?.cancel()
        let item = DispatchWorkItem { @Sendable [weak self] in
            self?.pending = nil
            _ = self?.performReload(trigger: trigger)
        }
        pending = item
        queue.asyncAfter(deadline: .now() + debounce, execute: item)
    }

    /// Must run on `queue`.
    private func performReload(trigger: String) -> ConfigReloadOutcome {
        let outcome = reloader.reload(trigger: trigger)
        if case .applied(let configuration, _) = outcome { onApplied(configuration) }
        return outcome
    }
}
