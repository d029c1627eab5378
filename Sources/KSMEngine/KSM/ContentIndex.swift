import CXXHash

/// A content index: content key to the most recently added entry with that key, the others with
/// the same key chained through a link of the entry's own (``RmapItem/keyNext``,
/// ``StableNode/keyNext``). The unstable tree of one pass is one (of rmap items), the stable tree's
/// content index another (of stable nodes).
///
/// Open addressing with linear probing in one allocation of 8-byte slots: the key's high 32 bits as
/// a tag and the item. A slot whose tag matches is confirmed against the item's full key by the
/// caller (through `keyOf`), so a slot costs 8 bytes, not 12 or 16. The home slot is taken from the
/// tag too, so moving slots (removal, growth) never reads an item's key: only a search whose tag
/// matches touches the items. (Keys with the same home slot already agree in the tag's low bits, so
/// between them the tag tells apart the remaining 32 - log2(capacity) bits.)
/// Emptying it for a new pass is one `memset`; it keeps its capacity. Removal shifts later slots of
/// the probe sequence back, so there are no tombstones and searches stay short.
///
/// Every stored property is `@exclusivity(unchecked)`, as in `KSMState`: ksmd searches it once per page.
final class ContentIndex {
    struct Slot {
        var tag: UInt32
        var item: Int32
    }

    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<Slot>
    /// Slots allocated: a power of two.
    @exclusivity(unchecked) private(set) var capacity: Int
    /// Occupied slots (distinct keys).
    @exclusivity(unchecked) private(set) var count = 0

    init(capacity: Int = 1024) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        memset(slots, 0xFF, capacity * MemoryLayout<Slot>.stride)
    }

    deinit { slots.deallocate() }

    @inline(__always) var mask: Int { capacity - 1 }

    @inline(__always) static func tag(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 32) }

    @inline(__always) static func home(_ key: UInt64, _ mask: Int) -> Int { home(tag: tag(key), mask) }

    @inline(__always) static func home(tag: UInt32, _ mask: Int) -> Int { Int(tag) & mask }

    /// Asks the CPU to bring `key`'s home slot into the cache (the loop does this a few pages early).
    @inline(__always) func prefetch(_ key: UInt64) { cxxh_prefetch(slots + Self.home(key, mask)) }

    /// Empties the index, keeping its capacity.
    func removeAll() {
        if count == 0 { return }
        memset(slots, 0xFF, capacity * MemoryLayout<Slot>.stride)
        count = 0
    }

    /// Fills the empty slot `at` (found by a failed search) with `item`, growing first when the
    /// index would be more than three quarters full.
    func insert(at slot: Int, key: UInt64, item: Int32) {
        if (count + 1) * 4 > capacity * 3 {
            grow()
            var i = Self.home(key, mask)
            while slots[i].item >= 0 { i = (i + 1) & mask }
            slots[i] = Slot(tag: Self.tag(key), item: item)
        } else {
            slots[slot] = Slot(tag: Self.tag(key), item: item)
        }
        count += 1
    }

    /// Empties `slot`, moving later slots of its probe run back so that every key stays reachable
    /// from its home slot.
    func remove(at slot: Int) {
        var hole = slot
        var i = slot
        while true {
            i = (i + 1) & mask
            let s = slots[i]
            if s.item < 0 { break }
            let home = Self.home(tag: s.tag, mask)
            // Move `s` into the hole unless its home lies cyclically in (hole, i].
            let inRange = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !inRange {
                slots[hole] = s
                hole = i
            }
        }
        slots[hole] = Slot(tag: .max, item: -1)
        count -= 1
    }

    private func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity *= 2
        slots = .allocate(capacity: capacity)
        memset(slots, 0xFF, capacity * MemoryLayout<Slot>.stride)
        for j in 0..<oldCapacity where old[j].item >= 0 {
            var i = Self.home(tag: old[j].tag, mask)
            while slots[i].item >= 0 { i = (i + 1) & mask }
            slots[i] = old[j]
        }
        old.deallocate()
    }

    /// The first item of every key, in slot order.
    var heads: [Int32] {
        (0..<capacity).compactMap { slots[$0].item >= 0 ? slots[$0].item : nil }
    }

    /// Bytes allocated.
    var bytes: Int { capacity * MemoryLayout<Slot>.stride }

    // MARK: Chains of entries with one key

    /// The slot holding `key`'s first entry, or, when none does, the empty slot where it would go
    /// (as a negative number: `-1 - slot`); `keyOf` gives an entry's key.
    @inline(__always) func find(_ key: UInt64, keyOf: (Int32) -> UInt64) -> Int {
        let tag = Self.tag(key)
        var i = Self.home(key, mask)
        while true {
            let s = slots[i]
            if s.item < 0 { return -1 - i }
            if s.tag == tag && keyOf(s.item) == key { return i }
            i = (i + 1) & mask
        }
    }

    /// The first entry with `key`, or -1.
    @inline(__always) func first(_ key: UInt64, keyOf: (Int32) -> UInt64) -> Int32 {
        let slot = find(key, keyOf: keyOf)
        return slot >= 0 ? slots[slot].item : -1
    }

    /// Makes `entry` (whose key is already `key`) the first with its key; returns the entry it goes
    /// in front of (-1 if none), for the caller to link it to.
    @inline(__always) func push(_ entry: Int32, key: UInt64, keyOf: (Int32) -> UInt64) -> Int32 {
        let slot = find(key, keyOf: keyOf)
        if slot >= 0 {
            let next = slots[slot].item
            slots[slot].item = entry
            return next
        }
        insert(at: -1 - slot, key: key, item: entry)
        return -1
    }

    /// Takes `entry` out of `key`'s chain, where `nextOf` and `setNext` read and write the links.
    func unlink(
        _ entry: Int32, key: UInt64, keyOf: (Int32) -> UInt64, nextOf: (Int32) -> Int32, setNext: (Int32, Int32) -> Void
    ) {
        let slot = find(key, keyOf: keyOf)
        guard slot >= 0 else { return }
        let next = nextOf(entry)
        var cur = slots[slot].item
        if cur == entry {
            if next < 0 { remove(at: slot) } else { slots[slot].item = next }
            return
        }
        while cur >= 0 {
            let n = nextOf(cur)
            if n == entry {
                setNext(cur, next)
                return
            }
            cur = n
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SimulatedKernel {
    /// An item's key in the unstable tree's index.
    @inline(__always) func indexKey(_ item: Int32) -> UInt64 { ksm.items[Int(item)].hash & ksm.keyMask }

    /// The first unstable item with `key` in this pass, or -1.
    @inline(__always) func unstableIndexFirst(_ key: UInt64) -> Int32 {
        ksm.unstableIndex.first(key) { indexKey($0) }
    }
}
