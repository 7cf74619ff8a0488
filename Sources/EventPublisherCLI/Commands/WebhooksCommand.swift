import Configuration
import EventPublisher
import Foundation
import Storage
import Webhooks

/// `event-publisher webhooks list|show|add|edit|delete|enable|disable|test`: manage the webhooks
/// in the store with the same validation as the YAML loader and the admin API.
///
/// Every subcommand first brings the store in line with the YAML file, as the daemon does at
/// start, so YAML webhooks and tenants are listed and names clash as they will in the daemon.
/// YAML-owned webhooks are read-only here (edit the file). Secrets are always masked in output.
///
/// Exit status: 0 done, 1 not found or refused, 64 bad usage, 65 invalid webhook or
/// configuration, 74 the store cannot be opened.
enum WebhooksCommand {
    static let usage = """
        usage: event-publisher webhooks <subcommand> [options]
          list [--search TEXT] [--json]        name, description, tenant, URL, enabled (✓/✗), source
          show NAME [--tenant T] [--json]      one webhook, secrets masked
          add --name NAME --url URL [fields]   create (inactive unless --active)
          edit NAME [--tenant T] [fields]      change the given fields, keep the rest
          delete NAME [--tenant T]
          enable NAME [--tenant T]             disable NAME [--tenant T]
          test ...                             send a test request (see `webhooks test --help`)
        common:   --config PATH (default config/event-publisher.yaml)   --store PATH (SQLite file override)
        fields:   --name NAME  --description TEXT  --tenant T (add: the tenant origin, default main)
                  --active | --inactive  --all-tenants | --no-all-tenants  --tenants a,b
                  --url URL  --header NAME=VALUE (repeatable)  --remove-header NAME  --clear-headers
                  --auth-type none|basic|bearer|oauth2_client_credentials|oauth2_password
                  --username U  --password P  --token T  --token-url URL  --client-id ID
                  --client-secret S  --scope S (repeatable) | --scopes a,b
                  --signing-secret whsec_…  --no-signing-secret
                  --subscribe-all | --no-subscribe-all  --event NAME (repeatable) | --events a,b
        Secret values may be written '${ENV_NAME}' (quoted) to read them from the environment.
        """

    static let commonFlags: Set<String> = ["--config", "--store"]
    static let fieldFlags: Set<String> = [
        "--name", "--description", "--tenant", "--active", "--inactive", "--all-tenants", "--no-all-tenants",
        "--tenants", "--url", "--header", "--remove-header", "--clear-headers", "--auth-type", "--username",
        "--password", "--token", "--token-url", "--client-id", "--client-secret", "--scope", "--scopes",
        "--signing-secret", "--no-signing-secret", "--subscribe-all", "--no-subscribe-all", "--event", "--events",
    ]

    static func run(_ arguments: [String]) -> Int32 {
        guard let subcommand = arguments.first else {
            Output.err(usage + "\n")
            return 64
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "list": return list(rest)
        case "show": return show(rest)
        case "add": return add(rest)
        case "edit": return edit(rest)
        case "delete": return delete(rest)
        case "enable": return setActive(rest, true)
        case "disable": return setActive(rest, false)
        // Hook for the delivery engineer: `webhooks test` lives in WebhooksTestCommand.swift.
        case "test": return WebhooksTestCommand.run(rest)
        case "-h", "--help", "help":
            Output.out(usage + "\n")
            return 0
        default:
            Output.err("event-publisher webhooks: unknown subcommand \(subcommand)\n\(usage)\n")
            return 64
        }
    }

    // MARK: Subcommands

    static func list(_ arguments: [String]) -> Int32 {
        let allowed = commonFlags.union(["--search", "--json"])
        return command("list", arguments, allowed: allowed, positionals: 0...0) { args, store in
            let webhooks = try store.webhooks(matching: args.value("--search"))
            Output.out(args.has("--json") ? WebhooksOutput.json(webhooks) + "\n" : WebhooksOutput.table(webhooks))
            return 0
        }
    }

    static func show(_ arguments: [String]) -> Int32 {
        let allowed = commonFlags.union(["--tenant", "--json"])
        return command("show", arguments, allowed: allowed, positionals: 1...1) { args, store in
            guard let webhook = try find(args, store) else { return 1 }
            Output.out(args.has("--json") ? WebhooksOutput.json(webhook) + "\n" : WebhooksOutput.details(webhook))
            return 0
        }
    }

    static func add(_ arguments: [String]) -> Int32 {
        command("add", arguments, allowed: commonFlags.union(fieldFlags), positionals: 0...0) { args, store in
            var draft = WebhookDraft(origin: .api)
            if let tenant = args.value("--tenant") { draft.tenant = tenant }
            try WebhooksDraftEditor.apply(args, to: &draft)
            let webhook = try store.insert(validated(draft, id: 0, store))
            Output.out("added webhook \(webhook.name) (id \(webhook.id), tenant \(webhook.tenant))\n")
            Output.out(WebhooksOutput.details(webhook))
            return 0
        }
    }

    static func edit(_ arguments: [String]) -> Int32 {
        command("edit", arguments, allowed: commonFlags.union(fieldFlags), positionals: 1...1) { args, store in
            guard let current = try find(args, store) else { return 1 }
            guard current.origin == .api else {
                throw WebhookStoreError.managedByConfiguration(tenant: current.tenant, name: current.name)
            }
            var draft = WebhookDraft(current)
            try WebhooksDraftEditor.apply(args, to: &draft)
            let webhook = try store.update(validated(draft, id: current.id, store))
            Output.out("updated webhook \(webhook.name) (id \(webhook.id), tenant \(webhook.tenant))\n")
            Output.out(WebhooksOutput.details(webhook))
            return 0
        }
    }

