import Foundation
import Testing

/// `event-publisher deliveries list|show|redeliver` on a fresh store.
@Suite("event-publisher deliveries")
struct DeliveriesTests {
    @Test("deliveries list on an empty store says so, and --json prints an empty array; exit 0")
    func emptyStore() throws {
        try WebhookSandbox.with { sandbox in
            let text = try sandbox.run(["deliveries", "list"])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout == "no deliveries\n", "\(text)")

            let json = try sandbox.run(["deliveries", "list", "--json", "--failed"])
            #expect(json.status == 0, "\(json)")
            let array = try #require(try CLI.json(json.stdout) as? [Any], "\(json)")
            #expect(array.isEmpty)
            #expect(FileManager.default.fileExists(atPath: sandbox.storePath), "store not created at store.path")
        }
    }

    @Test("deliveries show and redeliver of an unknown id exit 1 and say so", arguments: ["show", "redeliver"])
    func unknownDelivery(subcommand: String) throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["deliveries", subcommand, "42"])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("no delivery with id 42"), "\(result)")
        }
    }

    @Test("deliveries list refuses bad options with exit 64",
          arguments: [["--limit", "0"], ["--failed", "--pending"], ["--frobnicate"]])
    func badOptions(options: [String]) throws {
        try WebhookSandbox.with { sandbox in
            let result = try sandbox.run(["deliveries", "list"] + options)
            #expect(result.status == 64, "\(result)")
        }
    }
}
