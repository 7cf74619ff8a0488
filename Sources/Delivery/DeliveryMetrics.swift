import Synchronization

/// What `/metrics` shows about delivery: a plain snapshot, taken at scrape time.
public struct DeliveryMetrics: Sendable, Hashable {
    /// Finished attempts by outcome: `succeeded`, `retried` (failed, will retry), `failed` (gave up),
    /// `disabled` (410 or failing too long).
    public var attemptsByOutcome: [String: UInt64]
    /// Deliveries held by the worker, not delivered yet (in flight included).
    public var pending: Int
    /// Pending deliveries that already failed at least once.
    public var retryQueueDepth: Int
    public var inFlight: Int
    /// Attempt latency in seconds: bucket upper bounds (ascending, without +Inf) …
    public var latencyUpperBounds: [Double]
    /// … observations per bucket, not cumulative, `latencyUpperBounds.count + 1` values (last = +Inf) …
    public var latencyCounts: [UInt64]
    /// … and their sum in seconds.
    public var latencySum: Double

    public static let latencyBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init(attemptsByOutcome: [String: UInt64] = [:], pending: Int = 0, retryQueueDepth: Int = 0,
                inFlight: Int = 0, latencyUpperBounds: [Double] = DeliveryMetrics.latencyBounds,
                latencyCounts: [UInt64]? = nil, latencySum: Double = 0) {
        self.attemptsByOutcome = attemptsByOutcome
        self.pending = pending
        self.retryQueueDepth = retryQueueDepth
        self.inFlight = inFlight
        self.latencyUpperBounds = latencyUpperBounds
        self.latencyCounts = latencyCounts ?? Array(repeating: 0, count: latencyUpperBounds.count + 1)
        self.latencySum = latencySum
    }

    mutating func observe(latencySeconds: Double) {
        let index = latencyUpperBounds.firstIndex(where: { latencySeconds <= $0 }) ?? latencyUpperBounds.count
        latencyCounts[index] += 1
        latencySum += latencySeconds
    }

    mutating func count(_ outcome: String) { attemptsByOutcome[outcome, default: 0] += 1 }
}

/// The live counters behind `DeliveryMetrics`, shared by the worker (writer) and scrapers.
final class DeliveryCounters: Sendable {
    private let state = Mutex(DeliveryMetrics())

    func update(_ body: (inout DeliveryMetrics) -> Void) { state.withLock { body(&$0) } }
    var snapshot: DeliveryMetrics { state.withLock { $0 } }
}
