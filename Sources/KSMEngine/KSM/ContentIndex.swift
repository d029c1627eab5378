import CXXHash

/// A content index: content key to the most recently added entry with that key, the others with
/// the same key chained through a link of the entry's own (``RmapItem/keyNext``,
/// ``StableNode/keyNext``). The unstable tree of one pass is one (of rmap items), the stable tree's
/// content index another (of stable nodes).
///
/// Open addressing with linear probing in one allocation of 8-byte slots: the key's high 32 bits as
/// a tag and the item. A slot whose tag matches is confirmed against the item's full key by the
/// caller (through `keyOf`), so a slot costs 8 bytes, not 12 or 16. The home slot is taken from the
/// tag too, by multiply-shift (`tag * capacity >> 32`, which maps tags onto any capacity, not only
/// powers of two), so moving slots (removal, resizing) never reads an item's key: only a search
/// whose tag matches touches the items. (Keys with the same home slot already agree in the tag's
/// high bits, so between them the tag tells apart the remaining 32 - log2(capacity) bits.)
///
/// It is at most four fifths full: an insertion past that doubles it, and a removal that leaves it
/// less than a quarter full halves it or more (to ``fitted(_:)`` of twice its keys), so that a
/// pass which empties it as it goes (merges take items out of the unstable tree) gives the memory
/// back while the stable tree's index grows. Emptying it for a new pass
/// (``removeAll(reservingFor:)``) allocates it at once for the most keys the pass can add, so that
/// it does not double during the pass (for a moment its old and new slots would both exist); a
/// steady pass neither reallocates nor pays for a larger earlier one. ``shrinkToFit()`` gives back
/// what a pass's growth left beyond its peak. Removal shifts later slots of the probe sequence
/// back, so there are no tombstones and searches stay short.
///
/// Tables of ``mappedTableBytes`` or more are mappings of their own in whole 2 MiB units, advised
/// for transparent huge pages (as page contents are, `PageStore.allocateContents`): ksmd reads
/// them at random, once per page, and with 4 KiB pages a table of a gigabyte costs a TLB miss on
/// nearly every access.
///
/// Every stored property is `@exclusivity(unchecked)`, as in `KSMState`: ksmd searches it once per page.
final class ContentIndex {
    struct Slot {
        var tag: UInt32
        var item: Int32
    }

    /// The fewest slots it holds.
    static let minimumCapacity = 1024

    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<Slot>
    /// Slots allocated (any positive number; ``minimumCapacity`` or more once it was resized).
    @exclusivity(unchecked) private(set) var capacity: Int
    /// Occupied slots (distinct keys).
    @exclusivity(unchecked) private(set) var count = 0
    /// The most slots occupied at once since the last ``removeAll(reservingFor:)`` or
    /// ``shrinkToFit()``.
    @exclusivity(unchecked) private(set) var peak = 0

    init(capacity: Int = ContentIndex.minimumCapacity) {
        precondition(capacity > 0)
        (slots, self.capacity) = Self.allocateSlots(capacity)
    }

    deinit { Self.deallocateSlots(slots, capacity) }

    /// Tables at least this large are mapped on their own, advised for huge pages.
    static let mappedTableBytes = 16 << 20

    /// Empty slots for at least `capacity` entries: exactly that many below ``mappedTableBytes``,
    /// else as many as fill whole 2 MiB units.
    private static func allocateSlots(_ capacity: Int) -> (UnsafeMutablePointer<Slot>, Int) {
        let stride = MemoryLayout<Slot>.stride
        let slots: UnsafeMutablePointer<Slot>
        var capacity = capacity
        if capacity * stride >= mappedTableBytes {
            let bytes = PageStore.contentsBytes(capacity * stride)
            capacity = bytes / stride
            slots = PageStore.allocateContents(byteCount: bytes, huge: true).bindMemory(to: Slot.self, capacity: capacity)
        } else {
            slots = .allocate(capacity: capacity)
        }
        memset(slots, 0xFF, capacity * stride)
        return (slots, capacity)
    }

    private static func deallocateSlots(_ slots: UnsafeMutablePointer<Slot>, _ capacity: Int) {
        let bytes = capacity * MemoryLayout<Slot>.stride
        if bytes >= mappedTableBytes {
            PageStore.deallocateContents(UnsafeMutableRawPointer(slots), byteCount: bytes)
        } else {
            slots.deallocate()
        }
    }

