import Testing
import Webhooks

@Suite("Masking secrets for output")
struct WebhookRedactionTests {
    @Test("Passwords, tokens, client secrets and signing secrets are masked; names and URLs stay")
    func secretsMasked() {
        let webhook = Webhook(name: "crm", url: "https://crm.example.com/h",
                              headers: [WebhookHeader(name: "X-Api-Key", value: "k123"),
                                        WebhookHeader(name: "X-Demo", value: "visible")],
                              auth: .oauth2Password(OAuth2Client(tokenURL: "https://idp/t", clientID: "cid",
                                                                 clientSecret: "cs"), username: "u", password: "pw"),
                              signingSecret: "whsec_YWJjZA==")
        let redacted = webhook.redacted()
        #expect(redacted.auth == .oauth2Password(OAuth2Client(tokenURL: "https://idp/t", clientID: "cid",
                                                              clientSecret: "********"), username: "u", password: "********"))
        #expect(redacted.signingSecret == "********")
        #expect(redacted.headers == [WebhookHeader(name: "X-Api-Key", value: "********"),
                                     WebhookHeader(name: "X-Demo", value: "visible")])
        #expect(!"\(redacted)".contains("k123") && !"\(redacted)".contains("pw\"") && !"\(redacted)".contains("cs\""))
        #expect(Webhook(name: "b", url: "x", auth: .bearer(token: "tok")).redacted().auth == .bearer(token: "********"))
        #expect(Webhook(name: "b", url: "x", auth: .basic(username: "u", password: "")).redacted().auth
                == .basic(username: "u", password: ""))
    }

    @Test("Credentials inside URLs are masked", arguments: [
        ("https://user:secret@host.example/x", "https://user:********@host.example/x"),
        ("https://host.example/x?token=abc&page=2", "https://host.example/x?token=********&page=2"),
        ("https://host.example/x?api_key=abc#frag", "https://host.example/x?api_key=********#frag"),
        ("https://host.example/plain", "https://host.example/plain"),
    ])
    func urlCredentials(url: String, expected: String) {
        #expect(Webhook.redactedURL(url) == expected)
    }
}
