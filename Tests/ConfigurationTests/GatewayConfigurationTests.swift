import CallCorrelation
import Configuration
import Testing
import Webhooks

@Suite("Loading the configuration")
struct GatewayConfigurationTests {
    /// Problems without the file name, `line:column: key: problem`.
    func problems(_ file: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try GatewayConfiguration.load(path: ConfigFixtures.config(file), environment: environment)
            return []
        } catch {
            return error.problems.map { problem in
                "\(problem.mark.map(\.description) ?? "-"): \(problem.keyPath): \(problem.message)"
            }
        }
    }

    @Test("A complete file gives every section typed, with ${ENV} substituted")
    func completeFileIsTyped() throws {
        let configuration = try GatewayConfiguration.load(path: ConfigFixtures.config("valid-full.yaml"),
                                                          environment: ["ADMIN_TOKEN": "adm1n", "CRM_PASSWORD": ""])
        #expect(configuration.ami == AMISettings(host: "pbx.example.com", port: 5039, username: "gateway",
                                                 secret: "fallback-secret", usesMD5Challenge: true))
        #expect(configuration.store.path == "/var/lib/event-publisher/store.sqlite")
        #expect(configuration.admin == AdminSettings(listen: "[::1]:9090", token: "adm1n"))
        #expect(configuration.admin.host == "::1" && configuration.admin.port == 9090)
        #expect(configuration.tenants == [
            TenantRule(name: "acme", match: .accountCode("acme")),
            TenantRule(name: "globex", match: .contextPrefix("globex-")),
            TenantRule(name: "initech", match: .channelPattern("^PJSIP/initech-.*$")),
            TenantRule(name: "umbrella", match: .variable(name: "TENANT", value: "umbrella")),
        ])
        #expect(configuration.tenantNames == ["main", "acme", "globex", "initech", "umbrella"])
        #expect(configuration.rating == RatingConfiguration(enabled: true, currency: "EUR", plans: [
            RatePlan(prefix: "+1555", direction: .outbound, perMinute: 0.02, minimumSeconds: 30, incrementSeconds: 6,
                     connectionFee: 0.01),
            RatePlan(prefix: "+44", direction: .any, perMinute: 1),
            RatePlan(prefix: "", direction: .inbound, perMinute: 0),
        ]))
        #expect(configuration.correlation == CorrelationConfiguration(
            tenants: configuration.tenants, internalNumberPattern: "^[0-9]{3,4}$", rating: configuration.rating,
            trunkChannelPattern: "^PJSIP/carrier-"))
        #expect(configuration.webhooks.map(\.name) == ["crm", "dashboard", "billing", "legacy", "plain"])
        let crm = configuration.webhooks[0]
        #expect(crm == Webhook(name: "crm", description: "CRM of ACME", isActive: true, tenant: "acme",
                               tenants: ["acme"], url: "https://crm.example.com/hooks/pbx",
                               headers: [WebhookHeader(name: "X-Api-Key", value: "k-123"),
                                         WebhookHeader(name: "X-Source", value: "pbx")],
                               auth: .basic(username: "pbx", password: "pw"),
                               signingSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                               events: [.callStarted, .callFinished], origin: .yaml))
        #expect(configuration.webhooks[1].servesAllTenants && configuration.webhooks[1].subscribesToAllEvents)
        #expect(configuration.webhooks[2].auth == .oauth2ClientCredentials(OAuth2Client(
            tokenURL: "https://idp.example.com/oauth/token", clientID: "billing", clientSecret: "s3cret",
            scopes: ["cdr.write"])))
        #expect(configuration.webhooks[3].tenant == "umbrella")
        #expect(configuration.webhooks.allSatisfy { $0.origin == .yaml && $0.id == 0 })
    }

    @Test("Missing optional sections get their defaults")
    func minimalFileGetsDefaults() throws {
        let configuration = try GatewayConfiguration.load(path: ConfigFixtures.config("valid-minimal.yaml"), environment: [:])
        #expect(configuration == GatewayConfiguration(ami: AMISettings(username: "gateway", secret: "secret")))
        #expect(configuration.ami.host == "127.0.0.1" && configuration.ami.port == 5038)
        #expect(configuration.store.path == "data/event-publisher.sqlite")
        #expect(configuration.admin.listen == "127.0.0.1:8088" && configuration.admin.token == nil)
        #expect(configuration.internalNumberPattern == "^[0-9]{2,6}$")
        #expect(configuration.rating == RatingConfiguration())
        #expect(configuration.webhooks.isEmpty && configuration.tenants.isEmpty)
    }

    @Test("The shipped sample configuration is valid")
    func sampleIsValid() throws {
        let configuration = try GatewayConfiguration.load(path: ConfigFixtures.repository("config/event-publisher.yaml"),
                                                          environment: [:])
        #expect(configuration.ami.secret == "secret")
        #expect(configuration.admin.token == "change-me")
        #expect(configuration.webhooks.map(\.name) == ["demo-receiver"])
    }

    @Test("Wrong types, unknown keys and bad values are all reported, in file order")
    func brokenTypesReportEverything() {
        #expect(problems("broken-types.yaml") == [
            "3:3: ami.hots: unknown key (did you mean \"host\"?)",
            "3:3: ami.secret: required",
            "4:9: ami.port: expected an integer, got the quoted string \"5038\"",
            "6:18: ami.md5_challenge: expected true or false, got \"yes\"",
            "8:9: store.path: must not be empty",
            "10:11: admin.listen: expected host:port such as 127.0.0.1:8088 or [::1]:8088, got \"localhost\"",
            "11:3: admin.tokn: unknown key (did you mean \"token\"?)",
            "14:12: tenants[0].match: give only one of accountcode, context_prefix, channel_pattern, variable, got accountcode and context_prefix",
            "15:11: tenants[1].name: \"acme\" already defined in tenants[0]",
            "17:11: tenants[2].name: \"bad name\" must be at most 64 letters, digits, \"-\", \"_\" or \".\"",
            "18:12: tenants[2].match: give one of accountcode, context_prefix, channel_pattern, variable",
            "20:13: numbers.internal: invalid regular expression: expected ']'",
            "22:12: rating.enabled: expected true or false, got \"maybe\"",
            "23:13: rating.currency: expected a three-letter ISO 4217 code such as USD, got \"dollars\"",
            "26:18: rating.plans[0].direction: unknown value \"sideways\" (expected outbound, inbound, any)",
            "27:19: rating.plans[0].per_minute: -1 is below the minimum 0",
            "28:18: rating.plans[0].increment: expected \"minimum/step\" in whole seconds such as \"30/6\", got \"30\"",
            "29:7: rating.plans[1].prefix: required",
            "31:1: extra: unknown key (expected ami, store, admin, tenants, numbers, rating, webhooks, delivery)",
        ])
    }

    @Test("Webhook entries get the validator's messages at the position of each field")
    func brokenWebhooksReportEveryField() {
        #expect(problems("broken-webhooks.yaml") == [
            "8:10: webhooks[0].url: scheme \"ftp\" not allowed (expected http or https)",
            "9:19: webhooks[0].auth.type: unknown value \"digest\" (expected none, basic, bearer, oauth2_client_credentials, oauth2_password)",
            "10:39: webhooks[0].events[1]: unknown event \"call.event_call_exploded\" (expected call.event_call_started, "
                + "call.event_call_connected, call.event_call_updated, call.event_call_finished, call.call_rating, "
                + "call.customer_interaction, call.voicemail_received)",
            "13:18: webhooks[1].all_tenants: only webhooks of the main tenant may serve all tenants",
            "15:16: webhooks[1].headers.X Bad: not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)",
            "16:11: webhooks[1].auth.password: required for basic",
            "18:11: webhooks[2].name: already used in tenant \"main\"",
            "21:5: webhooks[3].name: required",
            "22:13: webhooks[3].events: choose at least one event or set subscribe_all",
            "23:13: webhooks[3].active: expected true or false, got the quoted string \"true\"",
            "24:15: webhooks[3].tenants[0]: unknown tenant \"nowhere\" (known: main, acme)",
        ])
    }

    @Test("A YAML syntax error names its line and column")
    func syntaxErrorHasPosition() {
        #expect(problems("broken-syntax.yaml")
                == ["4:6: : YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 3:11)"])
    }

    @Test("Alias bombs are refused instead of expanded")
    func billionLaughsRefused() {
        #expect(problems("broken-billion-laughs.yaml")
                == ["7:8: : document expands to more than 100000 nodes (aliases nested too deeply?)"])
    }

    @Test("Unset environment variables and malformed references are reported; defaults fill in")
    func environmentProblems() {
        #expect(problems("broken-environment.yaml") == [
            "3:11: ami.secret: environment variable EP_TEST_UNSET_SECRET is not set (write ${EP_TEST_UNSET_SECRET:-default} to give a default)",
            "5:10: admin.token: \"${not a name}\" is not ${NAME} or ${NAME:-default}",
        ])
        #expect(problems("broken-environment.yaml", environment: ["EP_TEST_UNSET_SECRET": "s"])
                == ["5:10: admin.token: \"${not a name}\" is not ${NAME} or ${NAME:-default}"])
    }

    @Test("A missing file is one problem naming the file")
    func missingFile() {
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration.load(path: "/nonexistent/x.yaml") }
        do {
            _ = try GatewayConfiguration.load(path: "/nonexistent/x.yaml")
        } catch {
            #expect(error.description == "/nonexistent/x.yaml: no such file")
        }
    }

    @Test("An empty file needs the ami section")
    func emptyFile() {
        do {
            _ = try GatewayConfiguration.parse("# nothing\n", file: "empty.yaml")
            Issue.record("an empty file was accepted")
        } catch {
            #expect(error.description == "empty.yaml:1:1: ami: required (at least ami.username and ami.secret)")
        }
    }

    @Test("Problems print as file:line:column: key: problem")
    func problemFormat() {
        do {
            _ = try GatewayConfiguration.parse("ami: { username: u, secret: s, port: 70000 }\n", file: "c.yaml")
        } catch {
            #expect(error.description == "c.yaml:1:38: ami.port: 70000 is out of range (1-65535)")
        }
    }
}
