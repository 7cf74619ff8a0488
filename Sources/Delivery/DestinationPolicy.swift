import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An optional guard against server-side request forgery: refuse webhook destinations that resolve
/// to private, loopback, link-local or otherwise non-public addresses.
///
/// Off by default (``permissive``) because PBX integrations often live on the LAN. When on
/// (``refusingPrivateNetworks``) the check runs **after DNS resolution**: every address the host
/// name resolves to must be public, and the caller pins the connection to the checked addresses
/// (``Verdict/curlResolveEntries``, for `CURLOPT_RESOLVE`) so a second lookup cannot swap in a
/// private address (DNS rebinding).
///
/// The classification (``classify(_:)``) is pure; ``check(url:resolver:)`` adds the lookup, with the
/// resolver injectable for tests. Literal IP hosts (`http://10.0.0.1/`, `http://[::1]/`) are classified
/// without a lookup.
public struct DestinationPolicy: Sendable, Hashable {
    /// Whether non-public destinations are refused.
    public var refusesNonPublicAddresses: Bool

    public init(refusesNonPublicAddresses: Bool = false) {
        self.refusesNonPublicAddresses = refusesNonPublicAddresses
    }

    /// The default: every destination allowed (LAN receivers are common beside a PBX).
    public static let permissive = DestinationPolicy(refusesNonPublicAddresses: false)
    /// Refuses private, loopback, link-local, CGNAT, multicast and reserved destinations.
    public static let refusingPrivateNetworks = DestinationPolicy(refusesNonPublicAddresses: true)

    // MARK: Classification (pure)

    /// What kind of address an IP address is.
    public enum AddressClass: String, Sendable, Hashable {
        case publicAddress = "public"
        case unspecified
        case loopback
        /// RFC 1918, IPv6 unique local (fc00::/7) and the deprecated site-local fec0::/10.
        case privateNetwork = "private"
        case linkLocal = "link-local"
        /// 100.64.0.0/10, carrier-grade NAT (RFC 6598).
        case sharedAddressSpace = "shared address space"
        case multicast
        /// Documentation, benchmarking, IETF protocol assignments, 240/4, broadcast, discard prefix.
        case reserved

        public var isPublic: Bool { self == .publicAddress }
    }

    /// An IP address as bytes: 4 (IPv4) or 16 (IPv6).
    public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
        public let bytes: [UInt8]

        public init?(bytes: [UInt8]) {
            guard bytes.count == 4 || bytes.count == 16 else { return nil }
            self.bytes = bytes
        }

        /// Parses a literal (`10.0.0.1`, `::1`, `[fe80::1]`); nil when it is not an IP literal.
        public init?(_ text: String) {
            var literal = text
            if literal.hasPrefix("["), literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
            if let percent = literal.firstIndex(of: "%") { literal = String(literal[..<percent]) }  // zone id
            var v4 = in_addr()
            if inet_pton(AF_INET, literal, &v4) == 1 {
                self.bytes = withUnsafeBytes(of: v4) { Array($0) }
                return
            }
            var v6 = in6_addr()
            if inet_pton(AF_INET6, literal, &v6) == 1 {
                self.bytes = withUnsafeBytes(of: v6) { Array($0) }
                return
            }
            return nil
        }

        public var isIPv4: Bool { bytes.count == 4 }

