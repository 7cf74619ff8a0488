import Foundation
import Testing
import TestSupport

/// `event-publisher check-config [--config PATH]`: exit 0 when valid, else every problem as
/// `file:line:column: key: problem` on stderr.
@Suite("event-publisher check-config")
struct CheckConfigTests {
    /// `file:line:column: key: problem`, the contract's line format.
    nonisolated(unsafe) static let problemLine = #/^(?<file>[^:]+):(?<line>\d+):(?<column>\d+): (?<key>[^:]+): (?<problem>.+)$/#

    static var repository: URL { Fixtures.repositoryRoot }

    @Test("check-config without --config validates config/event-publisher.yaml: exit 0 and one summary line")
    func sampleConfig() throws {
        let result = try CLI.run(["check-config"], in: Self.repository)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines.count == 1, "\(result)")
        #expect(result.stdout.hasPrefix("config/event-publisher.yaml: valid ("), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("check-config accepts the valid fixtures", arguments: ["valid-full.yaml", "valid-minimal.yaml"])
    func validFixtures(name: String) throws {
        let path = "fixtures/config/\(name)"
        // valid-full.yaml reads ${ADMIN_TOKEN} (no default).
        let result = try CLI.run(["check-config", "--config", path], in: Self.repository,
                                 environment: ["ADMIN_TOKEN": "test-admin-token"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("\(path): valid ("), "\(result)")
    }

    @Test("check-config on a broken file exits 65 with only file:line:column problem lines on stderr",
          arguments: ["broken-billion-laughs.yaml", "broken-environment.yaml", "broken-syntax.yaml",
                      "broken-types.yaml", "broken-webhooks.yaml"])
    func brokenFixtures(name: String) throws {
        let path = "fixtures/config/\(name)"
        let result = try CLI.run(["check-config", "--config", path], in: Self.repository,
                                 environment: ["EP_TEST_UNSET_SECRET": nil, "EP_TEST_ADMIN_PORT": nil])
        #expect(result.status == 65, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(!result.stderrLines.isEmpty, "\(result)")
        let position = #/^(?<file>[^:]+):(?<line>\d+):(?<column>\d+): .+$/#
        var lastLine = 0
        for line in result.stderrLines {
            let match = try #require(line.wholeMatch(of: position), "not file:line:column: …: \(line)")
            #expect(match.output.file == path)
            let number = Int(match.output.line) ?? 0
            #expect(number >= lastLine, "problems out of file order at: \(line)")
            lastLine = number
        }
    }

    @Test("check-config reports every problem of a file, each as file:line:column: key: problem, in file order",
          arguments: [
              ("broken-types.yaml",
               ["ami.hots", "ami.secret", "ami.port", "ami.md5_challenge", "store.path", "admin.listen", "admin.tokn",
                "tenants[0].match", "tenants[1].name", "tenants[2].name", "tenants[2].match", "numbers.internal",
                "rating.enabled", "rating.currency", "rating.plans[0].direction", "rating.plans[0].per_minute",
                "rating.plans[0].increment", "rating.plans[1].prefix", "extra"]),
              ("broken-webhooks.yaml",
               ["webhooks[0].url", "webhooks[0].auth.type", "webhooks[0].events[1]", "webhooks[1].all_tenants",
                "webhooks[1].headers.X Bad", "webhooks[1].auth.password", "webhooks[2].name", "webhooks[3].name",
                "webhooks[3].events", "webhooks[3].active", "webhooks[3].tenants[0]"]),
              ("broken-environment.yaml", ["ami.secret", "admin.token"]),
          ])
    func everyProblem(name: String, keys: [String]) throws {
        let path = "fixtures/config/\(name)"
        let result = try CLI.run(["check-config", "--config", path], in: Self.repository,
                                 environment: ["EP_TEST_UNSET_SECRET": nil, "EP_TEST_ADMIN_PORT": nil])
        #expect(result.status == 65, "\(result)")
        var reported: [String] = []
        for line in result.stderrLines {
            let match = try #require(line.wholeMatch(of: Self.problemLine), "not file:line:column: key: problem: \(line)")
            #expect(match.output.file == path)
            #expect(Int(match.output.column) ?? 0 >= 1)
            reported.append(String(match.output.key))
        }
        #expect(reported == keys, "\(result)")
    }

    @Test("check-config on a file that does not exist exits non-zero and names the file")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("absent.yaml")
            let result = try CLI.run(["check-config", "--config", path])
            #expect(result.status != 0, "\(result)")
            #expect(result.stderr.contains(path), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    @Test("check-config with an unexpected argument exits 64 with its usage")
    func badUsage() throws {
        let result = try CLI.run(["check-config", "--strict"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("usage: event-publisher check-config"), "\(result)")
    }
}
