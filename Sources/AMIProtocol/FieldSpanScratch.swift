/// The field spans of the message the decoder is assembling: a growable buffer whose appends are a
/// capacity check and a store (or only a store, after ``reserveFree(_:)``).
///
/// Why not `[FieldSpan]`: an array append checks that the array is uniquely referenced (a runtime
/// call) on every line of the stream, and lines are the decoder's unit of work (~20 per message).
/// Here the uniqueness check is done once per ``AMIFrameDecoder/next()`` by ``makeUnique()``, so a
/// copied decoder still never writes into its copy's spans (value semantics as before).
///
/// The storage object is immutable (a larger buffer replaces it when full): no dynamic
/// exclusivity checks on the per-line path. The count lives in the struct.
struct FieldSpanScratch: Sendable {
    /// `@unchecked Sendable`: the elements are written only by the decoder that holds the only
    /// reference (``makeUnique()`` runs before every write), like an array's copy-on-write buffer.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutablePointer<AMIMessage.FieldSpan>
        let capacity: Int

        init(capacity: Int, copying source: UnsafePointer<AMIMessage.FieldSpan>?, count: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
            if let source, count > 0 { base.initialize(from: source, count: count) }
        }

        deinit { base.deallocate() }  // FieldSpan is trivial: nothing to deinitialize
    }

    private var storage: Storage
    /// Number of spans held.
    private(set) var count = 0

    init(capacity: Int = 64) {
        storage = Storage(capacity: Swift.max(capacity, 1), copying: nil, count: 0)
    }

    var isEmpty: Bool { count == 0 }

    /// Gives this value its own storage if a copy of the decoder shares it. Call before appending.
    /// Inlined (it runs once per decoded message); the copy, which almost never happens, is not.
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { copyStorage() }
    }

    @inline(never)
    private mutating func copyStorage() {
        storage = Storage(capacity: storage.capacity, copying: storage.base, count: count)
    }

    /// Appends a span (``makeUnique()`` must have run since this value was last copied).
    @inline(__always)
    mutating func append(_ span: AMIMessage.FieldSpan) {
        if count == storage.capacity {
            storage = Storage(capacity: storage.capacity * 2, copying: storage.base, count: count)
        }
        storage.base[count] = span
        count &+= 1
    }

    /// Makes room for at least `free` more spans and returns the storage's base: the caller writes
    /// spans `count ..< count + free` through it, then counts them with ``setCount(_:)``. The base
    /// is valid until the next call that can replace the storage (this one, ``append(_:)``,
    /// ``makeUnique()``). ``makeUnique()`` must have run since this value was last copied.
    @inline(__always)
    mutating func reserveFree(_ free: Int) -> UnsafeMutablePointer<AMIMessage.FieldSpan> {
        if storage.capacity &- count < free {
            storage = Storage(capacity: Swift.max(storage.capacity * 2, count + free), copying: storage.base, count: count)
        }
        return storage.base
    }

    /// Counts the spans written after ``reserveFree(_:)`` (at most as many as it made room for).
    @inline(__always)
    mutating func setCount(_ newCount: Int) {
        assert(newCount >= 0 && newCount <= storage.capacity)
        count = newCount
    }

    mutating func removeAll() { count = 0 }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<AMIMessage.FieldSpan>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }
}
