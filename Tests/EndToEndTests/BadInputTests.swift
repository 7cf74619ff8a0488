import AMIProtocol
import CallEvents
import Configuration
import EventPublisher
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bad input gets a clear error and leaves the pipeline and the store as they were.
@Suite("Bad input", .serialized)
struct BadInputTests {
    // MARK: Malformed AMI

    /// Garbage, truncated messages, a 10 MB line and invalid UTF-8, sent by the AMI server between
    /// real messages.
    static let hostileAMI: [(String, [UInt8])] = [
        ("binary garbage", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }),
        ("lines without a colon", Array("this is not AMI\r\nneither: is this\r\n:\r\n::::\r\n\r\n".utf8)),
        ("a truncated message", Array("Event: Newchannel\r\nPrivilege: call,all\r\nChannel: IAX2/10".utf8) + [13, 10, 13, 10]),
        ("invalid UTF-8", Array("Event: Newchannel\r\nChannel: IAX2/".utf8) + [0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]
            + Array("\r\nUniqueid: 9999.1\r\nLinkedid: 9999.1\r\nCallerIDNum: ".utf8) + [0xf8, 0x88, 0x80] + [13, 10, 13, 10]),
        ("a 10 MB line", Array("Event: VarSet\r\nValue: ".utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 10 * 1024 * 1024)
            + [13, 10, 13, 10]),
        ("NUL bytes and bare CR", [0, 0, 13, 0, 10, 13, 13, 10, 10] + Array("Event: Hangup\r\n\0\r\n\r\n".utf8)),
    ]

    @Test("Malformed AMI (garbage, truncated messages, a 10 MB line, invalid UTF-8) leaves the pipeline working")
    func malformedAMILeavesPipelineWorking() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let capture = Fixtures.path("fixtures/ami/02-internal-answered-callee-hangup.ami")
        let expected = try EndToEnd.expectedEvents(capture: capture, configPath: running.configPath)
        let messages = try AMIReplayServer.streamableMessages(ofCapture: capture)
        func resyncs() -> Int {
            running.server.statistics.actions.filter { $0.action?.lowercased() == "coreshowchannels" }.count
        }
        #expect(EndToEnd.wait(timeout: .seconds(10)) { resyncs() >= 1 })

        for (label, bytes) in Self.hostileAMI {
            running.server.sendRaw(bytes)
            // The client may drop a connection it cannot parse; it must come back either way.
            usleep(100_000)
            #expect(EndToEnd.wait(timeout: .seconds(10)) { running.server.openConnections == 1 && running.daemon.metrics?.amiConnected == true },
                    "no AMI connection after \(label)")
        }
        // Let a reconnect (if any) finish its resync before the real messages go out.
        let settledResyncs = resyncs()
        #expect(EndToEnd.wait(timeout: .seconds(5)) {
            running.server.statistics.actions.last?.action?.lowercased() != "login" && resyncs() == settledResyncs
        })
        running.server.stream(messages)
        let arrived = running.receiver.wait(timeout: .seconds(15)) { requests in
            Set(requests.receivedEvents().map(\.eventID)).isSuperset(of: Set(expected.map(\.id)))
        }
        #expect(arrived, "the real call after the garbage was not delivered; got \(running.receiver.requests.count)")
        let received = running.receiver.requests.receivedEvents()
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
        // The daemon said what it skipped (a diagnostic per bad frame), without crashing.
        let skipped = running.logs.records.filter { $0.message == "AMI input skipped" }
        #expect(skipped.count >= 3, "diagnostics logged: \(skipped.map { $0.metadata["ami.diagnostic"] ?? "" })")
        #expect(skipped.contains { ($0.metadata["ami.diagnostic"] ?? "").lowercased().contains("line") },
                "the 10 MB line is reported")
    }

    // MARK: Broken YAML

    @Test("Broken YAML is rejected with file:line:column problems, and the daemon does not start",
          arguments: ["broken-syntax.yaml", "broken-types.yaml", "broken-webhooks.yaml", "broken-environment.yaml",
                      "broken-billion-laughs.yaml"])
    func brokenYAMLRejectedWithPositions(file: String) throws {
        let path = Fixtures.path("fixtures/config/\(file)")
        var problems: [String] = []
        do {
            _ = try GatewayConfiguration.load(path: path, environment: [:])
            Issue.record("\(file) was accepted")
        } catch {
            problems = error.problems.map(\.description)
        }
        #expect(!problems.isEmpty)
        let positioned = try Regex("^" + NSRegularExpression.escapedPattern(for: path) + #":\d+:\d+: "#)
        for problem in problems {
            #expect(problem.firstMatch(of: positioned) != nil, "no file:line:column in \(problem)")
        }

        let folder = try TemporaryFolder("ep-badyaml")
        let (logger, _) = EndToEnd.capturingLogger()
        let daemon = Daemon(options: DaemonOptions(configPath: path, logger: logger,
                                                   amiEndpointOverride: (host: "127.0.0.1", port: 9),
                                                   adminListenOverride: "127.0.0.1:0"))
        #expect(throws: (any Error).self) { try daemon.start() }
        _ = folder
    }

    @Test("Invalid webhook fields in YAML are named as webhooks[i].field at their line and column",
          arguments: [
              ("url: \"ftp://x.example\"", "webhooks[0].url"),
              ("url: \"javascript:alert(1)\"", "webhooks[0].url"),
              ("url: \"file:///etc/passwd\"", "webhooks[0].url"),
              ("headers: { X-A: \"a\\r\\nInjected: 1\" }", "webhooks[0].headers"),
              ("headers: { X-A: \"a\\nb\" }", "webhooks[0].headers"),
              ("auth: { type: basic, username: u }", "webhooks[0].auth.password"),
              ("auth: { type: bearer }", "webhooks[0].auth.token"),
              ("signing_secret: \"not-a-secret\"", "webhooks[0].signing_secret"),
              ("events: [call.nope]", "webhooks[0].events"),
              ("tenant: nowhere", "webhooks[0].tenant"),
          ])
    func invalidWebhookFieldsInYAML(line: String, field: String) throws {
        let urlLine = line.hasPrefix("url:") ? line : "url: \"https://ok.example/hook\""
        var lines = ["ami: { username: gateway, secret: secret }", "webhooks:", "  - name: w", "    " + urlLine]
        if !line.hasPrefix("events:") { lines.append("    subscribe_all: true") }
        if !line.hasPrefix("url:") { lines.append("    " + line) }
        let text = lines.joined(separator: "\n") + "\n"
        do {
            _ = try GatewayConfiguration.parse(text, file: "hooks.yaml")
            Issue.record("accepted: \(line)")
        } catch {
            let matching = error.problems.filter { $0.keyPath.hasPrefix(field) }
            #expect(!matching.isEmpty, "no problem names \(field): \(error.problems.map(\.description))")
            for problem in matching {
                #expect(problem.mark != nil && problem.description.hasPrefix("hooks.yaml:"), "\(problem)")
            }
        }
    }

    @Test("A broken configuration on hot reload is refused and the store keeps its webhooks")
    func brokenReloadLeavesStoreUntouched() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let before = try running.webhooks()
        #expect(before.count == 1)
        // Replace the file (as an editor does) with a broken one that would also drop the webhook.
        let broken = running.configuration.yaml.replacingOccurrences(of: "webhooks:", with: "webhooks: [oops")
        let temporary = running.folder.file("config.yaml.tmp")
        try Data(broken.utf8).write(to: URL(fileURLWithPath: temporary))
        rename(temporary, running.configPath)
        #expect(EndToEnd.wait(timeout: .seconds(10)) {
            running.logs.fullText.contains(try! Regex(#"config\.yaml:\d+:\d+: "#))
        }, "the reload error was not logged with the file name")
        let after = try running.webhooks()
        #expect(after.count == before.count)
        #expect((after.first?["url"] as? String) == running.receiver.url)
        #expect((after.first?["active"] as? Bool) == true)
    }

    // MARK: Invalid webhook fields through the admin API

    nonisolated(unsafe) static let invalidBodies: [(String, [String: Any], String)] = [
        ("ftp URL", ["name": "x", "url": "ftp://files.example/x"], "url"),
        ("javascript URL", ["name": "x", "url": "javascript:alert(1)"], "url"),
        ("no URL", ["name": "x"], "url"),
        ("empty name", ["name": "", "url": "https://ok.example"], "name"),
        ("CR/LF header value", ["name": "x", "url": "https://ok.example",
                                "headers": [["name": "X-A", "value": "a\r\nInjected: 1"]]], "headers"),
        ("bad header name", ["name": "x", "url": "https://ok.example", "headers": [["name": "X Bad", "value": "1"]]], "headers"),
        ("unknown auth type", ["name": "x", "url": "https://ok.example", "auth": ["type": "digest"]], "auth.type"),
        ("basic without password", ["name": "x", "url": "https://ok.example", "auth": ["type": "basic", "username": "u"]], "auth.password"),
        ("bad signing secret", ["name": "x", "url": "https://ok.example", "signing_secret": "plain"], "signing_secret"),
        ("unknown event", ["name": "x", "url": "https://ok.example", "events": ["call.nope"]], "events"),
        ("unknown tenant", ["name": "x", "url": "https://ok.example", "tenant": "nowhere"], "tenant"),
        ("description too long", ["name": "x", "url": "https://ok.example", "description": String(repeating: "d", count: 1001)], "description"),
        ("wrong JSON type", ["name": "x", "url": "https://ok.example", "active": "yes"], "active"),
    ]

    @Test("Invalid webhook fields through the admin API get a 4xx naming the field, and the store is untouched")
    func invalidWebhookFieldsThroughAPI() throws {
        let running = try RunningDaemon()
        defer { running.stop() }
        let before = try running.webhooks()
        for (label, body, field) in Self.invalidBodies {
            let response = try running.api("POST", "/api/webhooks", body: AdminHTTP.json(body))
            #expect((400..<500).contains(response.status), "\(label): status \(response.status)")
            #expect(response.errorField?.hasPrefix(field) == true,
                    "\(label): field \(response.errorField ?? "nil"), expected \(field): \(response.text.prefix(300))")
            #expect(response.errorMessage?.isEmpty == false, "\(label): no message")
        }
        // Not JSON at all, and a JSON array.
        for raw in ["{not json", "[1,2]", "", "\u{0}\u{1}"] {
            let response = try running.api("POST", "/api/webhooks", body: Array(raw.utf8))
            #expect((400..<500).contains(response.status), "\(raw.debugDescription): \(response.status)")
        }
        // Same for an update of the existing webhook.
        let id = try #require(before.first?["id"] as? Int)
        let update = try running.api("PUT", "/api/webhooks/\(id)", body: AdminHTTP.json(["url": "gopher://x"]))
        #expect((400..<500).contains(update.status))
        #expect(update.errorField == "url")
        let after = try running.webhooks()
        #expect(after.count == before.count, "the store changed")
        #expect((after.first?["url"] as? String) == (before.first?["url"] as? String))
    }

    @Test("Invalid webhook fields through the CLI are refused naming the field, and the store is untouched",
          .enabled(if: DaemonBinary.isAvailable, "the event-publisher binary is not built"))
    func invalidWebhookFieldsThroughCLI() throws {
        let folder = try TemporaryFolder("ep-cli")
        let store = folder.file("store.sqlite")
        let configPath = try EndToEndConfiguration(amiPort: 9, storePath: store, webhookURL: "https://ok.example/hook")
            .write(to: folder.file("config.yaml"))
        func cli(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: DaemonBinary.path!)
            process.arguments = arguments + ["--config", configPath]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
        let (ok, okOutput) = try cli(["webhooks", "add", "--name", "good", "--url", "https://good.example/x", "--subscribe-all"])
        #expect(ok == 0, "\(okOutput)")
        let (_, listBefore) = try cli(["webhooks", "list", "--json"])
        let cases: [([String], String)] = [
            (["--url", "ftp://x.example", "--subscribe-all"], "url"),
            (["--url", "javascript:alert(1)", "--subscribe-all"], "url"),
            (["--url", "https://ok.example", "--subscribe-all", "--header", "X-A=a\r\nB: c"], "headers"),
            (["--url", "https://ok.example", "--subscribe-all", "--auth-type", "basic", "--username", "u"], "auth.password"),
            (["--url", "https://ok.example", "--subscribe-all", "--signing-secret", "plain"], "signing_secret"),
            (["--url", "https://ok.example", "--event", "call.nope"], "events"),
        ]
        for (arguments, field) in cases {
            let (status, output) = try cli(["webhooks", "add", "--name", "bad"] + arguments)
            #expect(status != 0, "accepted: \(arguments)")
            #expect(output.contains(field), "\(arguments): \(output)")
        }
        let (_, listAfter) = try cli(["webhooks", "list", "--json"])
        #expect(listAfter == listBefore, "the store changed")
    }
}
