import EventPublisher
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The deployment files in `config/` are product: the systemd unit must keep its sandbox and the
/// Asterisk sample must keep the least-privilege AMI user the docs promise.
@Suite("Deployment files")
struct UnitFileTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let unitPath = repository.appendingPathComponent("config/event-publisher.service").path
    static let managerConfPath = repository.appendingPathComponent("config/asterisk/manager.conf.sample").path
    static let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("The unit runs as its own user, restarts on failure, reloads with SIGHUP and logs to the journal")
    func serviceBasics() throws {
        let unit = try UnitFile(path: Self.unitPath)
        #expect(unit.values("Service", "User") == ["event-publisher"])
        #expect(unit.values("Service", "Group") == ["event-publisher"])
        #expect(unit.values("Service", "Restart") == ["on-failure"])
        #expect(unit.values("Service", "ExecReload").contains("/bin/kill -HUP $MAINPID"))
        #expect(unit.values("Service", "StateDirectory") == ["event-publisher"])
        #expect(unit.values("Service", "ConfigurationDirectory") == ["event-publisher"])
        #expect(unit.values("Service", "StandardError") == ["journal"])
        #expect(unit.values("Install", "WantedBy") == ["multi-user.target"])
        let start = try #require(unit.values("Service", "ExecStart").first)
        #expect(start.hasSuffix(" run --config /etc/event-publisher/event-publisher.yaml"))
    }

    @Test("The unit keeps its hardening options",
          arguments: [
              ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
              ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""),
              ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
              ("ProtectControlGroups", "yes"), ("RestrictSUIDSGID", "yes"), ("RestrictNamespaces", "yes"),
              ("LockPersonality", "yes"), ("MemoryDenyWriteExecute", "yes"),
              ("SystemCallArchitectures", "native"), ("UMask", "0077"),
          ])
    func hardening(option: String, expected: String) throws {
        let unit = try UnitFile(path: Self.unitPath)
        #expect(unit.values("Service", option) == [expected], "\(option)")
    }

    @Test("The sandbox still allows the network and inotify")
    func sandboxAllowsWhatTheDaemonNeeds() throws {
        let unit = try UnitFile(path: Self.unitPath)
        let families = unit.values("Service", "RestrictAddressFamilies").joined(separator: " ")
            .split(separator: " ").map(String.init)
        #expect(Set(["AF_INET", "AF_INET6", "AF_UNIX"]).isSubset(of: Set(families)))
        // @system-service contains @network-io and the inotify_* calls of @file-system.
        let filters = unit.values("Service", "SystemCallFilter")
        #expect(filters.contains("@system-service"))
        #expect(!filters.contains { $0.hasPrefix("~") && ($0.contains("@network-io") || $0.contains("@file-system")) })
        #expect(unit.values("Service", "PrivateNetwork").allSatisfy { $0 == "no" })
        #expect(unit.values("Service", "IPAddressDeny").isEmpty)
    }

    @Test("systemd-analyze verify accepts the unit",
          .enabled(if: UnitFileTests.systemdAnalyze != nil, "systemd-analyze is not installed on this machine"))
    func systemdAnalyzeVerify() throws {
        // verify insists that ExecStart binaries exist; point them at a stand-in executable.
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("unit-verify-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = directory.appendingPathComponent("event-publisher").path
        try "#!/bin/sh\nexit 0\n".write(toFile: standIn, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: standIn)
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/event-publisher", with: standIn)
        let unitCopy = directory.appendingPathComponent("event-publisher.service").path
        try text.write(toFile: unitCopy, atomically: true, encoding: .utf8)

        let result = try run(Self.systemdAnalyze!, ["verify", unitCopy])
        #expect(result.status == 0, "systemd-analyze verify: \(result.output)")
        // Every diagnostic verify prints about our file is a defect, even when it exits 0.
        let complaints = result.output.split(separator: "\n").filter { $0.contains("event-publisher.service") }
        #expect(complaints.isEmpty, "\(complaints)")
    }

    @Test("The Asterisk sample binds AMI to localhost with a least-privilege user and timestamps")
    func managerConfSample() throws {
        let text = try String(contentsOfFile: Self.managerConfPath, encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix(";") && !$0.isEmpty }
        func value(_ key: String) -> [String] {
            lines.compactMap { line in
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.count == 2 && parts[0] == key ? parts[1] : nil
            }
        }
        #expect(value("bindaddr") == ["127.0.0.1"])
        #expect(value("timestampevents") == ["yes"])
        let read = Set(try #require(value("read").first).split(separator: ",").map(String.init))
        #expect(read.isSuperset(of: ["call", "agent", "dialplan", "reporting", "system"]))
        #expect(read.isDisjoint(with: ["all", "security", "command", "config", "originate", "user"]))
        // CoreShowChannels (the resync) needs system or reporting; reporting cannot restart Asterisk.
        let write = Set(try #require(value("write").first).split(separator: ",").map(String.init))
        #expect(write == ["reporting"])
        let timeout = try #require(value("writetimeout").first.flatMap { Int($0) })
        #expect(timeout >= 1000)
        #expect(!value("eventfilter").isEmpty)
        #expect(text.contains(";eventfilter(action(exclude),name(CEL)) ="))
    }

    static let captures: [String] = ["fixtures/ami", "fixtures/ami-pjsip"].flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".ami") }.sorted().map { "\(folder)/\($0)" }
    }

    /// The legacy `eventfilter = !regex` lines of the sample (block A), applied the way Asterisk does
    /// (POSIX extended regex over the whole event text), must not change a single call event.
    @Test("The sample's event filters drop nothing the engine uses", arguments: captures)
    func eventFiltersKeepWhatTheEngineUses(capture: String) throws {
        let patterns = try String(contentsOfFile: Self.managerConfPath, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("eventfilter = !") }.map { String($0.dropFirst("eventfilter = !".count)) }
        #expect(patterns.count >= 2)
        let filter = try AsteriskRegexFilter(excluding: patterns)
        let bytes = [UInt8](try Data(contentsOf: Self.repository.appendingPathComponent(capture)))
        let (filtered, dropped) = filter.apply(to: bytes)

        let all = ReplayRunner.run(bytes: bytes)
        let kept = ReplayRunner.run(bytes: filtered)
        #expect(all.events.count == kept.events.count, "\(capture): \(dropped) AMI events filtered out")
        #expect(all.jsonLines == kept.jsonLines, "\(capture): filtering changed the call events")
    }

    @Test("The advanced eventfilter block names the same events as the legacy block")
    func advancedAndLegacyFiltersAgree() throws {
        let text = try String(contentsOfFile: Self.managerConfPath, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let legacyNames = try #require(lines.first { $0.hasPrefix("eventfilter = !^Event: (") })
            .drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }.split(separator: "|").map(String.init)
        let advancedNames = lines.compactMap { line -> String? in
            guard line.hasPrefix(";eventfilter(action(exclude),name("), line.hasSuffix(")) =") else { return nil }
            return String(line.dropFirst(";eventfilter(action(exclude),name(".count).dropLast(")) =".count))
        }
        #expect(Set(advancedNames).subtracting(["RTCPSent", "RTCPReceived"]) == Set(legacyNames))
        #expect(!Self.captures.isEmpty, "no captures under fixtures/ to check the filters against")
        let legacyVarSet = lines.first { $0.hasPrefix("eventfilter = !^Event: VarSet") }
            .map { String($0[$0.range(of: "Variable: (")!.upperBound...]) }
        let advancedVarSet = lines.first { $0.hasPrefix(";eventfilter(action(exclude),name(VarSet)") }
            .map { String($0[$0.range(of: "= ^(")!.upperBound...]) }
        #expect(legacyVarSet != nil && legacyVarSet == advancedVarSet)
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A systemd unit file read the way systemd reads one: sections, `Key=value`, repeated keys kept
/// in order, an empty assignment resetting the list, comments and blank lines skipped.
private struct UnitFile {
    private var entries: [String: [String]] = [:]

    init(path: String) throws {
        var section = ""
        for raw in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let name = "\(section)/\(key)"
            if value.isEmpty {
                entries[name] = [""]
            } else if entries[name] == [""] {
                entries[name] = [value]
            } else {
                entries[name, default: []].append(value)
            }
        }
    }

    /// Every value of `key` in `section`, in file order; `[""]` when the last assignment was empty.
    func values(_ section: String, _ key: String) -> [String] {
        entries["\(section)/\(key)"] ?? []
    }
}

