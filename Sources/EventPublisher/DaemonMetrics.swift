import CallEvents
import Synchronization

/// Counters the ingest side keeps for `/metrics`: AMI connection state, AMI events in by type,
/// call-leg events out by name. Updated on the ingest thread, read by admin worker threads.
public final class DaemonMetrics: Sendable {
    private struct Counts {
        var amiConnected = false
        var eventsIn: [String: UInt64] = [:]
        var eventsOut: [String: UInt64] = [:]
        var reconnects: UInt64 = 0
    }
    private let counts = Mutex(Counts())

    public init() {}

    public func setAMIConnected(_ connected: Bool) {
        counts.withLock {
            if connected && !$0.amiConnected { $0.reconnects += 1 }
            $0.amiConnected = connected
        }
    }

    /// Records AMI events by type, in one lock for a batch.
    public func recordIn(_ names: [String: UInt64]) {
        guard !names.isEmpty else { return }
        counts.withLock { counts in for (name, n) in names { counts.eventsIn[name, default: 0] += n } }
    }

    public func recordOut(_ events: [CallEvent]) {
        guard !events.isEmpty else { return }
        counts.withLock { counts in for event in events { counts.eventsOut[event.type.rawValue, default: 0] += 1 } }
    }

    public var amiConnected: Bool { counts.withLock { $0.amiConnected } }
    public var eventsIn: [String: UInt64] { counts.withLock { $0.eventsIn } }
    public var eventsOut: [String: UInt64] { counts.withLock { $0.eventsOut } }
    /// Successful logins since start (the first one included).
    public var connections: UInt64 { counts.withLock { $0.reconnects } }
}
