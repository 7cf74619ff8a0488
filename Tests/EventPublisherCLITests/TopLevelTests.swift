import EventPublisherCLI
import Foundation
import Testing

/// The executable as a whole: version, usage, unknown commands, per-command help.
@Suite("event-publisher: top level")
struct TopLevelTests {
    @Test("--version prints one line with the version, commit, build date and platform, exit 0")
    func version() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == [BuildInfo.versionLine], "\(result)")
        #expect(result.stdout.hasPrefix("event-publisher \(BuildInfo.version) (commit "), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("an unknown command exits 64 (EX_USAGE) naming it, with the usage on stderr and nothing on stdout")
    func unknownCommand() throws {
        let result = try CLI.run(["frobnicate", "--now"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("unknown command frobnicate"), "\(result)")
        #expect(result.stderr.contains("usage: event-publisher <command>"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("no command at all exits 64 with the usage on stderr")
    func noCommand() throws {
        let result = try CLI.run([])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("usage: event-publisher <command>"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("--help exits 0 and lists every command on stdout")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0, "\(result)")
        for command in ["run", "replay", "events", "check-config", "webhooks", "deliveries", "--version"] {
            #expect(result.stdout.contains("\n  \(command) "), "usage lacks \(command):\n\(result)")
        }
    }

    @Test("every command's --help exits 0 with its own usage on stdout and nothing on stderr",
          arguments: [["run"], ["replay"], ["events"], ["check-config"], ["webhooks"], ["deliveries"],
                      ["webhooks", "list"], ["webhooks", "add"], ["webhooks", "test"], ["deliveries", "list"]])
    func commandHelp(command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("usage: event-publisher \(command[0])"), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("a command given without its subcommand exits 64 with its usage on stderr",
          arguments: ["webhooks", "deliveries"])
    func missingSubcommand(command: String) throws {
        let result = try CLI.run([command])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("usage: event-publisher \(command) <subcommand>"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }
}
