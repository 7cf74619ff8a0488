/// A key of the engine's state dictionaries (`Uniqueid`s, call ids, `Linkedid`s, bridge ids):
/// a `String` hashed by a short multiply-and-mix function instead of SipHash.
///
/// Why: every channel event looks up its channel, its call and a leg object by id (about 3.3
/// dictionary lookups per AMI message), and hashing a `String` through `Hasher` (seeding,
/// SipHash over the bytes, finalisation) cost ~300 instructions a lookup, 15 % of decode +
/// correlate. The ids come from the PBX, not from an untrusted peer; the function still mixes in
/// the dictionary's per-instance seed (hence the process-wide random seed), so iteration order
/// stays unpredictable and nothing can come to rely on it.
///
/// Equality is byte equality of the UTF-8 text, the relation the digest is consistent with. It is
/// `String` equality for ASCII text (every id Asterisk sends); two spellings of the same
/// non-ASCII text (composed and decomposed accents) are two keys, as they are two ids to the PBX.
struct StateKey: Hashable, Sendable {
    let string: String

    @inline(__always)
    init(_ string: String) { self.string = string }

    @inline(__always)
    static func == (lhs: StateKey, rhs: StateKey) -> Bool {
        // The two words of each `String` first. Equal words are equal text (the same small string,
        // or the same storage with the same count). Two small strings (ids up to 15 bytes, such as
        // Asterisk's `1796415266.64`) hold their bytes, zero-padded, and their count in those words,
        // so different words are different text. A probe of the state's tables is decided here
        // without reading the bytes through `withContiguousStorageIfAvailable`, which copies a
        // small string out to the stack for each side.
        let left = unsafeBitCast(lhs.string, to: (UInt64, UInt64).self)
        let right = unsafeBitCast(rhs.string, to: (UInt64, UInt64).self)
        if left == right { return true }
        if left.1 & right.1 & smallStringFlag != 0 { return false }
        return bytesEqual(lhs.string, rhs.string)
    }

    /// Bit of a `String`'s second word set for a small (inline) string on 64-bit platforms
    /// (`_StringObject`'s discriminator; checked by the tests in StateKeyTests).
    static let smallStringFlag: UInt64 = 0x2000_0000_0000_0000

    /// Byte equality of the UTF-8 text.
    @inline(__always)
    static func bytesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8, right = rhs.utf8
        guard left.count == right.count else { return false }
        let equal: Bool?? = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in bytesEqual(leftBytes, rightBytes) }
        }
        // The fallback is not reached on Linux, where every `String` is stored as UTF-8.
        return (equal ?? nil) ?? left.elementsEqual(right)
    }

    /// Equal-length buffers compared eight bytes at a time.
    @inline(__always)
    private static func bytesEqual(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = left.count
        guard count > 0, let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return true }
        let l = UnsafeRawPointer(leftBase), r = UnsafeRawPointer(rightBase)
        var offset = 0
        while offset &+ 8 <= count {
            if l.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != r.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset &+= 8
        }
        while offset < count {
            if leftBase[offset] != rightBase[offset] { return false }
            offset &+= 1
        }
        return true
    }

    func hash(into hasher: inout Hasher) { hasher.combine(Self.digest(string, seed: 0)) }

    /// What `Dictionary` and `Set` call: the digest directly, with no `Hasher` in between.
    @inline(__always)
    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: Self.digest(string, seed: UInt64(bitPattern: Int64(seed)))) }

    /// 64-bit digest of the UTF-8 bytes: eight bytes at a time, multiply-xor per word, then
    /// MurmurHash3's finaliser so every input bit reaches the low bits the table uses.
    @inline(__always)
    static func digest(_ string: String, seed: UInt64) -> UInt64 {
        if let digest = string.utf8.withContiguousStorageIfAvailable({ digest($0, seed: seed) }) { return digest }
        // Not reached on Linux, where every `String` is stored as UTF-8.
        return Array(string.utf8).withUnsafeBufferPointer { digest($0, seed: seed) }
    }

    @inline(__always)
    static func digest(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let count = bytes.count
        var state = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        guard let base = bytes.baseAddress, count > 0 else { return finalize(state) }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset &+ 8 <= count {
            state = mix(state, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset &+= 8
        }
        if offset < count {
            if count >= 8 {
                // The last eight bytes, overlapping the previous word (the length is in the state).
                state = mix(state, raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
            } else {
                var word: UInt64 = 0
                while offset < count {
                    word = word << 8 | UInt64(base[offset])
                    offset &+= 1
                }
                state = mix(state, word)
            }
        }
        return finalize(state)
    }

    @inline(__always)
    private static func mix(_ state: UInt64, _ word: UInt64) -> UInt64 {
        let product = (state ^ word).multipliedFullWidth(by: 0x9FB2_1C65_1E98_DF25)
        return product.high ^ product.low
    }

    @inline(__always)
    private static func finalize(_ state: UInt64) -> UInt64 {
        var value = state
        value ^= value >> 33
        value &*= 0xFF51_AFD7_ED55_8CCD
        value ^= value >> 33
        value &*= 0xC4CE_B9FE_1A85_EC53
        value ^= value >> 33
        return value
    }
}
