/// What a webhook or token URL must look like: absolute `http`/`https` with a host.
///
/// Pure string checks (no Foundation `URL`, whose parsing is lenient in ways that let `http:/x`
/// through); libcurl does the real parsing when sending.
public enum URLPolicy {
    /// The parts of an accepted URL.
    public struct Parts: Sendable, Hashable {
        public var scheme: String
        public var host: String
        public var port: Int?
    }

    /// Nil when `text` is acceptable, else the problem in words.
    public static func problem(in text: String) -> String? {
        switch parse(text) {
        case .success: return nil
        case .failure(let problem): return problem.message
        }
    }

    public struct Problem: Error, Sendable, Hashable {
        public var message: String
    }

    public static func parse(_ text: String) -> Result<Parts, Problem> {
        if text.isEmpty { return .failure(Problem(message: "required")) }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return .failure(Problem(message: "must not contain spaces or control characters"))
        }
        guard let separator = text.firstRange(of: "://") else {
            return .failure(Problem(message: "must be an absolute URL such as https://host/path"))
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            if scheme.isEmpty { return .failure(Problem(message: "must be an absolute URL such as https://host/path")) }
            return .failure(Problem(message: "scheme \"\(scheme)\" not allowed (expected http or https)"))
        }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        var host = Substring(hostAndPort)
        var portText: Substring?
        if host.hasPrefix("[") {  // IPv6 literal
            guard let close = host.firstIndex(of: "]") else {
                return .failure(Problem(message: "host \"\(host)\" is not a valid IPv6 literal"))
            }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                return .failure(Problem(message: "host \"\(host)\" is not a valid IPv6 literal"))
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if host.isEmpty || host == "[]" { return .failure(Problem(message: "host missing")) }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                return .failure(Problem(message: "port \"\(portText)\" invalid (expected 1-65535)"))
            }
            port = value
        }
        return .success(Parts(scheme: scheme, host: String(host), port: port))
    }
}
