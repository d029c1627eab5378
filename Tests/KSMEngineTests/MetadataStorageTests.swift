import Testing

@testable import KSMEngine

/// The storage under ksmd's metadata and the page store's frames: what host-scale runs rely on to
/// stay within their memory (docs/scale.md), checked as behaviour, not as bytes measured.
@Suite struct MetadataStorageTests {
    @Test func metadataArrayGrowsByEighthsThroughEveryPowerOfTwo() {
        var capacity = 0
        var powers: [Int] = []
        let eighthsFrom = MetadataArray<Int32>.eighthsBytes / 4  // elements
        while capacity < 1 << 24 {
            let next = MetadataArray<Int32>.grown(capacity)
            #expect(next > capacity)
            // Doubling while small; then at most an eighth more than what was full.
            if capacity >= eighthsFrom { #expect(next * 8 <= capacity * 9) } else if capacity >= 64 { #expect(next == capacity * 2) }
            if next & (next - 1) == 0 { powers.append(next) }
            capacity = next
        }
        #expect(powers == (6...24).map { 1 << $0 })
    }

    @Test func metadataArrayKeepsWhatWasAppendedAcrossGrowth() {
        var array = MetadataArray<RmapItem>()
        defer { array.deallocate() }
        for i in 0..<5000 {
            var item = RmapItem()
            item.oldChecksum = UInt32(i)
            item.hash = UInt64(i) << 40 | 7
            array.append(item)
        }
        array[4999].age = 9
        #expect(array.count == 5000 && array.capacity == 8192)
        #expect(array.indices.allSatisfy { array[$0].oldChecksum == UInt32($0) && array[$0].hash == UInt64($0) << 40 | 7 })
        #expect(array[4999].age == 9 && array.last?.oldChecksum == 4999)
        #expect(array.withUnsafeBufferPointer { $0.count } == 5000)
    }

    /// Past 4 MiB the storage becomes a mapping of its own (copied once from the heap), then grows
    /// by `mremap`: every element survives each step, and the storage is returned.
    @Test func metadataArrayKeepsWhatWasAppendedWhenItBecomesAMapping() {
        var array = MetadataArray<RmapItem>()
        let n = 600_000  // 12 MB of items: the heap, one copy into a mapping, then several remaps
        var capacities: Set<Int> = []
        for i in 0..<n {
            var item = RmapItem()
            item.oldChecksum = UInt32(truncatingIfNeeded: i &* 2_654_435_761)
            item.seqnr = UInt8(truncatingIfNeeded: i)
            array.append(item)
            capacities.insert(array.capacity)
        }
        #if os(Linux)
            let stride = MemoryLayout<RmapItem>.stride
            #expect(capacities.filter { MetadataArray<RmapItem>.isMapped(bytes: $0 * stride) }.count >= 3)
        #endif
        #expect(array.count == n)
        #expect(
            array.indices.allSatisfy {
                array[$0].oldChecksum == UInt32(truncatingIfNeeded: $0 &* 2_654_435_761)
                    && array[$0].seqnr == UInt8(truncatingIfNeeded: $0)
            })
        array.deallocate()
        #expect(array.isEmpty && array.capacity == 0)
    }

    /// Freed frames are listed through their KSM state; reuse is last freed, first allocated (as the
    /// array the list replaced), and a free frame is no KSM page.
    @Test func freedFramesAreReusedLastFirst() {
        let store = PageStore(content: .ids)
        let pages = (0..<6).map { _ in store.allocate() }
        store.ksmNode[Int(pages[2])] = 0  // a KSM page with stable node 0
        for p in [pages[1], pages[4], pages[2]] { store.release(p) }
        #expect(store.livePages == 3)
        #expect(store.freedKSMPages.count == 1 && store.freedKSMPages[0].node == 0 && store.freedKSMPages[0].page == pages[2])
        #expect(![pages[1], pages[4], pages[2]].contains { store.isKSM($0) })
        let reused = (0..<3).map { _ in store.allocate() }
        #expect(reused == [pages[2], pages[4], pages[1]])
        #expect(reused.allSatisfy { !store.isKSM($0) && store.largeFolio(of: $0) == -1 })
        // Then new frames.
        #expect(store.allocate() == pages[5] + 1 && store.livePages == 7)
    }

