#if canImport(Glibc)
    import Glibc
#endif

// The simulator's invariants: VMA layout, page references, rmap lists, the stable tree and the
// counters of /sys/kernel/mm/ksm and /proc/PID/ksm_stat, each recomputed from the structures.

extension SimulatedKernel {
    /// Every broken invariant, one line each (empty when all hold).
    ///
    /// Checks that each process's VMAs are sorted, non-overlapping, non-empty and inside the
    /// window, at most `max_map_count + 1` of them; that page reference counts, KSM zero-page
    /// counts and rmap-item counts match the page tables, the page caches and the items; that every
    /// KSM page is mapped, stable nodes list exactly their items, the dups of a chain hold equal
    /// bytes, the stable tree is a red-black tree in content order, every rmap item is on its mm's
    /// address-ordered list, and that `pages_shared`, `pages_sharing`, `pages_unshared`, `pages_volatile`,
    /// `stable_node_chains`, `stable_node_dups`, `ksm_zero_pages` and every process's
    /// `ksm_rmap_items` and `ksm_merging_pages` are what the structures say. Cheap enough to run
    /// after every step of a small scenario.
    /// - Complexity: O(VMAs + page-table leaves × 512 + pages + rmap items + stable nodes × 4 KiB).
    public func invariantViolations() -> [String] {
        var out: [String] = []
        let mms = allMMs()
        checkVMAs(&out)
        checkPages(mms, &out)
        checkRmapLists(mms, &out)
        checkStableTree(&out)
        return out
    }

    /// Live address spaces and those ksmd still holds (exiting), each once, in id order.
    private func allMMs() -> [MM] {
        var byID: [Int: MM] = [:]
        for mm in processes.values { byID[mm.id] = mm }
        for (_, mm) in ksmMMs { byID[mm.id] = mm }
        return byID.keys.sorted().map { byID[$0]! }
    }

    // MARK: VMAs

    private func checkVMAs(_ out: inout [String]) {
        for pid in processIDs {
            let vmas = processes[pid]!.vmas
            if vmas.count > maxMapCount + 1 { out.append("\(pid): \(vmas.count) VMAs, above max_map_count \(maxMapCount) + 1") }
            var previousEnd = 0
            for (i, v) in vmas.enumerated() {
                if v.start >= v.end { out.append("\(pid): VMA \(i) \(v.start)-\(v.end) is empty") }
                if v.start < 0 || v.end > Self.windowPages {
                    out.append("\(pid): VMA \(i) \(v.start)-\(v.end) leaves the window")
                }
                if i > 0 && v.start < previousEnd {
                    out.append("\(pid): VMA \(i) \(v.start)-\(v.end) starts below the previous VMA's end \(previousEnd)")
                }
                previousEnd = max(previousEnd, v.end)
            }
        }
    }

    // MARK: Pages

    /// Page reference counts against page-table entries and page-cache slots; KSM zero-page entries
    /// against the counters; entries outside every VMA; KSM pages without a mapping.
    private func checkPages(_ mms: [MM], _ out: inout [String]) {
        let handles = store.mapCount.count
        var pteRefs = [UInt32](repeating: 0, count: handles)
        var cacheRefs = [UInt32](repeating: 0, count: handles)
        var zeroEntries = 0
        for mm in mms {
            var present = 0
            var zeros = 0
            for h in mm.pageTable.entries where h != 0 {
                present += 1
                if h == Self.ksmZeroPTE {
                    zeros += 1
                } else if Int(h) < handles {
                    pteRefs[Int(h)] += 1
                } else {
                    out.append("mm \(mm.id): page-table entry \(h) names no page")
                }
            }
            var inVMAs = 0
            for v in mm.vmas { mm.pageTable.forEachPresent(in: v.range) { _, _ in inVMAs += 1 } }
            if inVMAs != present { out.append("mm \(mm.id): \(present - inVMAs) page-table entries lie outside every VMA") }
            if zeros != mm.ksmZeroPages {
                out.append("mm \(mm.id): ksm_zero_pages \(mm.ksmZeroPages), but \(zeros) KSM zero-page entries")
            }
            if mm.exiting && present != 0 { out.append("mm \(mm.id) exited with \(present) page-table entries left") }
            zeroEntries += zeros
        }
        if zeroEntries != ksm.zeroPages {
            out.append("ksm_zero_pages \(ksm.zeroPages), but \(zeroEntries) KSM zero-page entries")
        }
        for obj in objects {
            for (offset, h) in obj.pages {
                guard h != 0, Int(h) < handles else {
                    out.append("object \(obj.name): page cache slot \(offset) names no page (\(h))")
                    continue
                }
                cacheRefs[Int(h)] += 1
                if store.isKSM(h) { out.append("object \(obj.name): page cache slot \(offset) holds KSM page \(h)") }
            }
        }
        var live = 0
        var reported = 0
        for h in 1..<handles {
            let count = store.mapCount[h]
            if count > 0 { live += 1 }
            let refs = pteRefs[h] + cacheRefs[h]
            if count != refs && reported < 5 {
                reported += 1
                out.append(
                    "page \(h): map count \(count), but \(pteRefs[h]) page-table entries and \(cacheRefs[h]) page-cache slots hold it"
                )
            }
            if count > 0 && store.ksmNode[h] >= 0 && pteRefs[h] == 0 && reported < 5 {
                reported += 1
                out.append("KSM page \(h) (stable node \(store.ksmNode[h])) is mapped by no page table")
            }
        }
        if live != store.livePages {
            out.append("the page store counts \(store.livePages) live pages, but \(live) have references")
        }
    }

