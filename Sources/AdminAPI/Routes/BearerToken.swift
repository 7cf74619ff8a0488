/// Checks `Authorization: Bearer <token>` in constant time.
enum BearerToken {
    /// True only for `Bearer <expected>` with a non-empty expected token. The comparison touches every byte of
    /// the longer value, so the time taken does not reveal how much of a guess was right.
    static func matches(_ header: String?, expected: String) -> Bool {
        guard !expected.isEmpty, let header else { return false }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return false }
        let given = Array(header.dropFirst(prefix.count).utf8)
        return constantTimeEqual(given, Array(expected.utf8))
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0 && lhs.count == rhs.count
    }
}
