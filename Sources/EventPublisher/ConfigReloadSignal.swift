import Dispatch
import Glibc
import Synchronization

/// Write end of the self-pipe; set once, before the handler is installed, and only read after.
nonisolated(unsafe) private var hangupPipeWriteEnd: Int32 = -1

/// The SIGHUP handler: one byte into the pipe, the only async-signal-safe thing worth doing.
private let hangupHandler: @convention(c) (Int32) -> Void = { _ in
    var byte: UInt8 = 1
    _ = write(hangupPipeWriteEnd, &byte, 1)
}

/// Delivers SIGHUP to every registered listener, whatever thread the kernel picks for it.
///
/// Why not `DispatchSource.makeSignalSource`: on Linux it reads the signal through a `signalfd` and
/// blocks the signal only in dispatch's own thread. With `SIG_IGN` in force the kernel then drops a
/// process-directed SIGHUP when the main thread does not block it too (verified: the source never
/// fired in the test process), and without `SIG_IGN` the default action kills the daemon. A plain
/// handler writing to a self-pipe works from any thread.
final class ConfigReloadSignal: Sendable {
    static let shared = ConfigReloadSignal()

    private struct Listeners {
        var next = 0
        var callbacks: [Int: @Sendable () -> Void] = [:]
    }

    /// A class so the pipe's event handler can share the lock (a `Mutex` cannot be captured).
    private final class Registry: Sendable {
        let state = Mutex(Listeners())
    }

    private let registry = Registry()
    private let source: SourceBox

    /// `@unchecked`: the dispatch source is created once and never mutated.
    private struct SourceBox: @unchecked Sendable {
        let read: (any DispatchSourceRead)?
    }

    private init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            source = SourceBox(read: nil)
            return
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)  // a full pipe must never block the signal handler
        }
        hangupPipeWriteEnd = fds[1]
        let readEnd = fds[0]
        let read = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: .global())
        source = SourceBox(read: read)
        read.setEventHandler { @Sendable [registry] in
            var buffer = [UInt8](repeating: 0, count: 64)
            while Glibc.read(readEnd, &buffer, buffer.count) > 0 {}
            for callback in registry.state.withLock({ Array($0.callbacks.values) }) { callback() }
        }
        read.resume()
        signal(SIGHUP, hangupHandler)
    }

    /// Whether SIGHUP can be received (the pipe could be created).
    var isAvailable: Bool { source.read != nil }

    /// Calls `callback` on every SIGHUP until ``remove(_:)``; returns the registration id.
    func add(_ callback: @escaping @Sendable () -> Void) -> Int {
        registry.state.withLock { state in
            state.next += 1
            state.callbacks[state.next] = callback
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = registry.state.withLock { $0.callbacks.removeValue(forKey: id) }
    }
}
