import CSQLite

/// A prepared statement: bind values, step through rows, reset and reuse.
///
/// Owned by the connection that prepared it and used on that connection's thread only.
/// Related SQLite documentation: <https://www.sqlite.org/c3ref/stmt.html>
public final class SQLiteStatement {
    public let sql: String
    let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw connection.error(code: code, sql: sql)
        }
        self.sql = sql
        self.handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `values` to the positional parameters `?1…?n` (after clearing earlier bindings).
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw SQLiteError(code: SQLITE_RANGE,
                              message: "statement takes \(expected) parameters, \(values.count) given", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .text(let v): code = bindText(v, at: index)
            case .blob(let v):
                code = v.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), csqlite_transient())
                }
            }
            guard code == SQLITE_OK else { throw connection.error(code: code, sql: sql) }
        }
    }

    /// Binds the UTF-8 bytes of `text` with their length, read in place.
    ///
    /// Why not pass the `String` as a C string: Swift then builds a NUL-terminated copy of every
    /// value (an allocation per bound text, ~10 % of an outbox enqueue's own work), and SQLite
    /// copies it once more anyway (`SQLITE_TRANSIENT`). An empty text must stay text, not NULL:
    /// SQLite binds NULL for a null pointer, so it gets a pointer to a static empty string.
    private func bindText(_ text: String, at index: Int32) -> Int32 {
        let code = text.utf8.withContiguousStorageIfAvailable { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                return sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), csqlite_transient())
            }
        }
        return code ?? sqlite3_bind_text(handle, index, text, -1, csqlite_transient())
    }

    /// Advances one row: the row, or nil when the statement is done.
    public func step() throws(SQLiteError) -> SQLiteRow? {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return currentRow()
        case SQLITE_DONE: return nil
        default:
            let error = connection.error(code: code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs to completion and returns every row.
    public func all() throws(SQLiteError) -> [SQLiteRow] {
        var rows: [SQLiteRow] = []
        while let row = try step() { rows.append(row) }
        sqlite3_reset(handle)
        return rows
    }

    /// Runs to completion, ignoring rows.
    public func run() throws(SQLiteError) {
        while try step() != nil {}
        sqlite3_reset(handle)
    }

    /// Ends the current run (releasing its read snapshot) without clearing the bindings.
    public func reset() { sqlite3_reset(handle) }

    private func currentRow() -> SQLiteRow {
        let count = sqlite3_column_count(handle)
        var columns: [String] = []
        var values: [SQLiteValue] = []
        columns.reserveCapacity(Int(count))
        values.reserveCapacity(Int(count))
        for index in 0..<count {
            columns.append(sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "")
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, index)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, index)))
            case SQLITE_TEXT:
                let text = sqlite3_column_text(handle, index).map { String(cString: $0) } ?? ""
                values.append(.text(text))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, index))
                if let bytes = sqlite3_column_blob(handle, index), length > 0 {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: length))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return SQLiteRow(columns: columns, values: values)
    }
}
