import AdminAPI
import Testing

@Suite("The embedded Webhooks page")
struct AdminPageTests {
    let harness = AdminHarness()

    @Test("The page has the list, the four form sections, the test, event and delivery panels")
    func pageHasEverySection() {
        let html = harness.call("GET", "/", token: nil).text
        for marker in ["id=\"add-webhook\"", "id=\"search\"", ">Name<", ">Description<", ">Tenant Origin<", ">URL<",
                       ">Enabled<", "<legend>General</legend>", "<legend>Request</legend>", "<legend>Auth</legend>",
                       "<legend>Events</legend>", "id=\"f-active\"", "id=\"f-all-tenants\"",
                       "id=\"f-tenants\" multiple",
                       "maxlength=\"1000\"", "id=\"add-header\"", "id=\"open-test\"", "id=\"send-test\"",
                       ">No Auth<", ">Basic Auth<", ">Bearer Token<", ">OAuth Client Credentials<",
                       ">OAuth Resource Owner Password Credentials<", "trusted or legacy environments",
                       "id=\"f-subscribe-all\"", "id=\"event-dialog\"", "id=\"delivery-dialog\"",
                       "id=\"confirm-dialog\"",
                       ">Save<", ">Cancel<"] {
            #expect(html.contains(marker), "missing \(marker)")
        }
    }

    @Test("The page loads nothing from elsewhere and its script never writes HTML from data")
    func pageIsSelfContained() {
        let html = harness.call("GET", "/", token: nil).text
        let script = harness.call("GET", "/assets/app.js", token: nil).text
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(!script.contains("innerHTML"))
        #expect(script.contains("sessionStorage"))
        #expect(script.contains("#|&)token="))
    }
}
