import Foundation

/// A temporary directory holding a configuration whose `store.path` points at a SQLite file inside
/// it, so `webhooks` and `deliveries` commands never touch the repository's store.
struct WebhookSandbox {
    let directory: TemporaryDirectory

    var configPath: String { directory.path("event-publisher.yaml") }
    var storePath: String { directory.path("data/store.sqlite") }

    /// The configuration: tenant `acme` and one YAML-owned webhook, `from-yaml`.
    static func configuration(storePath: String) -> String {
        """
        ami: { username: gateway, secret: secret }
        store: { path: "\(storePath)" }
        tenants:
          - name: acme
            match: { accountcode: acme }
        webhooks:
          - name: from-yaml
            url: "https://yaml.example.com/hooks"
            subscribe_all: true
        """
    }

    /// Runs `body` with a fresh sandbox and removes it afterwards.
    static func with<T>(_ body: (WebhookSandbox) throws -> T) throws -> T {
        try withTemporaryDirectory { directory in
            let sandbox = WebhookSandbox(directory: directory)
            try directory.write("event-publisher.yaml", configuration(storePath: sandbox.storePath))
            return try body(sandbox)
        }
    }

    /// `event-publisher ARGS --config <sandbox config>`, run inside the sandbox.
    func run(_ arguments: [String], environment: [String: String?] = [:]) throws -> CLIResult {
        try CLI.run(arguments + ["--config", configPath], in: directory.url, environment: environment)
    }
}
