/// A tenant as the store keeps it: its name, where it came from and a readable form of its rule.
///
/// Storage does not depend on the correlation engine's `TenantRule`; the composition root turns
/// rules into records (`match` is for display, e.g. `accountcode=acme`).
public struct TenantRecord: Sendable, Hashable {
    public enum Origin: String, Sendable, Hashable {
        /// `main`: always present, owns every call no rule claims.
        case builtin
        /// Seeded from the YAML `tenants:` list.
        case yaml
    }

    public var name: String
    public var origin: Origin
    public var match: String

    public init(name: String, origin: Origin = .yaml, match: String = "") {
        self.name = name
        self.origin = origin
        self.match = match
    }

    public static let mainName = "main"
    public static let main = TenantRecord(name: mainName, origin: .builtin, match: "")
}