    static func delete(_ arguments: [String]) -> Int32 {
        command("delete", arguments, allowed: commonFlags.union(["--tenant"]), positionals: 1...1) { args, store in
            guard let webhook = try find(args, store) else { return 1 }
            _ = try store.deleteWebhook(id: webhook.id)
            Output.out("deleted webhook \(webhook.name) (id \(webhook.id), tenant \(webhook.tenant))\n")
            return 0
        }
    }

    static func setActive(_ arguments: [String], _ isActive: Bool) -> Int32 {
        let name = isActive ? "enable" : "disable"
        return command(name, arguments, allowed: commonFlags.union(["--tenant"]), positionals: 1...1) { args, store in
            guard let webhook = try find(args, store) else { return 1 }
            let stored = try store.setActive(id: webhook.id, isActive)
            let verb = isActive ? "enabled" : "disabled"
            Output.out("\(verb) webhook \(stored.name) (id \(stored.id), tenant \(stored.tenant))\n")
            return 0
        }
    }

    // MARK: Plumbing

    /// Parses, opens the store, runs `body`, and turns every error into a message and an exit status.
    static func command(_ name: String, _ arguments: [String], allowed: Set<String>, positionals: ClosedRange<Int>,
                        _ body: (WebhooksArguments, WebhookStore) throws -> Int32) -> Int32 {
        let prefix = "event-publisher webhooks \(name)"
        if arguments == ["-h"] || arguments == ["--help"] {
            Output.out(usage + "\n")
            return 0
        }
        let args: WebhooksArguments
        do {
            args = try WebhooksArguments(arguments, allowed: allowed)
        } catch {
            Output.err("\(prefix): \(error.message)\n\(usage)\n")
            return 64
        }
        guard positionals.contains(args.positionals.count) else {
            let expected = positionals.upperBound == 0 ? "no NAME argument" : "one NAME argument"
            Output.err("\(prefix): expected \(expected), got \(args.positionals.count)\n\(usage)\n")
            return 64
        }
        guard let store = openStore(args, prefix: prefix) else { return 74 }
        do {
            return try body(args, store)
        } catch let error as WebhookValidationError {
            for problem in error.problems {
                let flag = WebhooksDraftEditor.flag(for: problem.field).map { " (\($0))" } ?? ""
                Output.err("\(problem.field): \(problem.message)\(flag)\n")
            }
            let count = error.problems.count
            Output.err("\(prefix): webhook not saved, \(count) problem\(count == 1 ? "" : "s")\n")
            return 65
        } catch let error as WebhooksDraftEditor.Problem {
            Output.err("\(prefix): \(error.message)\n")
            return 64
        } catch let error as WebhookStoreError {
            Output.err("\(prefix): \(error)\n")
            return 1
        } catch {
            Output.err("\(prefix): \(error)\n")
            return 74
        }
    }

    /// The store named by `--store`, else by the configuration; seeded from the YAML when it is valid.
    static func openStore(_ args: WebhooksArguments, prefix: String) -> WebhookStore? {
        let configPath = args.value("--config") ?? CheckConfigCommand.defaultConfigPath
        var configuration: GatewayConfiguration?
        do {
            configuration = try GatewayConfiguration.load(path: configPath)
        } catch {
            guard args.value("--store") != nil else {
                Output.err(error.description + "\n\(prefix): the configuration is invalid (see check-config); "
                           + "give --store PATH to use the store anyway\n")
                return nil
            }
            Output.err("\(prefix): warning: \(configPath) is invalid; YAML webhooks were not refreshed\n")
        }
        let path = args.value("--store") ?? configuration?.store.path ?? StoreSettings().path
        do {
            try StoreDirectory.createParent(ofStorePath: path)
            let store = try WebhookStore(path: path)
            if let configuration {
                let changes = try store.applyConfiguration(webhooks: configuration.webhooks,
                                                           tenants: configuration.tenants.map(TenantRecord.init))
                for conflict in changes.conflicts {
                    Output.err("\(prefix): warning: YAML webhook \(conflict) ignored: "
                               + "a CLI/API webhook has that name\n")
                }
            }
            return store
        } catch {
            Output.err("\(prefix): cannot open the store \(path): \(error)\n")
            return nil
        }
    }

    /// The draft checked against the stored webhooks and tenants, reporting every problem (the store
    /// checks again inside its write transaction).
    static func validated(_ draft: WebhookDraft, id: Int64, _ store: WebhookStore) throws -> Webhook {
        let validator = WebhookValidator(knownTenants: try store.tenantNames(), existing: try store.webhooks())
        return try validator.validate(draft, id: id).get()
    }

    /// The webhook named by the positional argument (and `--tenant`), or nil after saying why.
    static func find(_ args: WebhooksArguments, _ store: WebhookStore) throws -> Webhook? {
        let name = args.positionals[0]
        if let tenant = args.value("--tenant") {
            if let webhook = try store.webhook(named: name, tenant: tenant) { return webhook }
            Output.err("no webhook named \"\(name)\" in tenant \"\(tenant)\"\n")
            return nil
        }
        let matches = try store.webhooks(named: name)
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            Output.err("no webhook named \"\(name)\" (see `event-publisher webhooks list`)\n")
            return nil
        default:
            let tenants = matches.map(\.tenant).joined(separator: ", ")
            Output.err("webhook name \"\(name)\" exists in tenants \(tenants); add --tenant\n")
            return nil
        }
    }
}
