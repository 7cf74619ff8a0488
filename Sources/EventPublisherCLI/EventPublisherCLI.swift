import Foundation

/// Entry point of the `event-publisher` executable: dispatches on the first argument.
///
/// Kept deliberately small: each command lives in `Commands/` and returns its exit status.
public enum EventPublisherCLI {
    static let usage = """
        usage: event-publisher <command> [options]
          run [--config PATH] [--demo]                 the daemon: AMI → events → webhooks, admin HTTP
          replay CAPTURE.ami [--config PATH] [--raw]   replay a captured AMI stream, print JSON Lines
          record --out FILE.ami [--config PATH] [--duration 10m] [--events N]   record a PBX's AMI stream
          events [--json | --markdown]                 the event catalogue
          check-config [--config PATH]                 validate the configuration, list every problem
          webhooks list|show|add|edit|delete|enable|disable|test   manage the webhooks in the store
          deliveries list [--webhook NAME] [--failed] | show ID | redeliver ID   the delivery log
          --version                                    version and build info
        Each command takes --help.
        """

    public static func main(arguments: [String]) -> Never {
        guard let command = arguments.first else {
            Output.err(usage + "\n")
            exit(64)
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "run": exit(RunCommand.run(rest))
        case "replay": exit(ReplayCommand.run(rest))
        case "record": exit(RecordCommand.run(rest))
        case "events": exit(EventsCommand.run(rest))
        case "check-config": exit(CheckConfigCommand.run(rest))
        case "webhooks": exit(WebhooksCommand.run(rest))
        case "deliveries": exit(DeliveriesCommand.run(rest))
        case "--version", "version":
            Output.out(BuildInfo.versionLine + "\n")
            exit(0)
        case "-h", "--help", "help":
            Output.out(usage + "\n")
            exit(0)
        default:
            Output.err("event-publisher: unknown command \(command)\n\(usage)\n")
            exit(64)
        }
    }
}
