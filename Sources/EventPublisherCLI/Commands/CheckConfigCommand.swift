import Configuration

/// `event-publisher check-config [--config PATH]`: validates the configuration file.
///
/// Exit 0 and one summary line on stdout when valid; otherwise exit 65 (EX_DATAERR) with every
/// problem, and nothing else, on stderr as `file:line:column: key: problem`, in file order, so an
/// editor or a script can take each line as it is.
enum CheckConfigCommand {
    static let defaultConfigPath = "config/event-publisher.yaml"

    static let usage = """
        usage: event-publisher check-config [--config PATH]
          Validates the configuration (default \(defaultConfigPath)) and prints every problem as
          file:line:column: key: problem. Exit status 0 when valid, 65 when not, 64 on bad usage.
        """

    static func run(_ arguments: [String]) -> Int32 {
        var path = defaultConfigPath
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--config":
                guard let value = rest.popFirst() else {
                    Output.err("event-publisher check-config: --config needs a path\n\(usage)\n")
                    return 64
                }
                path = value
            case "-h", "--help":
                Output.out(usage + "\n")
                return 0
            default:
                Output.err("event-publisher check-config: unexpected argument \(argument)\n\(usage)\n")
                return 64
            }
        }
        do {
            let configuration = try GatewayConfiguration.load(path: path)
            Output.out("\(path): valid (\(configuration.tenantNames.count) tenants, "
                       + "\(configuration.webhooks.count) webhooks)\n")
            return 0
        } catch {
            Output.err(error.description + "\n")  // only problem lines, so tools can parse every line
            return 65
        }
    }
}
