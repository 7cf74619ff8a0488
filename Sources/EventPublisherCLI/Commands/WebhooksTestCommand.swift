/// `event-publisher webhooks test …` — HOOK FOR THE DELIVERY ENGINEER, who owns this file from now on.
///
/// `WebhooksCommand` dispatches `webhooks test <args>` here. Replace the body with the real test
/// send (same flags as `webhooks add` for url/headers/auth are parsed by `WebhooksArguments` and
/// `WebhooksDraftEditor` if useful); keep the signature.
enum WebhooksTestCommand {
    static func run(_ arguments: [String]) -> Int32 {
        Output.err("event-publisher webhooks test: not available in this build yet\n")
        return 69  // EX_UNAVAILABLE
    }
}
