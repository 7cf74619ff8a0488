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
            case .text(let v): code = sqlite3_bind_text(handle, index, v, -1, csqlite_transient())
            case .blob(let v):
                code = v.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), csqlite_transient())
                }
            }
            guard code == SQLITE_OK else { throw connection.error(code: code, sql: sql) }
        }
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
