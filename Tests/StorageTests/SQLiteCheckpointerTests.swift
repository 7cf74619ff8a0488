import Foundation
import SQLite
import Testing

@Suite("SQLite background checkpoints")
struct SQLiteCheckpointerTests {
    @Test("A database with background checkpoints checkpoints once the WAL is past 1,000 pages, and keeps every row")
    func checkpointsBesideTheWriter() throws {
        let dir = try StoreTestDirectory()
        let path = dir.path("c.sqlite")
        do {
            let database = try SQLiteDatabase(path: path, checkpointInBackground: true)
            #expect(database.backgroundCheckpoints == 0)
            try database.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)") }
            // ~6 MB in 30 transactions: well past the 1,000-page threshold.
            for batch in 0..<30 {
                try database.write { connection in
                    for index in 0..<50 {
                        try connection.cached("INSERT INTO t (id, payload) VALUES (?, ?)")
                            .bind([.integer(Int64(batch * 50 + index)), .blob(Array(repeating: 7, count: 4_000))])
                        try connection.cached("INSERT INTO t (id, payload) VALUES (?, ?)").run()
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while (database.backgroundCheckpoints ?? 0) == 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect((database.backgroundCheckpoints ?? 0) >= 1)
            #expect(try database.read { try $0.queryFirst("SELECT COUNT(*) FROM t")?[0] } == .integer(1_500))
        }
        let reopened = try SQLiteConnection(path: path)
        #expect(try reopened.queryFirst("SELECT COUNT(*), SUM(LENGTH(payload)) FROM t")?.values
                == [.integer(1_500), .integer(6_000_000)])
    }

    @Test("Without the option there is no background checkpointer")
    func offByDefault() throws {
        let dir = try StoreTestDirectory()
        #expect(try SQLiteDatabase(path: dir.path("d.sqlite")).backgroundCheckpoints == nil)
    }
}
