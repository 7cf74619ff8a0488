import CallEvents

/// `event-publisher events [--json] [--markdown]`: the event catalogue (names, descriptions,
/// JSON Schemas, samples) from ``EventCatalog`` — the same data as `GET /api/events` and
/// `docs/EVENTS.md` (which is exactly the `--markdown` output).
enum EventsCommand {
    static let usage = """
        usage: event-publisher events [--json | --markdown]
          Lists the call events. --json: names, descriptions, JSON Schemas and samples as JSON;
          --markdown: the catalogue as Markdown (docs/EVENTS.md).
        """

    static func run(_ arguments: [String]) -> Int32 {
        switch arguments {
        case []:
            var text = ""
            let width = EventCatalog.all.map(\.name.rawValue.count).max() ?? 0
            for event in EventCatalog.all {
                let name = event.name.rawValue
                text += name + String(repeating: " ", count: width - name.count + 2) + event.title + "\n"
            }
            text += "\nMore: event-publisher events --json | --markdown\n"
            Output.out(text)
            return 0
        case ["--json"]:
            Output.out(EventCatalog.json.prettyPrinted() + "\n")
            return 0
        case ["--markdown"]:
            Output.out(EventCatalog.markdown())
            return 0
        case ["-h"], ["--help"]:
            Output.out(usage + "\n")
            return 0
        default:
            Output.err("event-publisher events: unexpected arguments \(arguments.joined(separator: " "))\n\(usage)\n")
            return 64
        }
    }
}
