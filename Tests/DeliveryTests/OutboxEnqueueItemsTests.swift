import CallEvents
import SQLite
import Storage
import Testing

/// `enqueueReturningItems`: which item each created row came from, and an event stored once with
/// its first body whatever the order of its items.
@Suite("Outbox: enqueue with item indices")
struct OutboxEnqueueItemsTests {
    @Test("Rows name their items; repeats and non-adjacent duplicates store the event once, first body kept")
    func itemsAndDuplicates() throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let a = Fixture.event(call: "A", sequence: 1), b = Fixture.event(call: "B", sequence: 1)
        let items = [
            OutboxItem(event: a, webhookID: 1, webhookName: "crm", body: Array("first".utf8)),
            OutboxItem(event: a, webhookID: 2, webhookName: "erp", body: Array("first".utf8)),
            OutboxItem(event: b, webhookID: 1, webhookName: "crm"),
            OutboxItem(event: a, webhookID: 3, webhookName: "bi", body: Array("second".utf8)),
            OutboxItem(event: a, webhookID: 1, webhookName: "crm", body: Array("third".utf8)),  // pair exists
        ]
        let created = try outbox.enqueueReturningItems(items, nowMilliseconds: 5)
        #expect(created.map(\.item) == [0, 1, 2, 3])
        #expect(created.map(\.delivery.webhookID) == [1, 2, 1, 3])
        #expect(created.map(\.delivery.eventID) == [a.id, a.id, b.id, a.id])
        #expect(try outbox.body(eventID: a.id) == Array("first".utf8))
        #expect(try outbox.body(eventID: b.id) == b.encodedJSON())
        let events = try outbox.database.read { try $0.queryFirst("SELECT COUNT(*) FROM outbox_event")?[0].int64 }
        #expect(events == 2)
        // Again after a restart: nothing new, and `enqueue` says the same as before.
        #expect(try outbox.enqueueReturningItems(items, nowMilliseconds: 6).isEmpty)
        #expect(try outbox.enqueue(items, nowMilliseconds: 6).isEmpty)
        #expect(try outbox.body(eventID: a.id) == Array("first".utf8))
    }
}
