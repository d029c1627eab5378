import CXXHash

// ksmd's per-page loop: ksm_do_scan(), scan_get_next_rmap_item() and cmp_and_merge_page(), in the
// kernel's order. Everything here runs once per scanned page: no allocation beyond the item and
// node arrays, no dictionaries of objects.
//
// The loop, the trees and the merges are generic over `PageContent` (bytes or content ids) and
// specialised for each: `ksmDoScan(_:)` looks at the store's mode once per batch and runs the
// batch's specialisation, so no page pays for the mode it is not in.

extension SimulatedKernel {
    /// The checksum ksmd keeps per page: the low 32 bits of XXH64(page, seed 0) (`calc_checksum()`).
    @inline(__always) static func checksum(_ page: UnsafeRawPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: cxxh_xxh64(page, PageStore.pageSize, 0))
    }

    /// The content hash of the indexes: XXH3-64 of the page, about twice as fast as XXH64 here.
    @inline(__always) static func contentHash(_ page: UnsafeRawPointer) -> UInt64 {
        cxxh_xxh3_64(page, PageStore.pageSize)
    }

    /// Scans up to `budget` pages (`ksm_do_scan()`); returns at the end of a full scan, dropping
    /// the rest of the budget. Returns the number of pages scanned.
    @discardableResult
    func ksmDoScan(_ budget: Int) -> Int {
        // The one dispatch on the content mode: the batch runs specialised for it.
        switch store.content {
        case .bytes: return ksmDoScan(budget, BytePages.self)
        case .ids: return ksmDoScan(budget, IDPages.self)
        }
    }

    /// ``ksmDoScan(_:)`` for pages of `content`.
    private func ksmDoScan<C: PageContent>(_ budget: Int, _ content: C.Type) -> Int {
        var scanned = 0
        // Whatever happens after this batch may write pages: no hashing may still be running.
        defer { ksm.ahead.quiesce() }
        while scanned < budget {
            ksm.ahead.budget = budget - scanned
            guard let (item, page) = scanGetNextRmapItem() else { break }
            cmpAndMergePage(page, item, C.self)
            if !releaseAfterVisit.isEmpty { releasePagesAfterVisit() }
            ksm.pagesScanned += 1
            scanned += 1
        }
        return scanned
    }

    /// The next page to scan and its rmap item, walking the registered mms' VM_MERGEABLE VMAs in
    /// address order (`scan_get_next_rmap_item()`); `nil` at the end of a full scan or when no mm is
    /// registered. Holes, unfaulted pages, KSM zero pages and skipped pages cost nothing.
    func scanGetNextRmapItem() -> (Int32, PageHandle)? {
        guard !ksm.slots.isEmpty else { return nil }
        if ksm.cursor == nil {
            advisorStartScan()
            // A new full scan: the unstable tree starts empty. Items in no stable tree are all the
            // pass can put in it (new items only get their first checksum), so its index is
            // allocated for them now rather than doubled as it fills.
            ksm.unstableIndex.removeAll(reservingFor: max(0, ksm.rmapItems - ksm.pagesShared - ksm.pagesSharing))
            unstableTreeSize = 0
            staleUnstableItems.removeAll()
            ksm.cursor = 0
            startSlot()
        }
        while true {
            // The mm at the cursor, borrowed from the slot list that keeps it alive while ksmd
            // walks it (nothing in the walk changes the list): no reference counting per visit.
            let slot = ksm.slots.withUnsafeBufferPointer { Unmanaged.passUnretained($0[ksm.cursor!]) }
            if let next = slot._withUnsafeGuaranteedRef({ walkSlot($0) }) { return next }
            let mm = slot.takeUnretainedValue()
            // Nuke the items above the last one kept: no VM_MERGEABLE VMA holds them now.
            removeTrailingRmapItems(mm)
            if !ksm.sawMergeable {
                // No VM_MERGEABLE VMA (or the mm exited): drop the slot, as __ksm_exit() would.
                dropSlot(at: ksm.cursor!)
            } else {
                ksm.cursor! += 1
            }
            if ksm.cursor! < ksm.slots.count {
                startSlot()
                continue
            }
            ksm.cursor = nil
            advisorStopScan()
            ksm.seqnr += 1
            // Gives back what a pass with many more stable nodes left allocated (ContentIndex).
            ksm.stableIndex.shrinkToFit()
            ksm.paths.fullScans &+= 1
            onFullScan?()
            return nil
        }
    }

    /// The next page to scan in `mm`, the mm at the cursor, from the scan address on; `nil` when
    /// its VMAs are done (or it is exiting).
    @inline(__always) private func walkSlot(_ mm: MM) -> (Int32, PageHandle)? {
        guard !mm.exiting else {
            ksm.sawMergeable = false
            ksm.rmapLink = -1
            return nil
        }
        var i = mm.firstIndex(endingAfter: ksm.scanAddress, hint: ksm.vmaHint)
        while i < mm.vmas.count {
            // The fields, not the VMA: copying it would retain its backing.
            let (flags, start, end, hasAnonVMA) = (
                mm.vmas[i].flags, mm.vmas[i].start, mm.vmas[i].end, mm.vmas[i].hasAnonVMA
            )
            ksm.vmaHint = i
            i += 1
            guard flags.contains(.mergeable) else { continue }
            ksm.sawMergeable = true
            if ksm.scanAddress < start { ksm.scanAddress = start }
            if !hasAnonVMA { ksm.scanAddress = end }
            while ksm.scanAddress < end {
                guard let (page, h) = mm.pageTable.nextPresent(from: ksm.scanAddress, below: end) else {
                    ksm.scanAddress = end
                    break
                }
                ksm.scanAddress = page + 1
                if h == Self.ksmZeroPTE { continue }  // not an anonymous page
                let item = getNextRmapItem(mm, address: page)
                ksm.rmapLink = item
                if shouldSkipRmapItem(h, item) { continue }
                return (item, h)
            }
        }
        return nil
    }

    /// `next_mm:` — start walking the mm at the cursor.
    private func startSlot() {
        ksm.scanAddress = 0
        ksm.sawMergeable = false
        ksm.rmapLink = -1
    }

    /// The item for `address`, freeing the items for addresses passed over and creating a new one
    /// if none exists (`get_next_rmap_item()`). The walk's link (`ksm.rmapLink`) is the last item
    /// kept; the items after it are the rest of its block and the blocks after that (`RmapBlock`).
    @inline(__always) func getNextRmapItem(_ mm: MM, address: Int) -> Int32 {
        let link = ksm.rmapLink
        if link >= 0 {
            // Most often the page is in the link's block: free what is between them, if anything.
            let b = RmapBlock.block(of: link)
            if Int(ksm.blocks[Int(b)].base) == RmapBlock.base(ofPage: address) {
                let slot = RmapBlock.slot(ofPage: address)
                let between = RmapBlock.above(RmapBlock.slot(of: link)) & RmapBlock.below(slot)
                removeRmapItems(inBlock: b, between)
                return rmapItem(inBlock: b, slot: slot, mm)
            }
        }
        return getNextRmapItemInNextBlocks(mm, address: address)
    }

    /// ``getNextRmapItem(_:address:)`` for a page after the link's block.
    @inline(never) private func getNextRmapItemInNextBlocks(_ mm: MM, address: Int) -> Int32 {
        let base = RmapBlock.base(ofPage: address)
        let slot = RmapBlock.slot(ofPage: address)
        // The block whose `next` links on (-1: the mm's head), and the block after it.
        var prev: Int32 = -1
        var block = mm.rmapHead
        let link = ksm.rmapLink
        if link >= 0 {
            prev = RmapBlock.block(of: link)
            removeRmapItems(inBlock: prev, RmapBlock.above(RmapBlock.slot(of: link)))
            block = ksm.blocks[Int(prev)].next
        }
        while block >= 0 && Int(ksm.blocks[Int(block)].base) < base {
            let next = ksm.blocks[Int(block)].next
            removeRmapItems(inBlock: block, ~0)
            freeRmapBlock(block)
            block = next
        }
        if block >= 0 && Int(ksm.blocks[Int(block)].base) == base {
            linkRmapBlock(mm, after: prev, block)
            removeRmapItems(inBlock: block, RmapBlock.below(slot))
            return rmapItem(inBlock: block, slot: slot, mm)
        }
        let new = allocRmapBlock(mm, base: base)
        ksm.blocks[Int(new)].next = block
        linkRmapBlock(mm, after: prev, new)
        return rmapItem(inBlock: new, slot: slot, mm)
    }

    /// Makes `block` follow `prev` on `mm`'s list (-1: its head).
    @inline(__always) private func linkRmapBlock(_ mm: MM, after prev: Int32, _ block: Int32) {
        if prev < 0 { mm.rmapHead = block } else { ksm.blocks[Int(prev)].next = block }
    }

    /// Frees every item after the walk's link (`remove_trailing_rmap_items()`).
    func removeTrailingRmapItems(_ mm: MM) {
        var prev: Int32 = -1
        var block = mm.rmapHead
        let link = ksm.rmapLink
        if link >= 0 {
            let b = RmapBlock.block(of: link)
            removeRmapItems(inBlock: b, RmapBlock.above(RmapBlock.slot(of: link)))
            prev = b
            block = ksm.blocks[Int(b)].next
        }
        while block >= 0 {
            let next = ksm.blocks[Int(block)].next
            removeRmapItems(inBlock: block, ~0)
            freeRmapBlock(block)
            block = next
        }
        linkRmapBlock(mm, after: prev, -1)
    }

    /// smart_scan (`should_skip_rmap_item()`): a page that is not a KSM page is scanned on its
    /// first visits, then skipped with growing back-off; a skipped page leaves its tree.
    @inline(__always) func shouldSkipRmapItem(_ page: PageHandle, _ item: Int32) -> Bool {
        guard ksm.knobs.smartScan, !store.isKSM(page) else { return false }
        let i = Int(item)
        let age = ksm.items[i].age
        let skip = ksm.items[i].smartScanSkipsNextVisit
        if age != .max { ksm.items[i].age += 1 }
        if !skip {
            // Old enough and no skips left: start the next run of skips.
            if age >= 3 { ksm.items[i].remainingSkips = age <= 3 ? 1 : age <= 5 ? 2 : age <= 8 ? 4 : 8 }
            return false
        }
        ksm.pagesSkipped += 1
        ksm.items[i].remainingSkips -= 1
        removeRmapItemFromTree(item)
        return true
    }

    /// One page's visit (`cmp_and_merge_page()`): first see whether it can join the stable tree;
    /// if not, and its checksum has not changed since the last visit, pair it through the unstable
    /// tree.
    func cmpAndMergePage<C: PageContent>(_ page: PageHandle, _ item: Int32, _ content: C.Type) {
        var maxPageSharingBypass = false
        var key: UInt64? = nil
        let node = store.ksmNode[Int(page)]
        if node >= 0 {
            // Already a KSM page: nothing to do if this item is listed from its node.
            if ksm.items[Int(item)].state == .stable && ksm.items[Int(item)].node == node {
                ksm.paths.alreadyMerged &+= 1
                return
            }
            // A KSM page forked: may go over max_page_sharing.
            if !isPageSharingCandidate(node) { maxPageSharingBypass = true }
        } else {
            removeRmapItemFromTree(item)
            // A page whose checksum changed since the last visit is volatile: remember and stop.
            // The checksum is the kernel's (XXH64), computed only when the contents may have
            // changed: if they hash (XXH3-64) to what they did when the old checksum was taken,
            // they are the same bytes and so is their checksum.
            let i = Int(item)
            let contents = C.contents(store, page)
            let (mmID, address) = ksm.place(ofItem: item)
            let hash = C.scanHash(self, page, contents, mmID: mmID, address: address)
            if !(ksm.items[i].hashIsChecksummed && ksm.items[i].hash == hash) {
                let checksum = C.checksum(contents)
                ksm.items[i].hash = hash
                ksm.items[i].hashIsChecksummed = true
                if ksm.items[i].oldChecksum != checksum {
                    ksm.items[i].oldChecksum = checksum
                    ksm.paths.checksumChanged &+= 1
                    return
                }
            }
            if !tryToMergeWithZeroPage(item, page, C.self) {
                ksm.paths.zeroPageMerge &+= 1
                return
            }
            key = hash & ksm.keyMask
        }

        // The stable tree first.
        let kpage = stableTreeSearch(page, key: key, C.self)
        ksm.paths.stableTreeLevels &+= KSMDPathCounters.levels(ksm.pagesShared)
        if let kpage, kpage == page, ksm.items[Int(item)].state == .stable, ksm.items[Int(item)].node == node {
            ksm.paths.alreadyMerged &+= 1
            return
        }
        removeRmapItemFromTree(item)
        if let kpage {
            ksm.paths.stableTreeMerge &+= 1
            if tryToMergeWithKSMPage(item, page, kpage, compared: true, C.self) {
                stableTreeAppend(item, store.ksmNode[Int(kpage)], bypass: maxPageSharingBypass)
            }
            return
        }

        // Then the unstable tree: pair with an identical page there, or wait in it.
        ksm.paths.unstableTreeLevels &+= KSMDPathCounters.levels(ksm.unstableIndex.count)
        guard let (treeItem, treePage) = unstableTreeSearchInsert(item, page, key: &key, C.self) else {
            ksm.paths.unstableInsert &+= 1
            return
        }
        ksm.paths.unstableMerge &+= 1
        guard tryToMergeTwoPages(item, page, treeItem, treePage, C.self) else { return }
        let newNode = stableTreeInsert(page, key: key!, C.self)
        stableTreeAppend(treeItem, newNode, bypass: false)
        stableTreeAppend(item, newNode, bypass: false)
    }
}

extension PageTable {
    /// The first present entry in `[from, below)`, skipping absent leaves.
    /// - Complexity: O(leaves in range + entries scanned).
    func nextPresent(from: Int, below: Int) -> (Int, PageHandle)? {
        var page = from
        while page < below {
            let key = page >> Self.leafShift
            let leafEnd = Swift.min((key + 1) << Self.leafShift, below)
            if let leaf = leafIndex(key) {
                var p = page
                while p < leafEnd {
                    let h = entries[leaf + (p & (Self.leafSize - 1))]
                    if h != 0 { return (p, h) }
                    p += 1
                }
            }
            page = leafEnd
        }
        return nil
    }
}