    // MARK: Rmap items

    /// Walks every mm's address-ordered rmap list (its blocks, `RmapBlock`) and the free blocks;
    /// checks that every block is on one of those lists once, that the lists hold every live item,
    /// and the item counters.
    private func checkRmapLists(_ mms: [MM], _ out: inout [String]) {
        var stablePerMM: [Int: Int] = [:]
        var liveItems = 0
        var unstable = 0
        for i in ksm.items.indices where !ksm.isFree(item: Int32(i)) {
            let item = ksm.items[i]
            liveItems += 1
            if item.state == .unstable { unstable += 1 }
            if item.state == .stable {
                stablePerMM[ksm.mm(ofItem: Int32(i)), default: 0] += 1
                let n = Int(item.node)
                if n < 0 || n >= ksm.nodes.count || (ksm.nodes[n].kind != .regular && ksm.nodes[n].kind != .dup) {
                    out.append("rmap item \(i) is stable on node \(item.node), which is no regular node or dup")
                }
            }
        }
        if ksm.items.count != ksm.blocks.count * RmapBlock.slots {
            out.append("\(ksm.items.count) rmap items in \(ksm.blocks.count) blocks of \(RmapBlock.slots)")
        }
        var listed = [Bool](repeating: false, count: ksm.blocks.count)
        /// Marks `block` listed; `false` (and a finding) if it is out of range or listed already.
        func list(_ block: Int32, _ list: String) -> Bool {
            guard block < ksm.blocks.count, !listed[Int(block)] else {
                out.append("\(list) reaches block \(block), which is missing or listed twice")
                return false
            }
            listed[Int(block)] = true
            return true
        }
        for mm in mms {
            var block = mm.rmapHead
            var count = 0
            var lastBase = Int.min
            while block >= 0, list(block, "mm \(mm.id)'s rmap list") {
                let b = ksm.blocks[Int(block)]
                if Int(b.mm) != mm.id { out.append("mm \(mm.id): rmap list holds block \(block) of mm \(b.mm)") }
                if Int(b.base) <= lastBase || Int(b.base) % RmapBlock.slots != 0 {
                    out.append("mm \(mm.id): rmap list not in address order, or a block not aligned, at block \(block)")
                }
                if b.used == 0 { out.append("mm \(mm.id): rmap list holds block \(block), which has no item") }
                lastBase = Int(b.base)
                count += b.used.nonzeroBitCount
                block = b.next
            }
            if count != mm.ksmRmapItems {
                out.append("mm \(mm.id): ksm_rmap_items \(mm.ksmRmapItems), but its rmap list holds \(count)")
            }
        }
        var block = ksm.freeBlock
        while block >= 0, list(block, "the free list of rmap blocks") {
            if ksm.blocks[Int(block)].used != 0 { out.append("free rmap block \(block) holds items") }
            block = ksm.blocks[Int(block)].next
        }
        if let b = listed.firstIndex(of: false) {
            out.append("rmap block \(b) (mm \(ksm.blocks[b].mm), pages from \(ksm.blocks[b].base)) is on no list")
        }
        if ksm.rmapItems != liveItems {
            out.append("the rmap item counter is \(ksm.rmapItems), but \(liveItems) items are alive")
        }
        let perProcess = mms.reduce(0) { $0 + $1.ksmRmapItems }
        if perProcess != liveItems {
            out.append("ksm_rmap_items sum to \(perProcess) over the mms, but \(liveItems) items are alive")
        }
        if ksm.pagesUnshared != unstable {
            out.append("pages_unshared \(ksm.pagesUnshared), but \(unstable) items are in the unstable tree")
        }
        let inTrees = ksm.pagesShared + ksm.pagesSharing + ksm.pagesUnshared
        let volatile = ksm.pagesVolatile
        if liveItems >= inTrees {
            if inTrees + volatile != liveItems {
                out.append(
                    "pages_shared + pages_sharing + pages_unshared + pages_volatile = \(inTrees + volatile), but \(liveItems) rmap items are alive"
                )
            }
        } else if volatile != 0 {
            out.append(
                "pages_volatile \(volatile), but it should be clamped at 0 (\(inTrees) items in trees, \(liveItems) alive)")
        }
        // During a pass, the unstable index holds only this pass's unstable items, each under its
        // key. Between passes it is dead (the next pass starts it afresh), as the kernel's
        // root_unstable_tree is: items of the finished pass leave the tree but not the index.
        let pass = UInt8(truncatingIfNeeded: ksm.seqnr)
        var indexed = 0
        for first in ksm.cursor == nil ? [] : ksm.unstableIndex.heads {
            let key = indexKey(first)
            if unstableIndexFirst(key) != first {
                out.append("the unstable tree's index does not find item \(first) under its own key \(key)")
            }
            var item = first
            while item >= 0 && indexed <= ksm.items.count {
                let it = ksm.items[Int(item)]
                if ksm.isFree(item: item) || it.state != .unstable || it.seqnr != pass || indexKey(item) != key {
                    out.append(
                        "the unstable tree holds item \(item), which is not an unstable item of this pass under key \(key)")
                    break
                }
                indexed += 1
                item = it.keyNext
            }
        }
        if indexed > ksm.items.count { out.append("the unstable tree's index has a cycle") }
        for mm in mms {
            let stable = stablePerMM[mm.id] ?? 0
            if stable != mm.ksmMergingPages {
                out.append("mm \(mm.id): ksm_merging_pages \(mm.ksmMergingPages), but \(stable) of its items are stable")
            }
        }
        let merging = mms.reduce(0) { $0 + $1.ksmMergingPages }
        if merging != ksm.pagesShared + ksm.pagesSharing {
            out.append(
                "ksm_merging_pages sum to \(merging) over the mms, but pages_shared + pages_sharing is \(ksm.pagesShared + ksm.pagesSharing)"
            )
        }
    }

