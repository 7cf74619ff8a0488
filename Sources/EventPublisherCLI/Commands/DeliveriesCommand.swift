import CallEvents
import Foundation
import Storage
import Webhooks

/// `event-publisher deliveries list|show|redeliver`: the delivery log in the store.
///
/// `redeliver` marks the delivery for one manual attempt; a running daemon picks it up within a
/// couple of seconds (its worker re-reads rows changed by other processes).
///
/// Exit status: 0 done, 1 not found, 64 bad usage, 74 the store cannot be opened.
enum DeliveriesCommand {
    static let usage = """
        usage: event-publisher deliveries <subcommand> [options]
          list [--webhook NAME] [--failed | --pending | --delivered] [--limit N] [--before ID] [--json]
                                               newest first (default 50)
          show ID [--json]                     one delivery with every attempt
          redeliver ID                         send it again once (failed or delivered deliveries too)
        common:   --config PATH (default config/event-publisher.yaml)   --store PATH (SQLite file override)
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let subcommand = arguments.first else {
            Output.err(usage + "\n")  // bad usage: the usage goes to stderr, as for every other command
            return 64
        }
        if ["-h", "--help", "help"].contains(subcommand) {
            Output.out(usage + "\n")
            return 0
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "list": return list(rest)
        case "show": return show(rest)
        case "redeliver": return redeliver(rest)
        default:
            Output.err("event-publisher deliveries: unknown subcommand \(subcommand)\n\(usage)\n")
            return 64
        }
    }

    // MARK: Subcommands

    static func list(_ arguments: [String]) -> Int32 {
        let valued: Set<String> = ["--webhook", "--limit", "--before"]
        let switches: Set<String> = ["--failed", "--pending", "--delivered", "--json"]
        return command("list", arguments, valued: valued, switches: switches, positionals: 0) { args, store, outbox in
            var query = DeliveryQuery(limit: 50)
            if let limit = args.values["--limit"] {
                guard let value = Int(limit), value > 0 else { throw Problem("--limit must be a positive number") }
                query.limit = value
            }
            if let before = args.values["--before"] {
                guard let value = Int64(before) else { throw Problem("--before must be a delivery id") }
                query.beforeID = value
            }
            let choices: [(DeliveryState, String)] = [(.failed, "--failed"), (.pending, "--pending"),
                                                       (.delivered, "--delivered")]
            let states = choices.filter { args.switches.contains($0.1) }.map(\.0)
            guard states.count <= 1 else { throw Problem("give at most one of --failed, --pending, --delivered") }
            query.state = states.first
            if let name = args.values["--webhook"] {
                let matches = try store.webhooks(named: name)
                if matches.count == 1 {
                    query.webhookID = matches[0].id
                } else {
                    query.webhookName = name  // several tenants, or deleted since: match the recorded name
                }
            }
            let records = try outbox.deliveries(query)
            if args.switches.contains("--json") {
                Output.out(JSONValue.array(records.map(json)).jsonString + "\n")
            } else {
                Output.out(table(records))
            }
            return 0
        }
    }

    static func show(_ arguments: [String]) -> Int32 {
        command("show", arguments, valued: [], switches: ["--json"], positionals: 1) { args, _, outbox in
            guard let id = Int64(args.positionals[0]) else { throw Problem("ID must be a delivery id (a number)") }
            guard let record = try outbox.delivery(id: id) else {
                Output.err("no delivery with id \(id) (see `event-publisher deliveries list`)\n")
                return 1
            }
            let attempts = try outbox.attempts(deliveryID: id)
            if args.switches.contains("--json") {
                var object = json(record)
                if case .object(var fields) = object {
                    fields["attempts_log"] = .array(attempts.map(json))
                    object = .object(fields)
                }
                Output.out(object.jsonString + "\n")
            } else {
                Output.out(details(record, attempts))
            }
            return 0
        }
    }

    static func redeliver(_ arguments: [String]) -> Int32 {
        command("redeliver", arguments, valued: [], switches: [], positionals: 1) { args, _, outbox in
            guard let id = Int64(args.positionals[0]) else { throw Problem("ID must be a delivery id (a number)") }
            let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            guard let delivery = try outbox.redeliver(deliveryID: id, nowMilliseconds: now) else {
                Output.err("no delivery with id \(id) (see `event-publisher deliveries list`)\n")
                return 1
            }
            Output.out("delivery \(id) (\(delivery.eventType) \(delivery.eventID)) queued for redelivery; "
                       + "a running daemon sends it within a few seconds\n")
            return 0
        }
    }

    // MARK: Output

    static func table(_ records: [DeliveryRecord]) -> String {
        guard !records.isEmpty else { return "no deliveries\n" }
        let header = ["ID", "STATE", "TRIES", "WEBHOOK", "EVENT", "EVENT ID", "LAST", "UPDATED / NEXT"]
        let rows = records.map { record -> [String] in
            let last = record.lastStatus.map { "HTTP \($0)" } ?? (record.lastError.map { preview($0, 40) } ?? "-")
            let when = record.state == .pending && record.attempts > 0
                ? "next " + time(record.nextAttemptAt) : time(record.updatedAt)
            return [String(record.id), record.state.rawValue, String(record.attempts), record.webhookName,
                    record.eventType, record.eventID, last, when]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func details(_ record: DeliveryRecord, _ attempts: [DeliveryAttemptRecord]) -> String {
        var lines = [
            "delivery \(record.id): \(record.state.rawValue) after \(record.attempts) attempt(s)",
            "webhook:  \(record.webhookName) (id \(record.webhookID))",
            "event:    \(record.eventType) \(record.eventID) (tenant \(record.tenant), call \(record.callID), "
                + "sequence \(record.sequence))",
            "created:  \(time(record.createdAt))",
        ]
        if record.state == .pending { lines.append("next:     \(time(record.nextAttemptAt))") }
        for attempt in attempts {
            var line = "  #\(attempt.attempt) \(time(attempt.startedAt)) \(attempt.result.rawValue)"
            line += attempt.statusCode.map { " HTTP \($0)" } ?? ""
            line += " \(attempt.latencyMilliseconds) ms"
            if let error = attempt.error { line += " — \(error)" }
            lines.append(line)
            if let body = attempt.responseBody, !body.isEmpty { lines.append("     response: \(preview(body, 200))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ record: DeliveryRecord) -> JSONValue {
        [
            "id": .int(record.id), "state": .string(record.state.rawValue), "attempts": .int(Int64(record.attempts)),
            "webhook_id": .int(record.webhookID), "webhook_name": .string(record.webhookName),
            "event_id": .string(record.eventID), "event_type": .string(record.eventType),
            "tenant": .string(record.tenant), "call_id": .string(record.callID),
            "sequence": .int(Int64(record.sequence)), "manual": .bool(record.isManual),
            "created_at": .string(time(record.createdAt)), "updated_at": .string(time(record.updatedAt)),
            "next_attempt_at": record.state == .pending ? .string(time(record.nextAttemptAt)) : .null,
            "last_status": record.lastStatus.map { .int(Int64($0)) } ?? .null, "last_error": .optional(record.lastError),
        ]
    }

    static func json(_ attempt: DeliveryAttemptRecord) -> JSONValue {
        [
            "attempt": .int(Int64(attempt.attempt)), "started_at": .string(time(attempt.startedAt)),
            "result": .string(attempt.result.rawValue), "status": attempt.statusCode.map { .int(Int64($0)) } ?? .null,
            "latency_ms": .int(Int64(attempt.latencyMilliseconds)), "error": .optional(attempt.error),
            "response_body": .optional(attempt.responseBody),
            "next_attempt_at": attempt.nextAttemptAt.map { .string(time($0)) } ?? .null,
        ]
    }

    static func time(_ milliseconds: Int64) -> String { EventInstant(microseconds: milliseconds * 1000).iso8601 }

    static func preview(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }

    // MARK: Plumbing

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    struct Arguments {
        var positionals: [String] = []
        var values: [String: String] = [:]
        var switches: Set<String> = []
    }

    /// Parses (`--flag value`, `--flag=value`, switches), opens the store and its outbox, runs `body`.
    static func command(_ name: String, _ arguments: [String], valued: Set<String>, switches: Set<String>,
                        positionals: Int, _ body: (Arguments, WebhookStore, Outbox) throws -> Int32) -> Int32 {
        let prefix = "event-publisher deliveries \(name)"
        if arguments.contains("-h") || arguments.contains("--help") {
            Output.out(usage + "\n")
            return 0
        }
        var args = Arguments()
        var common: [String] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else {
                args.positionals.append(argument)
                continue
            }
            var flag = argument, inline: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if valued.contains(flag) || WebhooksCommand.commonFlags.contains(flag) {
                guard let value = inline ?? rest.popFirst() else {
                    Output.err("\(prefix): \(flag) needs a value\n\(usage)\n")
                    return 64
                }
                if WebhooksCommand.commonFlags.contains(flag) { common += [flag, value] } else { args.values[flag] = value }
            } else if switches.contains(flag), inline == nil {
                args.switches.insert(flag)
            } else {
                Output.err("\(prefix): unknown option \(argument)\n\(usage)\n")
                return 64
            }
        }
        guard args.positionals.count == positionals else {
            Output.err("\(prefix): expected \(positionals == 0 ? "no argument" : "one ID argument"), "
                       + "got \(args.positionals.count)\n\(usage)\n")
            return 64
        }
        guard let storeArguments = try? WebhooksArguments(common, allowed: WebhooksCommand.commonFlags),
              let store = WebhooksCommand.openStore(storeArguments, prefix: prefix)
        else { return 74 }
        do {
            let outbox = try Outbox(database: store.database)
            return try body(args, store, outbox)
        } catch let problem as Problem {
            Output.err("\(prefix): \(problem.message)\n")
            return 64
        } catch {
            Output.err("\(prefix): \(error)\n")
            return 74
        }
    }
}
