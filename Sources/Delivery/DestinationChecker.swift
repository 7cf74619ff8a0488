import Foundation
import Synchronization

/// Applies a ``DestinationPolicy`` to webhook URLs, with a small per-host cache of DNS answers.
///
/// Trade-off: the lookup (`getaddrinfo`, blocking) runs when an attempt is prepared, on the delivery
/// worker's thread, which is also the thread driving the curl multi handle. A slow resolver can
/// therefore stall other in-flight transfers for the length of one lookup; the cache (``ttl``, 30 s
/// by default, failures included) bounds that to one lookup per host per TTL instead of one per
/// attempt. The cache also means a DNS change is seen up to ``ttl`` late. With the policy off no
/// lookup happens at all (curl resolves as usual, on its own resolver).
public final class DestinationChecker: Sendable {
    public let policy: DestinationPolicy
    public let ttlMilliseconds: Int64
    private let resolver: DestinationPolicy.Resolver
    private let cache = Mutex<[String: (result: Result<[DestinationPolicy.IPAddress], DestinationPolicy.ResolutionError>,
                                       expires: UInt64)]>([:])

    public init(policy: DestinationPolicy, ttlMilliseconds: Int64 = 30_000,
                resolver: @escaping DestinationPolicy.Resolver = DestinationPolicy.systemResolver) {
        self.policy = policy
        self.ttlMilliseconds = ttlMilliseconds
        self.resolver = resolver
    }

    /// The verdict for `url`. With the policy off: always allowed, nothing to pin, no lookup (URL
    /// problems are left to the request as before).
    public func check(url: String) -> DestinationPolicy.Verdict {
        guard policy.refusesNonPublicAddresses else { return .allowed(host: "", port: 0, addresses: []) }
        return policy.check(url: url, resolver: { [self] host in cachedResolve(host) })
    }

    private func cachedResolve(_ host: String) -> Result<[DestinationPolicy.IPAddress], DestinationPolicy.ResolutionError> {
        let now = DispatchTime.now().uptimeNanoseconds
        let key = host.lowercased()
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.result }
        let result = resolver(host)
        let expires = now + UInt64(max(0, ttlMilliseconds)) * 1_000_000
        cache.withLock { entries in
            if entries.count > 1_000 { entries = entries.filter { $0.value.expires > now } }
            entries[key] = (result, expires)
        }
        return result
    }
}