    // MARK: The stable tree

    private func checkStableTree(_ out: inout [String]) {
        var shared = 0
        var sharing = 0
        var dups = 0
        var chains = 0
        var pageOwner: [PageHandle: Int32] = [:]
        for n in ksm.nodes.indices {
            let node = ksm.nodes[n]
            switch node.kind {
            case .free:
                continue
            case .chain:
                chains += 1
                checkChain(Int32(n), &out)
                continue
            case .dup:
                dups += 1
                let c = Int(node.chain)
                if c < 0 || c >= ksm.nodes.count || ksm.nodes[c].kind != .chain {
                    out.append("dup \(n) belongs to no chain (\(node.chain))")
                }
            case .regular:
                // (A regular node's `chain` is its `rbParent`: StableNode shares their storage.)
                break
            }
            // The items listed from it.
            var item = node.head
            var prev: Int32 = -1
            var count = 0
            while item >= 0 && count <= ksm.items.count {
                let it = ksm.items[Int(item)]
                if ksm.isFree(item: item) || it.state != .stable || it.node != Int32(n) || it.hPrev != prev {
                    out.append("stable node \(n) lists item \(item), which is not a stable item of it")
                    break
                }
                count += 1
                prev = item
                item = it.hNext
            }
            if count != node.hlistLen {
                out.append("stable node \(n): rmap_hlist_len \(node.hlistLen), but it lists \(count) items")
            }
            if count > 0 {
                shared += 1
                sharing += count - 1
            }
            // Its page, while the keyhole matches: one node per page.
            if isLive(Int32(n)) {
                if let other = pageOwner[node.page] { out.append("stable nodes \(other) and \(n) both own page \(node.page)") }
                pageOwner[node.page] = Int32(n)
            }
            // Items whose address maps a KSM page of this node map this node's page.
            item = node.head
            var steps = 0
            while item >= 0 && steps < count {
                let it = ksm.items[Int(item)]
                let (mmID, address) = ksm.place(ofItem: item)
                if let mm = ksmMM(mmID) ?? processes.values.first(where: { $0.id == mmID }) {
                    let h = mm.pageTable[address]
                    if h != 0 && h != Self.ksmZeroPTE && Int(h) < store.mapCount.count && store.ksmNode[Int(h)] == Int32(n)
                        && h != node.page
                    {
                        out.append(
                            "item \(item) (mm \(mmID), page \(address)) maps page \(h) of stable node \(n), whose page is \(node.page)"
                        )
                    }
                }
                steps += 1
                item = it.hNext
            }
        }
        if shared != ksm.pagesShared { out.append("pages_shared \(ksm.pagesShared), but \(shared) stable nodes list items") }
        if sharing != ksm.pagesSharing {
            out.append("pages_sharing \(ksm.pagesSharing), but the stable nodes list \(sharing) items beyond their first")
        }
        if dups != ksm.stableNodeDups { out.append("stable_node_dups \(ksm.stableNodeDups), but \(dups) dups exist") }
        if chains != ksm.stableNodeChains { out.append("stable_node_chains \(ksm.stableNodeChains), but \(chains) chains exist") }
        checkStableTreeShape(&out)
    }

