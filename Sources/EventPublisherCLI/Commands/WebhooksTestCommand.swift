import CallEvents
import Configuration
import Delivery
import Foundation
import Webhooks

/// `event-publisher webhooks test NAME [--tenant T] [--event TYPE] [--body FILE]`: sends one request
/// with the webhook's real URL, headers, signature and auth (the same `TestSender` as the admin
/// API's `POST /api/webhooks/test`) and says whether the endpoint was reachable, the status, the
/// response body and the time. The body is the event's catalogue sample (`--event`, default the
/// webhook's first subscribed event) or the file given with `--body`. No retries; nothing is stored.
///
/// Exit status: 0 the endpoint answered 2xx, 1 it answered something else or was unreachable,
/// 64 bad usage, 66 the body file cannot be read, 74 the store cannot be opened.
enum WebhooksTestCommand {
    static let usage = """
        usage: event-publisher webhooks test NAME [--tenant T] [--event TYPE] [--body FILE] [--json]
                                             [--config PATH] [--store PATH]
          --event TYPE   send the catalogue sample of this event (default: the webhook's first event)
          --body FILE    send this file as the body instead (e.g. an edited sample)
        """

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("-h") || arguments.contains("--help") {
            Output.out(usage + "\n")
            return 0
        }
        // `--body` and `--json` are this command's own; the rest goes through the shared parser.
        var rest: [String] = []
        var bodyPath: String?
        var json = false
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--body" {
                guard let value = remaining.popFirst() else {
                    Output.err("event-publisher webhooks test: --body needs a value\n\(usage)\n")
                    return 64
                }
                bodyPath = value
            } else if argument.hasPrefix("--body=") {
                bodyPath = String(argument.dropFirst("--body=".count))
            } else if argument == "--json" {
                json = true
            } else {
                rest.append(argument)
            }
        }
        let allowed = WebhooksCommand.commonFlags.union(["--tenant", "--event"])
        return WebhooksCommand.command("test", rest, allowed: allowed, positionals: 1...1) { args, store in
            guard let webhook = try WebhooksCommand.find(args, store) else { return 1 }
            let body: [UInt8]
            if let bodyPath {
                guard let data = FileManager.default.contents(atPath: bodyPath) else {
                    Output.err("event-publisher webhooks test: cannot read --body \(bodyPath)\n")
                    return 66
                }
                body = Array(data)
            } else {
                let eventName: EventName
                if let text = args.value("--event") {
                    guard let name = EventName(rawValue: text) else {
                        let known = EventName.allCases.map(\.rawValue).joined(separator: ", ")
                        Output.err("event-publisher webhooks test: unknown --event \(text) (one of \(known))\n")
                        return 64
                    }
                    eventName = name
                } else {
                    eventName = webhook.subscribesToAllEvents ? .callStarted : (webhook.events.first ?? .callStarted)
                }
                body = EventCatalog.description(of: eventName).sample.encoded()
            }
            // `delivery.refuse_private_destinations` from the configuration (off when it cannot be read).
            let configPath = args.value("--config") ?? CheckConfigCommand.defaultConfigPath
            let refuses = (try? GatewayConfiguration.load(path: configPath))?.delivery.refusePrivateDestinations ?? false
            let result = TestSender.send(webhook: webhook, body: body, userAgent: BuildInfo.userAgent,
                                         destinationPolicy: DestinationPolicy(refusesNonPublicAddresses: refuses))
            Output.out(json ? render(json: result, webhook: webhook) : render(text: result, webhook: webhook))
            return result.succeeded ? 0 : 1
        }
    }

    static func render(text result: TestSendResult, webhook: Webhook) -> String {
        var lines = ["POST \(Webhook.redactedURL(webhook.url))  (webhook \(webhook.name), tenant \(webhook.tenant))",
                     "webhook-id: \(result.messageID)"]
        if result.reachable {
            lines.append("reachable: yes")
            lines.append("status: \(result.status.map(String.init) ?? "-")\(result.succeeded ? " (success)" : " (failure)")")
        } else {
            lines.append("reachable: no")
        }
        if let error = result.error { lines.append("error: \(error)") }
        lines.append(String(format: "time: %.1f ms", result.elapsedMilliseconds))
        if result.reachable {
            lines.append(result.responseBody.isEmpty ? "response: (empty)" : "response:\n\(result.responseBody)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func render(json result: TestSendResult, webhook: Webhook) -> String {
        let object: JSONValue = [
            "webhook": .string(webhook.name), "url": .string(Webhook.redactedURL(webhook.url)),
            "webhook_id": .string(result.messageID), "reachable": .bool(result.reachable),
            "status": result.status.map { .int(Int64($0)) } ?? .null, "succeeded": .bool(result.succeeded),
            "response_body": .string(result.responseBody), "elapsed_ms": .double(result.elapsedMilliseconds),
            "error": .optional(result.error),
        ]
        return object.jsonString + "\n"
    }
}
