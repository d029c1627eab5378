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
        for i in 0..<5000 { array.append(RmapItem(mm: i % 7, address: i)) }
        array[4999].oldChecksum = 99
        #expect(array.count == 5000 && array.capacity == 8192)
        #expect(array.indices.allSatisfy { array[$0].address == $0 && array[$0].mm == $0 % 7 })
        #expect(array[4999].oldChecksum == 99 && array.last?.address == 4999)
        #expect(array.withUnsafeBufferPointer { $0.count } == 5000)
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