    @inline(__always) static func tag(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 32) }

    @inline(__always) static func home(tag: UInt32, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(tag) &* UInt64(truncatingIfNeeded: capacity)) >> 32)
    }

    @inline(__always) func home(_ key: UInt64) -> Int { Self.home(tag: Self.tag(key), capacity) }

    /// The slot after `i`, wrapping at the end.
    @inline(__always) private func following(_ i: Int) -> Int { i + 1 == capacity ? 0 : i + 1 }

    /// Asks the CPU to bring `key`'s home slot into the cache (the loop does this a few pages early).
    @inline(__always) func prefetch(_ key: UInt64) { cxxh_prefetch(slots + home(key)) }

    /// The capacity that holds `keys` keys at most four fifths full, with 1/32 to spare.
    static func fitted(_ keys: Int) -> Int { Swift.max(minimumCapacity, keys + keys / 4 + keys / 32 + 1) }

    /// Empties the index for at most `keys` keys to come: it is reallocated, empty, at ``fitted(_:)``
    /// of them when it holds fewer or when that is under two thirds of it; otherwise it keeps its
    /// capacity. (More keys than that may still come: it then grows.)
    func removeAll(reservingFor keys: Int) {
        let target = Self.fitted(keys)
        peak = 0
        if capacity < target || target * 3 < capacity * 2 {
            resize(to: target, keepingKeys: false)
            return
        }
        if count == 0 { return }
        memset(slots, 0xFF, capacity * MemoryLayout<Slot>.stride)
        count = 0
    }

    /// Reallocates the index at ``fitted(_:)`` of its peak since the last call (or emptying) when
    /// that is under two thirds of its capacity: a hysteresis, so an index sized for the keys it
    /// held is never reallocated. Starts the next peak from the current count; returns whether it
    /// reallocated.
    ///
    /// A table of ``mappedTableBytes`` or more is reallocated only when that gives back at least half
    /// of it: its old and new slots exist together for a moment, and at host scale that moment
    /// would be the run's peak (the end of the merge pass, when the stable tree is largest).
    @discardableResult
    func shrinkToFit() -> Bool {
        let target = Self.fitted(Swift.max(peak, count))
        peak = count
        let large = capacity * MemoryLayout<Slot>.stride >= Self.mappedTableBytes
        guard large ? target * 2 <= capacity : target * 3 < capacity * 2 else { return false }
        resize(to: target, keepingKeys: true)
        return true
    }

    /// Fills the empty slot `at` (found by a failed search) with `item`, growing first when the
    /// index would be more than four fifths full. Inlined, with the growth out of line, so that the
    /// scan loop's insertions call nothing (a call would retain the index).
    @inline(__always) func insert(at slot: Int, key: UInt64, item: Int32) {
        guard (count + 1) * 5 <= capacity * 4 else { return insertGrowing(key: key, item: item) }
        slots[slot] = Slot(tag: Self.tag(key), item: item)
        count += 1
        if count > peak { peak = count }
    }

    @inline(never) private func insertGrowing(key: UInt64, item: Int32) {
        resize(to: capacity * 2, keepingKeys: true)
        var i = home(key)
        while slots[i].item >= 0 { i = following(i) }
        slots[i] = Slot(tag: Self.tag(key), item: item)
        count += 1
        if count > peak { peak = count }
    }

    /// Empties `slot`, moving later slots of its probe run back so that every key stays reachable
    /// from its home slot.
    func remove(at slot: Int) {
        var hole = slot
        var i = slot
        while true {
            i = following(i)
            let s = slots[i]
            if s.item < 0 { break }
            let home = Self.home(tag: s.tag, capacity)
            // Move `s` into the hole unless its home lies cyclically in (hole, i].
            let inRange = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !inRange {
                slots[hole] = s
                hole = i
            }
        }
        slots[hole] = Slot(tag: .max, item: -1)
        count -= 1
        if count * 4 < capacity && Self.fitted(2 * count) * 3 < capacity * 2 {
            resize(to: Self.fitted(2 * count), keepingKeys: true)
        }
    }

    /// Moves the keys (or none of them, emptying it) into a new allocation of `newCapacity` slots.
    private func resize(to newCapacity: Int, keepingKeys: Bool) {
        let old = slots
        let oldCapacity = capacity
        if !keepingKeys {
            // Nothing to move: the old slots go first, so that both never exist at once.
            Self.deallocateSlots(old, oldCapacity)
            (slots, capacity) = Self.allocateSlots(newCapacity)
            count = 0
            return
        }
        (slots, capacity) = Self.allocateSlots(newCapacity)
        for j in 0..<oldCapacity where old[j].item >= 0 {
            var i = Self.home(tag: old[j].tag, capacity)
            while slots[i].item >= 0 { i = following(i) }
            slots[i] = old[j]
        }
        peak = Swift.max(peak, count)
        Self.deallocateSlots(old, oldCapacity)
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
        var i = Self.home(tag: tag, capacity)
        while true {
            let s = slots[i]
            if s.item < 0 { return -1 - i }
            if s.tag == tag && keyOf(s.item) == key { return i }
            i = following(i)
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
