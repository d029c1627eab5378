import CXXHash

/// A 128-bit page hash (XXH3-128), as (low, high) 64-bit halves.
public struct PageHash: Hashable, Sendable {
    /// The low 64 bits.
    public var low: UInt64
    /// The high 64 bits.
    public var high: UInt64

    /// A hash from its halves.
    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// XXH3-128 (seed 0) of one page.
    static func of(_ page: UnsafeRawPointer) -> PageHash {
        var h = PageHash(low: 0, high: 0)
        cxxh_xxh3_128(page, PageStore.pageSize, &h.low, &h.high)
        return h
    }
}
