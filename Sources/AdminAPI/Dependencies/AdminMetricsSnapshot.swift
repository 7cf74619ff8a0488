/// The figures `/metrics` shows, read from the daemon's counters at scrape time.
public struct AdminMetricsSnapshot: Sendable, Hashable {
    public var amiConnected: Bool
    /// AMI events received, by AMI event type (`Newchannel`, `Hangup`, …).
    public var eventsIn: [String: UInt64]
    /// Call-leg events published, by event name.
    public var eventsOut: [String: UInt64]
    /// Finished delivery attempts by outcome (`succeeded`, `retried`, `failed`, `disabled`, …).
    public var deliveries: [String: UInt64]
    /// Deliveries waiting for their next attempt.
    public var retryQueueDepth: Int
    public var deliveryLatency: Histogram

    public init(amiConnected: Bool = false, eventsIn: [String: UInt64] = [:], eventsOut: [String: UInt64] = [:],
                deliveries: [String: UInt64] = [:], retryQueueDepth: Int = 0,
                deliveryLatency: Histogram = Histogram()) {
        self.amiConnected = amiConnected
        self.eventsIn = eventsIn
        self.eventsOut = eventsOut
        self.deliveries = deliveries
        self.retryQueueDepth = retryQueueDepth
        self.deliveryLatency = deliveryLatency
    }

    /// A latency histogram in seconds.
    public struct Histogram: Sendable, Hashable {
        /// Upper bounds in seconds, ascending (without +Inf).
        public var upperBounds: [Double]
        /// Observations per bucket (not cumulative): `upperBounds.count + 1` values, the last for +Inf.
        public var counts: [UInt64]
        public var sum: Double

        public static let defaultBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

        public init(upperBounds: [Double] = Histogram.defaultBounds, counts: [UInt64]? = nil, sum: Double = 0) {
            self.upperBounds = upperBounds
            self.counts = counts ?? Array(repeating: 0, count: upperBounds.count + 1)
            self.sum = sum
        }

        public var count: UInt64 { counts.reduce(0, +) }

        /// Adds one observation (for tests and simple counters).
        public mutating func observe(_ seconds: Double) {
            let index = upperBounds.firstIndex(where: { seconds <= $0 }) ?? upperBounds.count
            if counts.count <= index { counts += Array(repeating: 0, count: index + 1 - counts.count) }
            counts[index] += 1
            sum += seconds
        }
    }
}
