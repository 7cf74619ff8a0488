import AMIProtocol

/// Reads Asterisk's standard channel block (`Channel`, `Uniqueid`, `Linkedid`, `CallerIDNum`, …)
/// from a message, optionally with a prefix (`Dest`, `Transferee`, `LocalOne`, …).
///
/// Asterisk's key spelling lives here and nowhere else (ami-reference §2.0). Lookups are
/// case-insensitive because `AMIMessage` compares keys that way (pitfall P8).
struct ChannelSnapshot {
    let message: AMIMessage
    let prefix: String

    init(_ message: AMIMessage, prefix: String = "") {
        self.message = message
        self.prefix = prefix
    }

    private func value(_ key: String) -> String? {
        prefix.isEmpty ? message[key] : message[prefix + key]
    }

    var uniqueID: String? { nonEmpty(value("Uniqueid")) }
    var linkedID: String? { nonEmpty(value("Linkedid")) }
    var channel: String? { nonEmpty(value("Channel")) }
    var stateDesc: String? { nonEmpty(value("ChannelStateDesc")) }
    var callerIDNum: String? { known(value("CallerIDNum")) }
    var callerIDName: String? { known(value("CallerIDName")).map(AMIEscaping.unescape) }
    var connectedLineNum: String? { known(value("ConnectedLineNum")) }
    var connectedLineName: String? { known(value("ConnectedLineName")).map(AMIEscaping.unescape) }
    var accountCode: String? { nonEmpty(value("AccountCode")) }
    var context: String? { nonEmpty(value("Context")) }
    var exten: String? { nonEmpty(value("Exten")) }

    /// `ChanVariable: NAME=value` lines of this prefix (both syntaxes of ami-reference §2.0).
    func channelVariable(_ name: String) -> String? {
        for line in message.values(for: prefix + "ChanVariable") {
            guard let eq = line.firstIndex(of: "="), line[..<eq] == name else { continue }
            return AMIEscaping.unescape(String(line[line.index(after: eq)...]))
        }
        return nil
    }
}

/// `nil` for empty values.
func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}

/// `nil` for empty values and Asterisk's `<unknown>` placeholder.
func known(_ value: String?) -> String? {
    guard let value, !value.isEmpty, value != "<unknown>" else { return nil }
    return value
}

/// Whether a channel name is one half of a Local channel pair (`Local/…;1` or `Local/…;2`).
func isLocalChannelName(_ name: String) -> Bool {
    var iterator = name.utf8.makeIterator()
    for expected in "local/".utf8 {
        guard let byte = iterator.next(), (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) == expected else {
            return false
        }
    }
    return true
}

/// The other half's name of a Local channel: `…;1` ↔ `…;2` (ami-reference §2.4).
func localPartnerName(_ name: String) -> String? {
    if name.hasSuffix(";1") { return String(name.dropLast()) + "2" }
    if name.hasSuffix(";2") { return String(name.dropLast()) + "1" }
    return nil
}

/// The endpoint part of a channel name: `PJSIP/1001-0000002a` → `1001`, `IAX2/carrier-14580` → `carrier`.
/// Technology-agnostic: strips the technology and the driver's counter suffix.
func endpointName(ofChannel name: String) -> String {
    var rest = Substring(name)
    if let slash = rest.firstIndex(of: "/") { rest = rest[rest.index(after: slash)...] }
    if let dash = rest.lastIndex(of: "-") { rest = rest[..<dash] }
    return String(rest)
}

/// The device part of a channel name: `PJSIP/1001-0000002a` → `PJSIP/1001`.
func deviceName(ofChannel name: String) -> String {
    guard let dash = name.lastIndex(of: "-"), name.contains("/") else { return name }
    return String(name[..<dash])
}
