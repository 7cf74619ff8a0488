import CallEvents
import Foundation
import Testing
import TestSupport

/// `event-publisher webhooks …` against a temporary configuration and SQLite store.
@Suite("event-publisher webhooks")
struct WebhooksTests {
    // Secrets given on the command line; none may ever be printed.
    static let password = "hunter2-pw-7f3a"
    static let headerSecret = "api-key-9c1d"
    static let urlPassword = "urlpw-55e1"
    static let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let secrets = [password, headerSecret, urlPassword, signingSecret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]

    static func expectNoSecrets(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret),
                    "secret \(secret) printed:\n\(result)", sourceLocation: sourceLocation)
        }
    }

    static let addCRM = [
        "webhooks", "add", "--name", "crm", "--tenant", "acme", "--description", "CRM hook",
        "--url", "https://pbx:\(urlPassword)@crm.example.com/hooks?token=abc", "--header", "X-Api-Key=\(headerSecret)",
        "--header", "X-Plain=visible", "--auth-type", "basic", "--username", "pbx", "--password", password,
        "--signing-secret", signingSecret, "--event", "call.event_call_started",
        "--events", "call.event_call_finished", "--active",
    ]

    /// `webhooks list --json` as objects.
    static func listed(_ sandbox: WebhookSandbox) throws -> [[String: Any]] {
        let result = try sandbox.run(["webhooks", "list", "--json"])
        #expect(result.status == 0, "\(result)")
        return try #require(try CLI.json(result.stdout) as? [[String: Any]], "\(result)")
    }

    @Test("webhooks list on a fresh store shows the YAML webhook, seeded into the config's store.path")
    func listSeeded() throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["webhooks", "list"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdoutLines.count == 2, "\(result)")
            #expect(result.stdoutLines.first?.hasPrefix("NAME") == true, "\(result)")
            #expect(result.stdoutLines.last?.hasPrefix("from-yaml") == true, "\(result)")
            #expect(result.stdoutLines.last?.hasSuffix("yaml") == true, "\(result)")

            let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.storePath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "store file mode")
        }
    }

    @Test("webhooks add, list, show, edit, disable, enable and delete a webhook; --json output parses")
    func lifecycle() throws {
        try WebhookSandbox.with { sandbox in
            let added = try sandbox.run(Self.addCRM)
            #expect(added.status == 0, "\(added)")
            #expect(added.stdoutLines.first?.hasPrefix("added webhook crm (id ") == true, "\(added)")

            var hooks = try Self.listed(sandbox)
            #expect(Set(hooks.compactMap { $0["name"] as? String }) == ["crm", "from-yaml"])
            let crm = try #require(hooks.first { $0["name"] as? String == "crm" })
            #expect(crm["tenant"] as? String == "acme")
            #expect(crm["active"] as? Bool == true)
            #expect(crm["origin"] as? String == "api")
            #expect(crm["description"] as? String == "CRM hook")
            #expect(crm["events"] as? [String] == ["call.event_call_started", "call.event_call_finished"])

            let shown = try sandbox.run(["webhooks", "show", "crm", "--json"])
            #expect(shown.status == 0, "\(shown)")
            let shownObject = try #require(try CLI.json(shown.stdout) as? [String: Any], "\(shown)")
            #expect(shownObject["id"] as? Int == crm["id"] as? Int)
            #expect((shownObject["auth"] as? [String: Any])?["username"] as? String == "pbx")

            let edited = try sandbox.run(["webhooks", "edit", "crm", "--tenant", "acme", "--description", "changed",
                                          "--url", "https://crm2.example.com/x", "--subscribe-all"])
            #expect(edited.status == 0, "\(edited)")
            #expect(edited.stdout.hasPrefix("updated webhook crm"), "\(edited)")
            let afterEdit = try #require(try Self.listed(sandbox).first { $0["name"] as? String == "crm" })
            #expect(afterEdit["description"] as? String == "changed")
            #expect(afterEdit["url"] as? String == "https://crm2.example.com/x")
            #expect(afterEdit["subscribe_all"] as? Bool == true)
            #expect(afterEdit["id"] as? Int == crm["id"] as? Int, "edit keeps the id")
            #expect((afterEdit["auth"] as? [String: Any])?["type"] as? String == "basic", "edit keeps other fields")

            let disabled = try sandbox.run(["webhooks", "disable", "crm"])
            #expect(disabled.status == 0, "\(disabled)")
            #expect(disabled.stdout.hasPrefix("disabled webhook crm"), "\(disabled)")
            #expect(try Self.listed(sandbox).first { $0["name"] as? String == "crm" }?["active"] as? Bool == false)

            let enabled = try sandbox.run(["webhooks", "enable", "crm"])
            #expect(enabled.status == 0, "\(enabled)")
            #expect(try Self.listed(sandbox).first { $0["name"] as? String == "crm" }?["active"] as? Bool == true)

            let deleted = try sandbox.run(["webhooks", "delete", "crm"])
            #expect(deleted.status == 0, "\(deleted)")
            #expect(deleted.stdout.hasPrefix("deleted webhook crm"), "\(deleted)")
            hooks = try Self.listed(sandbox)
            #expect(hooks.compactMap { $0["name"] as? String } == ["from-yaml"])

            let gone = try sandbox.run(["webhooks", "show", "crm"])
            #expect(gone.status == 1, "\(gone)")
            #expect(gone.stderr.contains("no webhook named \"crm\""), "\(gone)")

            for result in [added, shown, edited] { Self.expectNoSecrets(result) }
        }
    }

    @Test("webhooks list, show and their --json forms mask every secret")
    func secretsMasked() throws {
        try WebhookSandbox.with { sandbox in
            let added = try sandbox.run(Self.addCRM)
            #expect(added.status == 0, "\(added)")
            Self.expectNoSecrets(added)

            let list = try sandbox.run(["webhooks", "list"])
            let listJSON = try sandbox.run(["webhooks", "list", "--json"])
            let show = try sandbox.run(["webhooks", "show", "crm"])
            let showJSON = try sandbox.run(["webhooks", "show", "crm", "--json"])
            for result in [list, listJSON, show, showJSON] {
                #expect(result.status == 0, "\(result)")
                Self.expectNoSecrets(result)
            }
            #expect(list.stdout.contains("https://pbx:********@crm.example.com"), "\(list)")
            #expect(show.stdout.contains("X-Api-Key: ********"), "\(show)")
            #expect(show.stdout.contains("X-Plain: visible"), "\(show)")
            #expect(show.stdout.contains("password ********"), "\(show)")
            #expect(show.stdout.contains("?token=********"), "\(show)")

            let object = try #require(try CLI.json(showJSON.stdout) as? [String: Any], "\(showJSON)")
            #expect(object["signing_secret"] as? String == "********")
            #expect((object["auth"] as? [String: Any])?["password"] as? String == "********")
            let headers = try #require(object["headers"] as? [[String: String]])
            #expect(headers == [["name": "X-Api-Key", "value": "********"], ["name": "X-Plain", "value": "visible"]])
        }
    }

    @Test("webhooks add with invalid fields exits 65, names each field and its flag, and saves nothing")
    func validationErrors() throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["webhooks", "add", "--name", "bad", "--url", "ftp://files.example.com",
                                          "--event", "call.event_call_exploded", "--tenant", "nowhere"])
            #expect(result.status == 65, "\(result)")
            let lines = result.stderrLines
            #expect(lines.contains { $0.hasPrefix("url: ") && $0.hasSuffix("(--url)") }, "\(result)")
            #expect(lines.contains { $0.hasPrefix("events[0]: unknown event") && $0.hasSuffix("(--event)") },
                    "\(result)")
            #expect(lines.contains { $0.hasPrefix("tenant: unknown tenant \"nowhere\"") }, "\(result)")
            #expect(lines.last == "event-publisher webhooks add: webhook not saved, 3 problems", "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            #expect(try Self.listed(sandbox).compactMap { $0["name"] as? String } == ["from-yaml"])

            let missing = try sandbox.run(["webhooks", "add", "--url", "https://x.example.com"])
            #expect(missing.status == 65, "\(missing)")
            #expect(missing.stderrLines.contains("name: required (--name)"), "\(missing)")
            #expect(missing.stderrLines.contains { $0.hasPrefix("events: ") && $0.hasSuffix("(--event)") },
                    "\(missing)")

            let bearer = try sandbox.run(["webhooks", "add", "--name", "b", "--url", "https://x.example.com",
                                          "--subscribe-all", "--auth-type", "bearer"])
            #expect(bearer.status == 65, "\(bearer)")
            #expect(bearer.stderrLines.contains { $0.hasPrefix("auth.token: ") && $0.hasSuffix("(--token)") },
                    "\(bearer)")
        }
    }

    @Test("webhooks add refuses a name the tenant already has, YAML-owned ones included")
    func duplicateName() throws {
        try WebhookSandbox.with { sandbox in
            let clash = try sandbox.run(["webhooks", "add", "--name", "from-yaml", "--url", "https://x.example.com",
                                         "--subscribe-all"])
            #expect(clash.status == 65, "\(clash)")
            #expect(clash.stderr.contains("name: already used in tenant \"main\""), "\(clash)")

            // The same name in another tenant is fine.
            let other = try sandbox.run(["webhooks", "add", "--name", "from-yaml", "--tenant", "acme",
                                         "--url", "https://x.example.com", "--subscribe-all"])
            #expect(other.status == 0, "\(other)")
            let ambiguous = try sandbox.run(["webhooks", "show", "from-yaml"])
            #expect(ambiguous.status == 1, "\(ambiguous)")
            #expect(ambiguous.stderr.contains("add --tenant"), "\(ambiguous)")
            let chosen = try sandbox.run(["webhooks", "show", "from-yaml", "--tenant", "acme", "--json"])
            #expect(chosen.status == 0, "\(chosen)")
            #expect((try CLI.json(chosen.stdout) as? [String: Any])?["tenant"] as? String == "acme")
        }
    }

    @Test("YAML-owned webhooks are read-only: edit, enable, disable and delete exit 1 and point at the file",
          arguments: [["edit", "from-yaml", "--description", "x"], ["enable", "from-yaml"], ["disable", "from-yaml"],
                      ["delete", "from-yaml"]])
    func yamlReadOnly(arguments: [String]) throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["webhooks"] + arguments)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("comes from the YAML configuration"), "\(result)")
            #expect(try Self.listed(sandbox).first?["description"] as? String == "")
        }
    }

    @Test("webhooks commands refuse unknown options and wrong arguments with exit 64 and the usage",
          arguments: [["list", "--frobnicate"], ["show"], ["add", "extra-positional", "--name", "x"],
                      ["delete", "a", "b"], ["add", "--header", "no-equals-sign", "--name", "h",
                                             "--url", "https://x.example.com", "--subscribe-all"],
                      ["frobnicate"]])
    func badUsage(arguments: [String]) throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["webhooks"] + arguments)
            #expect(result.status == 64, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            #expect(!result.stderr.isEmpty, "\(result)")
        }
    }

    @Test("webhooks show of an unknown name exits 1 and says so")
    func showUnknown() throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["webhooks", "show", "nope"])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("no webhook named \"nope\""), "\(result)")
        }
    }

    @Test("webhooks list --search filters the list")
    func search() throws {
        try WebhookSandbox.with { sandbox in
            #expect(try sandbox.run(Self.addCRM).status == 0)
            let result = try sandbox.run(["webhooks", "list", "--search", "crm", "--json"])
            #expect(result.status == 0, "\(result)")
            let hooks = try #require(try CLI.json(result.stdout) as? [[String: Any]], "\(result)")
            #expect(hooks.compactMap { $0["name"] as? String } == ["crm"])
        }
    }

    @Test("a secret written as ${ENV} is read from the environment; an unset one is refused with exit 64")
    func environmentSecrets() throws {
        try WebhookSandbox.with { sandbox in
            let receiver = try WebhookReceiver()
            defer { receiver.stop() }
            let added = try sandbox.run(
                ["webhooks", "add", "--name", "env", "--url", receiver.url, "--auth-type", "bearer",
                 "--token", "${EP_CLI_TEST_TOKEN}", "--event", "call.event_call_finished"],
                environment: ["EP_CLI_TEST_TOKEN": "tok-from-env-81b2"])
            #expect(added.status == 0, "\(added)")
            #expect(!added.stdout.contains("tok-from-env-81b2"), "\(added)")

            // `webhooks test` sends the real request: the receiver sees the expanded token.
            let tested = try sandbox.run(["webhooks", "test", "env"])
            #expect(tested.status == 0, "\(tested)")
            #expect(tested.stdout.contains("reachable: yes"), "\(tested)")
            #expect(tested.stdout.contains("status: 200"), "\(tested)")
            #expect(!tested.stdout.contains("tok-from-env-81b2"), "\(tested)")
            let request = try #require(receiver.waitForRequests(count: 1, timeout: .seconds(5)).first)
            #expect(request.header("Authorization") == "Bearer tok-from-env-81b2")
            #expect(request.json?["type"] as? String == EventName.callFinished.rawValue)

            let unset = try sandbox.run(
                ["webhooks", "add", "--name", "env2", "--url", "https://x.example.com", "--auth-type", "bearer",
                 "--token", "${EP_CLI_TEST_UNSET}", "--subscribe-all"],
                environment: ["EP_CLI_TEST_UNSET": nil])
            #expect(unset.status == 64, "\(unset)")
            #expect(unset.stderr.contains("--token: environment variable EP_CLI_TEST_UNSET is not set"), "\(unset)")
        }
    }

    @Test("webhooks test of an unreachable endpoint exits 1 and reports it unreachable")
    func testUnreachable() throws {
        try WebhookSandbox.with { sandbox in
            let added = try sandbox.run(["webhooks", "add", "--name", "dead", "--url", "http://127.0.0.1:9/hooks",
                                         "--subscribe-all"])
            #expect(added.status == 0, "\(added)")
            let tested = try sandbox.run(["webhooks", "test", "dead", "--json"])
            #expect(tested.status == 1, "\(tested)")
            let object = try #require(try CLI.json(tested.stdout) as? [String: Any], "\(tested)")
            #expect(object["reachable"] as? Bool == false)
            #expect(object["succeeded"] as? Bool == false)
        }
    }

    @Test("with an invalid configuration, webhooks commands refuse unless --store names the SQLite file")
    func invalidConfiguration() throws {
        try WebhookSandbox.with { sandbox in
            try sandbox.directory.write("event-publisher.yaml", "ami: { username: gateway }\nbogus: 1\n")
            let refused = try sandbox.run(["webhooks", "list"])
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("ami.secret: required"), "\(refused)")
            #expect(refused.stderr.contains("--store"), "\(refused)")

            let forced = try sandbox.run(["webhooks", "list", "--store", sandbox.storePath])
            #expect(forced.status == 0, "\(forced)")
            #expect(forced.stdout == "no webhooks\n", "\(forced)")
            #expect(forced.stderr.contains("warning"), "\(forced)")
        }
    }
}