    /// Whether a regular node's or dup's page is still its KSM page (`ksm_get_folio()`'s keyhole).
    private func isLive(_ node: Int32) -> Bool {
        let page = ksm.nodes[Int(node)].page
        return page != 0 && Int(page) < store.mapCount.count && store.mapCount[Int(page)] > 0 && store.ksmNode[Int(page)] == node
    }

    /// A chain's dups: linked both ways, each naming the chain, and the live ones byte-equal.
    private func checkChain(_ chain: Int32, _ out: inout [String]) {
        var dup = ksm.nodes[Int(chain)].head
        var prev: Int32 = -1
        var first: PageHandle = 0
        var steps = 0
        while dup >= 0 && steps <= ksm.nodes.count {
            let d = ksm.nodes[Int(dup)]
            if d.kind != .dup || d.chain != chain || d.prevDup != prev {
                out.append("chain \(chain) lists node \(dup), which is not a dup of it")
                return
            }
            if isLive(dup) {
                if first == 0 {
                    first = d.page
                } else if !store.equal(first, d.page) {
                    out.append("chain \(chain): dup \(dup)'s page \(d.page) differs from page \(first) of another dup")
                }
            }
            prev = dup
            dup = d.nextDup
            steps += 1
        }
        if steps > ksm.nodes.count { out.append("chain \(chain): its dup list has a cycle") }
    }

