import CallEvents
import MicroHTTPD

/// `/api/events` and `/api/events/{name}`: the catalogue with descriptions, JSON Schemas and samples.
struct EventHandlers {
    let catalog: any AdminEventCatalog

    func list() -> HTTPResponse {
        .json(["events": .array(catalog.entries().map(encode))])
    }

    func show(name: String) throws(AdminError) -> HTTPResponse {
        guard let entry = catalog.entries().first(where: { $0.name == name }) else { throw .notFound }
        return .json(encode(entry))
    }

    private func encode(_ entry: AdminEventEntry) -> JSONValue {
        ["name": .string(entry.name), "category": .string(entry.category), "title": .string(entry.title),
         "description": .string(entry.description), "fires": .string(entry.fires), "schema": entry.schema,
         "sample": entry.sample]
    }
}
