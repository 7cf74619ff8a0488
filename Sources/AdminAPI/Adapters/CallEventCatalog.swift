import CallEvents

/// The engine's `EventCatalog` (descriptions, JSON Schemas, samples), as `event-publisher events` shows it.
public struct CallEventCatalog: AdminEventCatalog {
    public init() {}

    public func entries() -> [AdminEventEntry] {
        EventCatalog.all.map { event in
            AdminEventEntry(name: event.name.rawValue, category: event.name.category, title: event.title,
                            description: event.summary, fires: event.fires, schema: event.schema,
                            sample: event.sample)
        }
    }
}