    @Test func framesRecordHugePagesOnlyOnceThereIsOne() {
        let store = PageStore(content: .ids)
        let a = store.allocate()
        store.setLargeFolio(a, -1)
        #expect(store.largeFolio(of: a) == -1)
        store.setLargeFolio(a, 3)
        let b = store.allocate()
        #expect(store.largeFolio(of: a) == 3 && store.largeFolio(of: b) == -1)
        store.release(a)
        #expect(store.allocate() == a && store.largeFolio(of: a) == -1)
    }
}

/// Rmap items in blocks of 64 pages of one mm (`RmapBlock`): the blocks of an mm, in address order,
/// are its `rmap_list`; they hold an item for every page ksmd visited and no other, and an emptied
/// block is reused.
@Suite struct RmapBlockTests {
    @Test func masksCoverTheirSlots() {
        #expect(RmapBlock.above(63) == 0 && RmapBlock.above(0) == ~1 && RmapBlock.above(3) == ~0b1111)
        #expect(RmapBlock.below(0) == 0 && RmapBlock.below(1) == 1 && RmapBlock.below(63) == ~(1 << 63))
        #expect(RmapBlock.above(2) & RmapBlock.below(6) == 0b111000)
    }

    /// The pages of `pid` that have an item, in list order, from the blocks.
    static func listed(_ k: SimulatedKernel, _ pid: ProcessID) -> [Int] {
        guard let mm = k.processes[pid] else { return [] }
        var pages: [Int] = []
        var item = k.ksm.firstItem(of: mm)
        while item >= 0 {
            #expect(k.ksm.mm(ofItem: item) == mm.id)
            pages.append(k.ksm.address(ofItem: item))
            item = k.ksm.item(after: item)
        }
        return pages
    }

    @Test func blocksFollowThePagesKsmdVisits() throws {
        let k = SimulatedKernel(rules: .linux6_17, content: .ids)
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 6000, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 6000, advice: .mergeable)
        // Dense pages across block boundaries, and two pages alone in their blocks.
        var present = Array(0..<200) + [1000, 5000]
        for page in present { try k.write(p, at: page, pages: 1, ids: { _ in UInt64(page % 50 + 1) }) }
        k.ksmDoScan(10_000)
        #expect(Self.listed(k, p) == present)
        #expect(k.ksm.blocks.count == 6 && k.ksm.rmapItems == present.count)
        #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")

        // A block's pages all gone, a page alone gone, part of a block gone: their items go at the
        // next pass, and so do the two blocks left empty.
        try k.madvise(p, at: 64, pages: 64, advice: .dontNeed)
        try k.madvise(p, at: 1000, pages: 1, advice: .dontNeed)
        try k.madvise(p, at: 150, pages: 10, advice: .dontNeed)
        present = present.filter { !(64..<128).contains($0) && $0 != 1000 && !(150..<160).contains($0) }
        k.ksmDoScan(10_000)
        #expect(Self.listed(k, p) == present)
        #expect(k.ksm.rmapItems == present.count && k.ksm.freeBlock >= 0)
        #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")

        // New pages take the freed blocks before new ones are made.
        try k.write(p, at: 3010, pages: 10, ids: { UInt64($0 % 3 + 1) })
        try k.write(p, at: 4000, pages: 1, ids: { _ in 77 })
        present = (present + Array(3010..<3020) + [4000]).sorted()
        k.ksmDoScan(10_000)
        #expect(Self.listed(k, p) == present)
        #expect(k.ksm.blocks.count == 6 && k.ksm.freeBlock < 0)
        #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")

        // A child's items are in blocks of its own, and go when it exits.
        let child = try k.fork(p)
        k.ksmDoScan(10_000)
        #expect(Self.listed(k, child) == present && k.ksm.rmapItems == 2 * present.count)
        #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")
        try k.exit(child)
        k.ksmDoScan(10_000)
        #expect(k.ksm.rmapItems == present.count && k.ksm.freeBlock >= 0)
        #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")
    }
}
