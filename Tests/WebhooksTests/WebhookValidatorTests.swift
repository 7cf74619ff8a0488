import CallEvents
import Testing
import Webhooks

@Suite("Webhook validation")
struct WebhookValidatorTests {
    let validator = WebhookValidator(knownTenants: ["main", "acme", "globex"])

    func draft(_ edit: (inout WebhookDraft) -> Void = { _ in }) -> WebhookDraft {
        var draft = WebhookDraft(name: "crm", url: "https://crm.example.com/hooks", events: ["call.event_call_started"])
        edit(&draft)
        return draft
    }

    func messages(_ draft: WebhookDraft, id: Int64 = 0, validator: WebhookValidator? = nil) -> [String] {
        (validator ?? self.validator).problems(in: draft, id: id).map(\.description)
    }

    @Test("A complete webhook is accepted and defaults to inactive")
    func completeWebhookIsAccepted() throws {
        let webhook = try validator.validate(draft()).get()
        #expect(webhook.name == "crm")
        #expect(webhook.isActive == false)
        #expect(webhook.tenant == "main")
        #expect(webhook.events == [.callStarted])
        #expect(webhook.auth == .none)
    }

    @Test("Every problem is reported at once, each naming its field")
    func everyProblemIsReported() {
        let bad = draft {
            $0.name = ""
            $0.description = String(repeating: "x", count: 1204)
            $0.url = "ftp://files.example.com"
            $0.events = []
        }
        #expect(messages(bad) == [
            "name: required",
            "description: 1204 characters, at most 1000",
            "url: scheme \"ftp\" not allowed (expected http or https)",
            "events: choose at least one event or set subscribe_all",
        ])
    }

    @Test("A description of exactly 1000 characters is allowed")
    func descriptionAtLimit() {
        #expect(messages(draft { $0.description = String(repeating: "é", count: 1000) }) == [])
    }

    @Test("Names must be unique within a tenant but may repeat across tenants")
    func nameUniquePerTenant() {
        let existing = [Webhook(id: 1, name: "crm", tenant: "acme", url: "https://a.example"),
                        Webhook(id: 2, name: "erp", tenant: "main", url: "https://b.example")]
        let context = WebhookValidator(knownTenants: ["main", "acme"], existing: existing)
        #expect(messages(draft { $0.tenant = "acme" }, validator: context) == ["name: already used in tenant \"acme\""])
        #expect(messages(draft(), validator: context) == [])
        #expect(messages(draft { $0.name = "erp" }, validator: context) == ["name: already used in tenant \"main\""])
        // Editing webhook 2 keeps its own name.
        #expect(messages(draft { $0.name = "erp" }, id: 2, validator: context) == [])
    }

    @Test("Names are bounded and printable")
    func nameShape() {
        #expect(messages(draft { $0.name = String(repeating: "n", count: 101) }) == ["name: 101 characters, at most 100"])
        #expect(messages(draft { $0.name = "a\tb" }) == ["name: must not contain control characters"])
        #expect(messages(draft { $0.name = " crm" }) == ["name: must not start or end with a space"])
    }

    @Test("URLs must be absolute http or https with a host", arguments: [
        ("", "url: required"),
        ("crm.example.com/hooks", "url: must be an absolute URL such as https://host/path"),
        ("mailto:ops@example.com", "url: must be an absolute URL such as https://host/path"),
        ("ftp://example.com", "url: scheme \"ftp\" not allowed (expected http or https)"),
        ("https://", "url: host missing"),
        ("https:///path", "url: host missing"),
        ("https://example.com:0/x", "url: port \"0\" invalid (expected 1-65535)"),
        ("https://example.com:99999", "url: port \"99999\" invalid (expected 1-65535)"),
        ("https://exa mple.com", "url: must not contain spaces or control characters"),
        ("https://[::1", "url: host \"[::1\" is not a valid IPv6 literal"),
    ])
    func urlProblems(url: String, message: String) {
        #expect(messages(draft { $0.url = url }) == [message])
    }

    @Test("Well-formed URLs pass", arguments: [
        "http://127.0.0.1:8099/hooks", "HTTPS://crm.example.com", "https://user:pw@host.example/x?y=1#z",
        "https://[::1]:8443/hook", "http://localhost",
    ])
    func goodURLs(url: String) {
        #expect(messages(draft { $0.url = url }) == [])
    }

    @Test("Header names must be tokens and values free of CR/LF")
    func headers() {
        let bad = draft {
            $0.headers = [WebhookHeader(name: "X Api", value: "1"), WebhookHeader(name: "X-Ok", value: "a\r\nInjected: 1"),
                          WebhookHeader(name: "x-ok", value: "2"), WebhookHeader(name: "", value: "3")]
        }
        #expect(messages(bad) == [
            "headers.X Api: not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)",
            "headers.X-Ok: value must not contain CR or LF",
            "headers.x-ok: given twice (header names are case-insensitive)",
            "headers: empty header name",
        ])
    }

    @Test("Header and auth values refuse NUL and other control characters (tab is fine)")
    func controlCharacters() {
        let bad = draft {
            $0.headers = [WebhookHeader(name: "X-Nul", value: "a\u{0}b"), WebhookHeader(name: "X-Esc", value: "a\u{1B}b"),
                          WebhookHeader(name: "X-Del", value: "a\u{7F}"), WebhookHeader(name: "X-Tab", value: "a\tb")]
        }
        #expect(messages(bad) == [
            "headers.X-Nul: value must not contain control characters such as NUL",
            "headers.X-Esc: value must not contain control characters such as NUL",
            "headers.X-Del: value must not contain control characters such as NUL",
        ])
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "bearer", token: "abc\u{0}def") })
                == ["auth.token: must not contain control characters such as NUL"])
    }

    @Test("Each auth mode requires its own fields and rejects others")
    func authFields() {
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "basic") })
                == ["auth.username: required for basic", "auth.password: required for basic"])
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "bearer", username: "x") })
                == ["auth.token: required for bearer", "auth.username: not used by bearer"])
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "oauth2_client_credentials") }) == [
            "auth.token_url: required for oauth2_client_credentials",
            "auth.client_id: required for oauth2_client_credentials",
            "auth.client_secret: required for oauth2_client_credentials",
        ])
        #expect(messages(draft {
            $0.auth = WebhookAuthDraft(type: "oauth2_password", tokenURL: "https://idp.example/token", clientID: "c",
                                       clientSecret: "s")
        }) == ["auth.username: required for oauth2_password", "auth.password: required for oauth2_password"])
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "none", token: "t") }) == ["auth.token: not used by none"])
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "digest") }) == [
            "auth.type: unknown value \"digest\" (expected none, basic, bearer, oauth2_client_credentials, oauth2_password)",
        ])
    }

    @Test("OAuth2 token URLs and scopes are checked")
    func oauthDetails() throws {
        let bad = draft {
            $0.auth = WebhookAuthDraft(type: "oauth2_client_credentials", tokenURL: "idp/token", clientID: "c",
                                       clientSecret: "s", scopes: ["read", "write all"])
        }
        #expect(messages(bad) == [
            "auth.token_url: must be an absolute URL such as https://host/path",
            "auth.scopes[1]: must be a non-empty scope token without spaces, quotes or backslashes",
        ])
        let good = draft {
            $0.auth = WebhookAuthDraft(type: "oauth2_client_credentials", tokenURL: "https://idp/token", clientID: "c",
                                       clientSecret: "s", scopes: ["calls.read"])
        }
        #expect(try validator.validate(good).get().auth
                == .oauth2ClientCredentials(OAuth2Client(tokenURL: "https://idp/token", clientID: "c", clientSecret: "s",
                                                         scopes: ["calls.read"])))
    }

    @Test("Basic usernames cannot contain a colon")
    func basicUsernameColon() {
        #expect(messages(draft { $0.auth = WebhookAuthDraft(type: "basic", username: "a:b", password: "p") })
                == ["auth.username: must not contain \":\" (basic auth joins username:password)"])
    }

    @Test("Events must be known unless subscribe_all is set")
    func events() {
        #expect(messages(draft { $0.events = ["call.event_call_started", "call.nope"] }) == [
            "events[1]: unknown event \"call.nope\" (expected call.event_call_started, call.event_call_connected, "
                + "call.event_call_updated, call.event_call_finished, call.call_rating, call.customer_interaction, "
                + "call.voicemail_received)",
        ])
        #expect(messages(draft { $0.events = []; $0.subscribesToAllEvents = true }) == [])
        let webhook = try? validator.validate(draft { $0.events = ["call.event_call_started", "call.event_call_started"] }).get()
        #expect(webhook?.events == [.callStarted])
    }

    @Test("Only main-tenant webhooks may serve all tenants")
    func allTenantsOnlyForMain() {
        #expect(messages(draft { $0.tenant = "acme"; $0.servesAllTenants = true })
                == ["all_tenants: only webhooks of the main tenant may serve all tenants"])
        #expect(messages(draft { $0.servesAllTenants = true; $0.tenants = ["whatever"] }) == [])
    }

    @Test("Tenant origin and tenant lists name known tenants; sub-tenants serve only themselves")
    func tenantLists() {
        #expect(messages(draft { $0.tenant = "initech" }) == ["tenant: unknown tenant \"initech\" (known: main, acme, globex)"])
        #expect(messages(draft { $0.tenant = "" }) == ["tenant: required"])
        #expect(messages(draft { $0.tenants = ["acme", "acme", "initech", ""] }) == [
            "tenants[1]: \"acme\" listed twice",
            "tenants[2]: unknown tenant \"initech\" (known: main, acme, globex)",
            "tenants[3]: empty tenant name",
        ])
        #expect(messages(draft { $0.tenant = "acme"; $0.tenants = ["acme", "globex"] })
                == ["tenants[1]: a webhook of tenant \"acme\" may serve only \"acme\""])
    }

    @Test("A single-tenant system still requires unique names")
    func singleTenantUniqueness() {
        let context = WebhookValidator(knownTenants: ["main"], existing: [Webhook(id: 7, name: "crm", url: "https://x.example")])
        #expect(messages(draft(), validator: context) == ["name: already used in tenant \"main\""])
    }

    @Test("Signing secrets must be whsec_ plus base64", arguments: [
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true), ("whsec_abc", false), ("whsec_abc=", true), ("MfKQ9r8G", false),
        ("whsec_", false), ("whsec_ab!d", false), ("whsec_YWJjZA==", true),
    ])
    func signingSecrets(secret: String, valid: Bool) {
        let result = messages(draft { $0.signingSecret = secret })
        #expect(result == (valid ? [] : ["signing_secret: must be \"whsec_\" followed by a base64 key"]))
    }

    @Test("A webhook round-trips through its draft unchanged")
    func draftRoundTrip() throws {
        let webhook = Webhook(id: 9, name: "n", description: "d", isActive: true, tenant: "main", servesAllTenants: false,
                              tenants: ["acme"], url: "https://x.example", headers: [WebhookHeader(name: "X-A", value: "1")],
                              auth: .oauth2Password(OAuth2Client(tokenURL: "https://t.example", clientID: "c",
                                                                 clientSecret: "s", scopes: ["a"]),
                                                    username: "u", password: "p"),
                              signingSecret: "whsec_YWJjZA==", subscribesToAllEvents: false, events: [.callFinished],
                              origin: .yaml)
        #expect(try validator.validate(WebhookDraft(webhook), id: 9).get() == webhook)
    }
}