        public var description: String {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            let family = isIPv4 ? AF_INET : AF_INET6
            let ok = bytes.withUnsafeBytes { raw in
                inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
            }
            return ok ? String(cString: buffer) : bytes.map(String.init).joined(separator: ".")
        }
    }

    /// The class of `address` (IPv4-mapped, NAT64 and 6to4 IPv6 addresses are judged by the IPv4
    /// address they carry).
    public static func classify(_ address: IPAddress) -> AddressClass {
        let b = address.bytes
        if b.count == 4 { return classifyIPv4(b[0], b[1], b[2], b[3]) }
        // IPv6.
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible).
        if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)) {
            return classifyIPv4(b[12], b[13], b[14], b[15])
        }
        // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64) carry an IPv4 address in the last 32 bits.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b { return classifyIPv4(b[12], b[13], b[14], b[15]) }
        // 2002::/16 (6to4) carries it in bits 16…47.
        if b[0] == 0x20 && b[1] == 0x02 { return classifyIPv4(b[2], b[3], b[4], b[5]) }
        if b[0] == 0xff { return .multicast }
        if b[0] & 0xfe == 0xfc { return .privateNetwork }           // fc00::/7 unique local
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal } // fe80::/10
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .privateNetwork } // fec0::/10 site-local
        if b[0] == 0x01 && b[1] == 0x00 && b[2..<8].allSatisfy({ $0 == 0 }) { return .reserved } // 100::/64 discard
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return .reserved }      // 2001:db8::/32 docs
        if b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02 { return .reserved }                      // 2001::/23 IETF
        return .publicAddress
    }

    private static func classifyIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressClass {
        switch (a, b) {
        case (0, _): return .unspecified                              // 0.0.0.0/8 ("this network")
        case (10, _): return .privateNetwork
        case (100, 64...127): return .sharedAddressSpace
        case (127, _): return .loopback
        case (169, 254): return .linkLocal
        case (172, 16...31): return .privateNetwork
        case (192, 168): return .privateNetwork
        case (192, 0) where c == 0: return .reserved                  // 192.0.0.0/24 IETF
        case (192, 0) where c == 2: return .reserved                  // TEST-NET-1
        case (198, 18...19): return .reserved                         // benchmarking
        case (198, 51) where c == 100: return .reserved               // TEST-NET-2
        case (203, 0) where c == 113: return .reserved                // TEST-NET-3
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved                         // 240/4 and 255.255.255.255
        default: return .publicAddress
        }
    }

    // MARK: Checking a URL

    /// The outcome of ``check(url:resolver:)``.
    public enum Verdict: Sendable, Hashable {
        /// Allowed; `addresses` are the checked addresses (empty when the policy is off and nothing was
        /// resolved) and `host`/`port` the URL's, for pinning.
        case allowed(host: String, port: Int, addresses: [IPAddress])
        /// Refused, with a message for the delivery log naming the host and the address class.
        case refused(String)

        public var isAllowed: Bool { if case .allowed = self { return true } else { return false } }

        /// `CURLOPT_RESOLVE` entries (`host:port:addr[,addr…]`) that pin the connection to the checked
        /// addresses. Empty when nothing needs pinning (policy off, or a literal IP host).
        public var curlResolveEntries: [String] {
            guard case .allowed(let host, let port, let addresses) = self, !addresses.isEmpty,
                  IPAddress(host) == nil else { return [] }
            let list = addresses.map { $0.isIPv4 ? $0.description : "[\($0.description)]" }.joined(separator: ",")
            return ["\(host):\(port):\(list)"]
        }
    }

    /// Resolves a host name to its addresses (nil = the lookup failed, with a message).
    public typealias Resolver = @Sendable (String) -> Result<[IPAddress], ResolutionError>

    public struct ResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Checks a webhook URL. With the policy off this is just "allowed" (no lookup). With it on, the
    /// host (or every address it resolves to) must be public; a failed lookup is refused too, since an
    /// unverified destination must not be contacted. Only `http` and `https` are accepted either way.
    public func check(url: String, resolver: Resolver = DestinationPolicy.systemResolver) -> Verdict {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            return .refused("only http and https URLs are allowed")
        }
        guard let rawHost = components.host, !rawHost.isEmpty else { return .refused("the URL has no host") }
        let host = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard refusesNonPublicAddresses else { return .allowed(host: host, port: port, addresses: []) }

        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            switch resolver(host) {
            case .success(let resolved): addresses = resolved
            case .failure(let error): return .refused("cannot resolve \(host): \(error)")
            }
        }
        guard !addresses.isEmpty else { return .refused("\(host) resolves to no address") }
        for address in addresses {
            let kind = Self.classify(address)
            if !kind.isPublic {
                let article = kind == .unspecified ? "an" : "a"
                return .refused("destination \(address) (host \(host)) is \(article) \(kind.rawValue) address; "
                                + "refused by delivery.refuse_private_destinations")
            }
        }
        return .allowed(host: host, port: port, addresses: addresses)
    }

    /// `getaddrinfo` (A and AAAA, TCP), addresses de-duplicated in the resolver's order.
    public static let systemResolver: Resolver = { host in
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { return .failure(ResolutionError(String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            if let sockaddrPointer = entry.pointee.ai_addr {
                let address: IPAddress?
                switch entry.pointee.ai_family {
                case AF_INET:
                    address = sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        IPAddress(bytes: withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) })
                    }
                case AF_INET6:
                    address = sockaddrPointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        IPAddress(bytes: withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) })
                    }
                default:
                    address = nil
                }
                if let address, !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        return .success(addresses)
    }
}
