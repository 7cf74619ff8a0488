/// A client → server message (`Action: …`). Encoded with CRLF line ends and a closing empty line.
public struct AMIAction: Sendable, Hashable {
    public var name: String
    public var actionID: String?
    public var fields: [(String, String)]

    public init(_ name: String, actionID: String? = nil, _ fields: [(String, String)] = []) {
        self.name = name
        self.actionID = actionID
        self.fields = fields
    }

    public static func == (lhs: AMIAction, rhs: AMIAction) -> Bool {
        lhs.name == rhs.name && lhs.actionID == rhs.actionID
            && lhs.fields.map { "\($0.0)\u{0}\($0.1)" } == rhs.fields.map { "\($0.0)\u{0}\($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(actionID)
        for (key, value) in fields { hasher.combine(key); hasher.combine(value) }
    }

    /// The wire bytes. CR and LF inside keys or values are replaced by spaces: an embedded line
    /// break would let a value inject extra AMI headers.
    public func encoded() -> [UInt8] {
        var text = "Action: \(Self.sanitize(name))\r\n"
        if let actionID { text += "ActionID: \(Self.sanitize(actionID))\r\n" }
        for (key, value) in fields { text += "\(Self.sanitize(key)): \(Self.sanitize(value))\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    static func sanitize(_ text: String) -> String {
        guard text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }
}

extension AMIAction: CustomStringConvertible {
    /// The action for logs, with `Secret` and `Key` values replaced by `***`: printing an action
    /// must never leak a credential.
    public var description: String {
        var parts = ["Action: \(name)"]
        if let actionID { parts.append("ActionID: \(actionID)") }
        for (key, value) in fields {
            let lowered = key.lowercased()
            parts.append("\(key): \(lowered == "secret" || lowered == "key" ? "***" : value)")
        }
        return parts.joined(separator: " | ")
    }
}