    /// The stable tree is a red-black tree holding each regular node and chain once, with
    /// consistent parent links, a black root, no red node with a red child, one black height, and
    /// its live nodes in increasing order of contents (stale nodes keep the place their content had).
    /// Nodes waiting to be linked (``KSMState/firstUnlinked``) count as in it: regular, outside the
    /// red-black tree, and only while there is no chain.
    private func checkStableTreeShape(_ out: inout [String]) {
        var inTree = [Bool](repeating: false, count: ksm.nodes.count)
        var ordered: [(Int32, PageHandle)] = []
        var broken = false
        /// Returns the black height of the subtree, or -1 when broken.
        func walk(_ n: Int32, parent: Int32, depth: Int) -> Int {
            if n < 0 { return 1 }
            guard Int(n) < ksm.nodes.count, !inTree[Int(n)], depth <= 2 * 64 else {
                out.append("the stable tree reaches node \(n) twice, or a node that does not exist")
                broken = true
                return -1
            }
            inTree[Int(n)] = true
            let node = ksm.nodes[Int(n)]
            if node.kind != .regular && node.kind != .chain { out.append("the stable tree holds node \(n), a \(node.kind)") }
            if node.rbParent != parent {
                out.append("stable tree node \(n): parent link \(node.rbParent), but its parent is \(parent)")
            }
            if node.rbRed && (isRedNode(node.rbLeft) || isRedNode(node.rbRight)) {
                out.append("stable tree node \(n) is red with a red child")
            }
            let left = walk(node.rbLeft, parent: n, depth: depth + 1)
            if let page = representativePage(n) { ordered.append((n, page)) }
            let right = walk(node.rbRight, parent: n, depth: depth + 1)
            if left < 0 || right < 0 { return -1 }
            if left != right && !broken {
                out.append("stable tree node \(n): black heights \(left) and \(right) below it differ")
                broken = true
                return -1
            }
            return left + (node.rbRed ? 0 : 1)
        }
        let root = ksm.stableRoot
        if root >= 0 && Int(root) < ksm.nodes.count && ksm.nodes[Int(root)].rbRed {
            out.append("the stable tree's root \(root) is red")
        }
        _ = walk(root, parent: -1, depth: 0)
        let unlinked = unlinkedStableNodes
        if !unlinked.isEmpty && ksm.stableNodeChains > 0 {
            out.append("\(unlinked.count) stable nodes wait to be linked, but there is a chain")
        }
        if unlinked.count > ksm.nodes.count { out.append("the list of stable nodes waiting to be linked has a cycle") }
        if unlinked.last.map({ $0 != ksm.lastUnlinked }) ?? (ksm.lastUnlinked >= 0) {
            out.append("the last stable node waiting to be linked is \(ksm.lastUnlinked), not the list's last")
        }
        for n in unlinked.prefix(ksm.nodes.count) {
            guard Int(n) < ksm.nodes.count, !inTree[Int(n)] else {
                out.append("unlinked stable node \(n) is in the tree already, twice, or does not exist")
                continue
            }
            inTree[Int(n)] = true
            let node = ksm.nodes[Int(n)]
            if node.kind != .regular { out.append("unlinked stable node \(n) is a \(node.kind)") }
            if node.rbParent != -1 || node.rbRight != -1 { out.append("unlinked stable node \(n) has tree links") }
        }
        for (i, n) in ksm.nodes.enumerated() where (n.kind == .regular || n.kind == .chain) && !inTree[i] {
            out.append("stable node \(i) (\(n.kind)) is not in the stable tree")
        }
        for (i, n) in ksm.nodes.enumerated() where n.kind == .regular || n.kind == .dup {
            var m = stableIndexFirst(n.key)
            var steps = 0
            while m >= 0 && m != Int32(i) && steps <= ksm.nodes.count {
                m = ksm.nodes[Int(m)].keyNext
                steps += 1
            }
            if m != Int32(i) {
                out.append("stable node \(i) is not in the stable tree's content index")
                break
            }
        }
        // KSM pages are never written in place (a write copies them first): a live node's content
        // key is still its page's. Walks compare the pages themselves, so this is what would catch
        // a page changed under its node.
        for (i, n) in ksm.nodes.enumerated()
        where (n.kind == .regular || n.kind == .dup) && !n.pageFreed && n.page != 0
            && store.ksmNode[Int(n.page)] == Int32(i)
            && n.key
                != (store.content == .ids
                    ? IDPages.contentHash(store, n.page) : BytePages.contentHash(store, n.page)) & ksm.keyMask
        {
            out.append("stable node \(i): its key is not its page's content hash (a KSM page written in place?)")
            break
        }
        let flagged = ksm.nodes.filter { $0.kind != .free && $0.pageFreed }.count
        if flagged != ksm.staleNodes {
            out.append("\(flagged) stable nodes are flagged stale, but staleNodes is \(ksm.staleNodes)")
        }
        for (a, b) in zip(ordered, ordered.dropFirst()) where store.compare(a.1, b.1) >= 0 {
            out.append("the stable tree is out of order: node \(a.0)'s page is not below node \(b.0)'s")
            break
        }
    }

    private func isRedNode(_ n: Int32) -> Bool { n >= 0 && Int(n) < ksm.nodes.count && ksm.nodes[Int(n)].rbRed }

    /// The live page a tree-level node stands for: its own, or a chain's first live dup's.
    private func representativePage(_ n: Int32) -> PageHandle? {
        let node = ksm.nodes[Int(n)]
        if node.kind == .regular { return isLive(n) ? node.page : nil }
        var dup = node.head
        var steps = 0
        while dup >= 0 && steps <= ksm.nodes.count {
            if ksm.nodes[Int(dup)].kind == .dup && isLive(dup) { return ksm.nodes[Int(dup)].page }
            dup = ksm.nodes[Int(dup)].nextDup
            steps += 1
        }
        return nil
    }
}