/// Asterisk's legacy event filter: `regcomp(REG_EXTENDED | REG_NOSUB)` patterns run with `regexec` over
/// the whole event text ("Event: …\r\n…\r\n"); exclude-only lists mean "everything except matches".
/// Action responses and the banner are never filtered.
private final class AsteriskRegexFilter {
    private var compiled: [UnsafeMutablePointer<regex_t>] = []

    init(excluding patterns: [String]) throws {
        for pattern in patterns {
            let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
            guard regcomp(regex, pattern, REG_EXTENDED | REG_NOSUB) == 0 else {
                regex.deallocate()
                throw FilterError.badPattern(pattern)
            }
            compiled.append(regex)
        }
    }

    deinit {
        for regex in compiled {
            regfree(regex)
            regex.deallocate()
        }
    }

    enum FilterError: Error { case badPattern(String) }

    /// The capture without the events a pattern matches, and how many were dropped.
    func apply(to bytes: [UInt8]) -> (kept: [UInt8], dropped: Int) {
        let eventPrefix: [UInt8] = Array("Event: ".utf8)
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var dropped = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count,
                  !(end + 3 < bytes.count && bytes[end] == 13 && bytes[end + 1] == 10 && bytes[end + 2] == 13
                    && bytes[end + 3] == 10)
            {
                end += 1
            }
            let messageEnd = min(end + 4, bytes.count)
            let message = bytes[start..<messageEnd]
            if message.starts(with: eventPrefix), excluded(Array(bytes[start..<min(end + 2, bytes.count)])) {
                dropped += 1
            } else {
                kept += message
            }
            start = messageEnd
        }
        return (kept, dropped)
    }

    private func excluded(_ text: [UInt8]) -> Bool {
        let cString = text.map { CChar(bitPattern: $0 == 0 ? 0x20 : $0) } + [0]
        return compiled.contains { regexec($0, cString, 0, nil, 0) == 0 }
    }
}
