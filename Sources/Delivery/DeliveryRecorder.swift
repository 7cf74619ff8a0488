import Dispatch
import Foundation
import Observability
import Storage
import Synchronization

/// Stores the delivery worker's batches of finished attempts on a thread of its own.
///
/// Writing a batch (one transaction: an attempt row and a delivery update per attempt) costs about
/// as much CPU as the HTTP exchanges it records. On the worker's thread it stopped every transfer
/// for its duration, and at low concurrency (c = 8) the connections sat idle meanwhile; here the
/// worker keeps sending while the batch is written. One batch at a time: the worker hands over
/// the next one only after it has taken back the previous one (`takeFinished`), so batches are
/// stored in order and a call's next event still waits until its previous verdict is stored.
final class DeliveryRecorder: Sendable {
    private struct State {
        /// The batch handed over and not written yet.
        var batch: (reports: [DeliveryAttemptReport], now: Int64)?
        /// The last batch handed over has been written (or failed and was logged).
        var finished = false
        var stopping = false
    }

    private let outbox: Outbox
    private let logger: Logger
    private let onFinished: @Sendable () -> Void
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// - Parameter onFinished: called on the recorder's thread after each batch (wakes the worker).
    init(outbox: Outbox, logger: Logger, onFinished: @escaping @Sendable () -> Void) {
        self.outbox = outbox
        self.logger = logger
        self.onFinished = onFinished
    }

    func start() {
        let thread = Thread { [self] in
            loop()
            exited.signal()
        }
        thread.name = "delivery-record"
        thread.start()
    }

    /// Hands a batch over; returns at once. Only after `takeFinished()` returned true for the
    /// previous one.
    func store(_ reports: [DeliveryAttemptReport], nowMilliseconds: Int64) {
        state.withLock {
            $0.batch = (reports, nowMilliseconds)
            $0.finished = false
        }
        wake.signal()
    }

    /// True once after the batch handed over has been written.
    func takeFinished() -> Bool {
        state.withLock { state in
            defer { state.finished = false }
            return state.finished
        }
    }

    /// Writes the batch in hand, if any, and ends the thread. Blocks until it is gone.
    func stop() {
        state.withLock { $0.stopping = true }
        wake.signal()
        exited.wait()
    }

    private func loop() {
        while true {
            wake.wait()
            let (batch, stopping) = state.withLock { state in
                defer { state.batch = nil }
                return (state.batch, state.stopping)
            }
            if let batch {
                do {
                    try outbox.record(batch.reports, nowMilliseconds: batch.now)
                } catch {
                    logger.error("cannot record delivery attempts",
                                 ["error": "\(error)", "delivery.count": String(batch.reports.count)])
                }
                state.withLock { $0.finished = true }
                onFinished()
            }
            if stopping { return }
        }
    }
}
