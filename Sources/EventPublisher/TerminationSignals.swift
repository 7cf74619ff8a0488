import Dispatch
import Foundation

/// SIGTERM (systemd's stop) and SIGINT (Ctrl-C) turned into a semaphore signal, so a command can
/// wind down in order — stop the AMI client, store what is pending — instead of dying mid-write.
public final class TerminationSignals {
    private let sources: [any DispatchSourceSignal]

    /// From now until ``cancel()``, each SIGTERM or SIGINT signals `semaphore`.
    public init(signalling semaphore: DispatchSemaphore) {
        let queue = DispatchQueue(label: "event-publisher.signals")
        sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { @Sendable in semaphore.signal() }
            source.resume()
            return source
        }
    }

    public func cancel() { sources.forEach { $0.cancel() } }
}
