// The stable and unstable trees. The stable tree is the kernel's: a red-black tree ordered by
// memcmp, walked the way stable_tree_search() walks it, because every node a search passes may be
// pruned or collapsed (see SimulatedKernel+RBTree.swift). The unstable tree, rebuilt every pass and
// without such side effects, is an index from a content key (the XXH64 ksmd computes anyway) to
// items. Bytes are always compared before two pages are taken as equal, so no two different pages
// ever merge, whatever the hash does.

extension SimulatedKernel {
    // MARK: Allocation

    /// The item of slot `slot` of `block` (an mm's block): the one there, or a new one
    /// (`alloc_rmap_item()`).
    @inline(__always) func rmapItem(inBlock block: Int32, slot: Int, _ mm: MM) -> Int32 {
        let item = RmapBlock.item(block, slot)
        let bit = RmapBlock.bit(slot)
        if ksm.blocks[Int(block)].used & bit != 0 { return item }
        ksm.blocks[Int(block)].used |= bit
        ksm.rmapItems += 1
        ksm.paths.newRmapItem &+= 1
        mm.ksmRmapItems += 1
        ksm.items[Int(item)] = RmapItem()
        return item
    }

    /// Removes from their trees and frees the items of `block` in `mask`, in address order
    /// (`remove_rmap_item_from_tree()` and `free_rmap_item()`).
    @inline(__always) func removeRmapItems(inBlock block: Int32, _ mask: UInt64) {
        if ksm.blocks[Int(block)].used & mask != 0 { removeRmapItemsSlow(inBlock: block, mask) }
    }

    @inline(never) private func removeRmapItemsSlow(inBlock block: Int32, _ mask: UInt64) {
        var bits = ksm.blocks[Int(block)].used & mask
        while bits != 0 {
            let slot = bits.trailingZeroBitCount
            let item = RmapBlock.item(block, slot)
            bits &= bits - 1
            removeRmapItemFromTree(item)
            ksm.rmapItems -= 1
            if let mm = ksmMM(ksm.mm(ofItem: item)) { mm.ksmRmapItems -= 1 }
            ksm.blocks[Int(block)].used &= ~RmapBlock.bit(slot)
        }
    }

    /// A block for `mm`'s pages from `base` on, empty and on no list.
    func allocRmapBlock(_ mm: MM, base: Int) -> Int32 {
        let block = RmapBlock(mm: Int32(truncatingIfNeeded: mm.id), base: Int32(truncatingIfNeeded: base))
        if ksm.freeBlock >= 0 {
            let b = ksm.freeBlock
            ksm.freeBlock = ksm.blocks[Int(b)].next
            ksm.blocks[Int(b)] = block
            return b
        }
        ksm.blocks.append(block)
        for _ in 0..<RmapBlock.slots { ksm.items.append(RmapItem()) }
        return Int32(ksm.blocks.count - 1)
    }

    /// Puts an empty block on the free list.
    func freeRmapBlock(_ block: Int32) {
        precondition(ksm.blocks[Int(block)].used == 0, "freeing a block with items")
        ksm.blocks[Int(block)].next = ksm.freeBlock
        ksm.freeBlock = block
    }

    func allocStableNode(_ kind: StableNode.Kind) -> Int32 {
        ksm.stableEpoch &+= 1
        // Before a freed node's index can be reused, so that a stale record cannot mark the new one.
        noteFreedKSMPages()
        let node = StableNode(kind: kind)
        if let i = ksm.freeNodes.popLast() {
            ksm.nodes[Int(i)] = node
            return i
        }
        ksm.nodes.append(node)
        return Int32(ksm.nodes.count - 1)
    }

    func freeStableNode(_ node: Int32) {
        ksm.stableEpoch &+= 1
        if ksm.nodes[Int(node)].kind != .chain { stableIndexRemove(node) }
        if ksm.nodes[Int(node)].pageFreed { ksm.staleNodes -= 1 }
        ksm.nodes[Int(node)].kind = .free
        ksm.freeNodes.append(node)
    }

    // MARK: Stable nodes

    /// The KSM page of a regular node or dup, or `nil` after removing the node when the page is gone
    /// (`ksm_get_folio()`'s keyhole check).
    func ksmGetPage(_ node: Int32) -> PageHandle? {
        noteFreedKSMPages()
        let page = ksm.nodes[Int(node)].page
        #if DEBUG
            // The flag answers what the page itself would (checked in the tests' debug builds).
            let live = store.mapCount[Int(page)] > 0 && store.ksmNode[Int(page)] == node
            precondition(live == !ksm.nodes[Int(node)].pageFreed, "ksmGetPage: stale flag of node \(node) is wrong")
        #endif
        if !ksm.nodes[Int(node)].pageFreed { return page }
        removeNodeFromStableTree(node)
        return nil
    }

    /// Marks stale the nodes whose KSM pages were freed since the last call.
    @inline(__always) func noteFreedKSMPages() {
        if store.freedKSMPages.isEmpty { return }
        for (node, page) in store.freedKSMPages {
            let n = ksm.nodes[Int(node)]
            if (n.kind == .regular || n.kind == .dup) && n.page == page && !n.pageFreed {
                ksm.nodes[Int(node)].pageFreed = true
                ksm.staleNodes += 1
            }
        }
        store.freedKSMPages.removeAll(keepingCapacity: true)
    }

    /// Removes a stale node and unlists all its items, adjusting the counters
    /// (`remove_node_from_stable_tree()`).
    func removeNodeFromStableTree(_ node: Int32) {
        var item = ksm.nodes[Int(node)].head
        while item >= 0 {
            let next = ksm.items[Int(item)].hNext
            if next >= 0 { ksm.pagesSharing -= 1 } else { ksm.pagesShared -= 1 }
            if let mm = ksmMM(ksm.mm(ofItem: item)) { mm.ksmMergingPages -= 1 }
            ksm.items[Int(item)].state = .none
            ksm.items[Int(item)].node = -1
            item = next
        }
        ksm.nodes[Int(node)].head = -1
        ksm.nodes[Int(node)].hlistLen = 0
        if ksm.nodes[Int(node)].kind == .dup {
            dupDelete(node)
        } else {
            rbErase(node)
        }
        freeStableNode(node)
    }

    /// Unlinks a dup from its chain (`__stable_node_dup_del()`).
    func dupDelete(_ dup: Int32) {
        ksm.stableEpoch &+= 1
        let d = ksm.nodes[Int(dup)]
        if d.prevDup >= 0 { ksm.nodes[Int(d.prevDup)].nextDup = d.nextDup } else { ksm.nodes[Int(d.chain)].head = d.nextDup }
        if d.nextDup >= 0 { ksm.nodes[Int(d.nextDup)].prevDup = d.prevDup }
        ksm.nodes[Int(dup)].chain = -1
        ksm.stableNodeDups -= 1
    }

    /// Adds `dup` at the head of `chain`'s list (`stable_node_chain_add_dup()`).
    func chainAddDup(_ dup: Int32, _ chain: Int32) {
        ksm.stableEpoch &+= 1
        ksm.nodes[Int(dup)].kind = .dup
        ksm.nodes[Int(dup)].chain = chain
        ksm.nodes[Int(dup)].prevDup = -1
        let first = ksm.nodes[Int(chain)].head
        ksm.nodes[Int(dup)].nextDup = first
        if first >= 0 { ksm.nodes[Int(first)].prevDup = dup }
        ksm.nodes[Int(chain)].head = dup
        ksm.stableNodeDups += 1
    }

    /// Turns regular node `dup` into the first dup of a new chain that takes its place in the
    /// tree (`alloc_stable_node_chain()`).
    func allocStableNodeChain(_ dup: Int32) -> Int32 {
        linkStableNodes()  // no chain while nodes wait to be linked
        let chain = allocStableNode(.chain)
        ksm.nodes[Int(chain)].pruneTime = ksm.clockMillis
        ksm.stableNodeChains += 1
        rbReplace(dup, with: chain)
        chainAddDup(dup, chain)
        return chain
    }

    /// `free_stable_node_chain()`.
    func freeStableNodeChain(_ chain: Int32) {
        rbErase(chain)
        freeStableNode(chain)
        ksm.stableNodeChains -= 1
    }

    /// `is_page_sharing_candidate()`: has mappings, and room for one more (`offset` more).
    @inline(__always) func isPageSharingCandidate(_ node: Int32, offset: Int = 0) -> Bool {
        let len = ksm.nodes[Int(node)].hlistLen
        return len > 0 && len + offset < ksm.knobs.maxPageSharing
    }

    /// For a tree-level node: the dup to use and its page (`__stable_node_chain()`), pruning stale
    /// dups and collapsing or freeing the chain as the kernel does. `nil` when nothing live remains
    /// (the node was removed). `node` may change when a chain collapses into its one dup.
    func stableNodeChain(_ node: inout Int32, prune: Bool) -> (dup: Int32, page: PageHandle)? {
        guard ksm.nodes[Int(node)].kind == .chain else {
            guard let page = ksmGetPage(node) else { return nil }
            return (node, page)
        }
        let chain = node
        var prune = prune
        if prune && ksm.clockMillis >= ksm.nodes[Int(chain)].pruneTime + ksm.knobs.stableNodeChainsPruneMillisecs {
            ksm.nodes[Int(chain)].pruneTime = ksm.clockMillis
        } else {
            prune = false
        }
        var found: Int32 = -1
        var foundPage: PageHandle = 0
        var foundLen = 0
        var dup = ksm.nodes[Int(chain)].head
        while dup >= 0 {
            let next = ksm.nodes[Int(dup)].nextDup
            if let page = ksmGetPage(dup) {
                if found < 0
                    || (isPageSharingCandidate(dup)
                        && (!isPageSharingCandidate(found) || ksm.nodes[Int(dup)].hlistLen > foundLen))
                {
                    found = dup
                    foundPage = page
                    foundLen = ksm.nodes[Int(dup)].hlistLen
                    if !prune && isPageSharingCandidate(found) { break }
                }
            }
            dup = next
        }
        guard found >= 0 else {
            freeStableNodeChain(chain)
            return nil
        }
        let first = ksm.nodes[Int(chain)].head
        if first == found && ksm.nodes[Int(found)].nextDup < 0 {
            // One dup left: drop the chain, the dup takes its place. (Its chain links share
            // storage with the tree links rbReplace writes: they go first.)
            ksm.nodes[Int(found)].chain = -1
            ksm.nodes[Int(found)].prevDup = -1
            rbReplace(chain, with: found)
            ksm.nodes[Int(found)].kind = .regular
            freeStableNode(chain)
            ksm.stableNodeChains -= 1
            ksm.stableNodeDups -= 1
            node = found
        } else if first != found && isPageSharingCandidate(found, offset: 1) {
            // Move it to the head so the next search is quicker.
            let f = ksm.nodes[Int(found)]
            if f.prevDup >= 0 { ksm.nodes[Int(f.prevDup)].nextDup = f.nextDup }
            if f.nextDup >= 0 { ksm.nodes[Int(f.nextDup)].prevDup = f.prevDup }
            ksm.nodes[Int(found)].prevDup = -1
            ksm.nodes[Int(found)].nextDup = first
            ksm.nodes[Int(first)].prevDup = found
            ksm.nodes[Int(chain)].head = found
        }
        return (found, foundPage)
    }

    /// The KSM page to merge `page` with (`stable_tree_search()`): `page` itself when it is
    /// already a KSM page (forked), else a dup with identical content and room, else `nil`. Every
    /// node on the path is pruned as the kernel prunes it.
    /// - Complexity: O(log nodes) page comparisons.
    func stableTreeSearch<C: PageContent>(_ page: PageHandle, key: UInt64?, _ content: C.Type) -> PageHandle? {
        ksm.lastSearch = nil
        if store.ksmNode[Int(page)] >= 0 { return page }
        // An empty tree: nothing to compare (and the page's bytes need not be touched).
        if ksm.stableTreeIsEmpty {
            ksm.lastSearch = KSMState.StableSearchEnd(page: page, parent: -1, left: false, epoch: ksm.stableEpoch)
            return nil
        }
        noteFreedKSMPages()
        if let key, ksm.stableNodeChains == 0 && ksm.staleNodes == 0 {
            // No chain to prune and no stale node to drop: the walk down the tree could only
            // compare pages, and it would end at the one node with these bytes, if there is one.
            let found = stableIndexMatch(page, key: key, C.self)
            #if DEBUG
                // The tests' debug builds check the answer: by the kernel's walk, which must change
                // nothing, or, while nodes wait to be linked (which a walk would do), by comparing
                // pages down the linked tree and along the unlinked nodes.
                if !ksm.hasUnlinkedNodes {
                    let (epoch, stale) = (ksm.stableEpoch, ksm.staleNodes)
                    let walked = stableTreeWalk(page, C.self)
                    precondition(walked == found.map { isPageSharingCandidate($0) ? ksm.nodes[Int($0)].page : nil } ?? nil)
                    precondition(
                        epoch == ksm.stableEpoch && stale == ksm.staleNodes, "stableTreeSearch: the walk changed the tree")
                    ksm.lastSearch = nil
                } else {
                    precondition(
                        stableNodeComparingPages(page, C.self) == found,
                        "stableTreeSearch: the content index and the tree disagree")
                }
            #endif
            guard let node = found else { return nil }
            return isPageSharingCandidate(node) ? ksm.nodes[Int(node)].page : nil
        }
        return stableTreeWalk(page, C.self)
    }

    #if DEBUG
        /// The regular node with `page`'s bytes, by memcmp down the linked tree, else along the
        /// unlinked nodes; no side effect (no chain, no stale node).
        private func stableNodeComparingPages<C: PageContent>(_ page: PageHandle, _ content: C.Type) -> Int32? {
            let prefix = C.prefix(store, page)
            var cur = ksm.stableRoot
            while cur >= 0 {
                let c = comparePages(page, prefix: prefix, ksm.nodes[Int(cur)].page, C.self)
                if c == 0 { return cur }
                cur = c < 0 ? rbLeft(cur) : rbRight(cur)
            }
            return unlinkedStableNodes.first { C.equal(store, page, ksm.nodes[Int($0)].page) }
        }
    #endif

    /// The regular node whose page has `page`'s bytes, through the content index.
    private func stableIndexMatch<C: PageContent>(_ page: PageHandle, key: UInt64, _ content: C.Type) -> Int32? {
        var node = stableIndexFirst(key)
        while node >= 0 {
            let n = ksm.nodes[Int(node)]
            if n.kind == .regular && C.equal(store, page, n.page) { return node }
            node = n.keyNext
        }
        return nil
    }

    /// Where a walk down the stable tree ends: at the tree-level node with `page`'s bytes (and the
    /// dup chosen in it), or below `parent` on its left or right.
    enum StableTreeDescent: Equatable {
        case match(node: Int32, dup: Int32, page: PageHandle)
        case end(parent: Int32, left: Bool)
    }

    /// The walk of `stable_tree_search()` (`prune`) and `stable_tree_insert()` down the tree from
    /// the root, ordered by memcmp. Every node on the path goes through `stableNodeChain()`, which
    /// drops stale nodes and dups and prunes chains as the kernel does; the walk starts again from
    /// the root when the node under it went.
    private func descend<C: PageContent>(_ page: PageHandle, prune: Bool, _ content: C.Type) -> StableTreeDescent {
        linkStableNodes(C.self)
        let prefix = C.prefix(store, page)
        again: while true {
            var cur = ksm.stableRoot
            var parent: Int32 = -1
            var left = false
            while cur >= 0 {
                var node = cur
                guard let (dup, treePage) = stableNodeChain(&node, prune: prune) else { continue again }
                let c = comparePages(page, prefix: prefix, treePage, C.self)
                if c == 0 { return .match(node: node, dup: dup, page: treePage) }
                parent = node
                left = c < 0
                cur = left ? rbLeft(node) : rbRight(node)
            }
            return .end(parent: parent, left: left)
        }
    }

    /// `stable_tree_search()`'s walk down the tree from the root.
    private func stableTreeWalk<C: PageContent>(_ page: PageHandle, _ content: C.Type) -> PageHandle? {
        switch descend(page, prune: true, C.self) {
        case .match(_, let dup, let treePage):
            // A match whose dups are all full: the page must pair through the unstable tree to
            // start a new dup.
            return isPageSharingCandidate(dup) ? treePage : nil
        case .end(let parent, let left):
            ksm.lastSearch = KSMState.StableSearchEnd(page: page, parent: parent, left: left, epoch: ksm.stableEpoch)
            return nil
        }
    }

    /// A new stable node for new KSM page `kpage`: a tree-level node, or a dup in the chain of
    /// identical content whose dups were all full (`stable_tree_insert()`).
    /// - Complexity: O(log nodes) page comparisons.
    func stableTreeInsert<C: PageContent>(_ kpage: PageHandle, key: UInt64, _ content: C.Type) -> Int32 {
        let descent: StableTreeDescent
        // Where the last search for this page fell off the tree, if the tree has not changed since
        // (no node added, removed or moved, and no page of a node freed: the search left no such
        // record behind): walking it again would meet the same nodes, compare the same bytes and
        // end in the same place, with no side effect.
        if let last = ksm.lastSearch, last.page == kpage, last.epoch == ksm.stableEpoch, store.freedKSMPages.isEmpty {
            descent = .end(parent: last.parent, left: last.left)
            #if DEBUG
                // The tests run debug builds: check the claim on every insert.
                precondition(
                    descend(kpage, prune: false, C.self) == descent, "stableTreeInsert: the cached search end is not the walk's")
            #endif
        } else if walkCanWait(kpage, key: key, C.self) {
            // No chain to prune or collapse, no stale node to drop, and no node with these bytes:
            // the walk would only compare pages and end below a leaf. It is taken when the tree is
            // next walked or changed, or before a KSM page is freed (`linkStableNodes()`).
            ksm.lastSearch = nil
            let node = addStableNode(kpage, key: key, C.self)
            ksm.nodes[Int(node)].rbLeft = -1
            if ksm.lastUnlinked >= 0 { ksm.nodes[Int(ksm.lastUnlinked)].rbLeft = node } else { ksm.firstUnlinked = node }
            ksm.lastUnlinked = node
            return node
        } else {
            descent = descend(kpage, prune: false, C.self)
        }
        ksm.lastSearch = nil
        let dup = addStableNode(kpage, key: key, C.self)
        switch descent {
        case .end(let parent, let left):
            rbInsert(dup, parent: parent, left: left)
        case .match(let existing, _, _):
            let chain = ksm.nodes[Int(existing)].kind == .chain ? existing : allocStableNodeChain(existing)
            chainAddDup(dup, chain)
        }
        return dup
    }

    /// Whether inserting `kpage` may leave its walk for later: no chain, no stale node (the freed
    /// pages noted first) and no node with the same bytes.
    private func walkCanWait<C: PageContent>(_ kpage: PageHandle, key: UInt64, _ content: C.Type) -> Bool {
        guard ksm.deferStableLinks && ksm.stableNodeChains == 0 else { return false }
        noteFreedKSMPages()
        return ksm.staleNodes == 0 && stableIndexMatch(kpage, key: key, C.self) == nil
    }

    /// A new regular node for KSM page `kpage`, in the content index, not yet in the tree.
    private func addStableNode<C: PageContent>(_ kpage: PageHandle, key: UInt64, _ content: C.Type) -> Int32 {
        let node = allocStableNode(.regular)
        ksm.nodes[Int(node)].page = kpage
        stableIndexAdd(node, key: key)
        store.ksmNode[Int(kpage)] = node
        return node
    }

    /// Links the nodes ``stableTreeInsert(_:key:)`` added without walking into the red-black tree,
    /// oldest first, each by the walk its insertion would have taken then: down from the root by
    /// memcmp to a leaf, then `rb_insert_color()`. The walks then met no chain and no stale node,
    /// and the nodes linked before each are the same, so they compare the same pages (no KSM page
    /// has been freed since: the first to be freed links them first) and end in the same places.
    @inline(__always) func linkStableNodes() {
        guard ksm.hasUnlinkedNodes else { return }
        switch store.content {
        case .bytes: linkUnlinkedStableNodes(BytePages.self)
        case .ids: linkUnlinkedStableNodes(IDPages.self)
        }
    }

    /// ``linkStableNodes()`` inside a walk that already knows the content mode.
    @inline(__always) func linkStableNodes<C: PageContent>(_ content: C.Type) {
        if ksm.hasUnlinkedNodes { linkUnlinkedStableNodes(C.self) }
    }

    private func linkUnlinkedStableNodes<C: PageContent>(_ content: C.Type) {
        precondition(ksm.stableNodeChains == 0, "linkStableNodes: a chain formed while nodes waited to be linked")
        var node = ksm.firstUnlinked
        ksm.firstUnlinked = -1
        ksm.lastUnlinked = -1
        while node >= 0 {
            let next = ksm.nodes[Int(node)].rbLeft
            precondition(ksm.nodes[Int(node)].kind == .regular, "linkStableNodes: node \(node) is no longer regular")
            let page = ksm.nodes[Int(node)].page
            let prefix = C.prefix(store, page)
            var cur = ksm.stableRoot
            var parent: Int32 = -1
            var left = false
            while cur >= 0 {
                let c = comparePages(page, prefix: prefix, ksm.nodes[Int(cur)].page, C.self)
                precondition(c != 0, "linkStableNodes: nodes \(node) and \(cur) have the same bytes")
                parent = cur
                left = c < 0
                cur = left ? rbLeft(cur) : rbRight(cur)
            }
            rbInsert(node, parent: parent, left: left)
            node = next
        }
    }

    /// The nodes waiting to be linked, oldest first (for checks and tests).
    var unlinkedStableNodes: [Int32] {
        var out: [Int32] = []
        var node = ksm.firstUnlinked
        while node >= 0 && out.count <= ksm.nodes.count {
            out.append(node)
            node = ksm.nodes[Int(node)].rbLeft
        }
        return out
    }

    /// The root of the stable tree with every node linked.
    var linkedStableRoot: Int32 {
        linkStableNodes()
        return ksm.stableRoot
    }

    /// Lists `item` from `node` (`stable_tree_append()`).
    func stableTreeAppend(_ item: Int32, _ node: Int32, bypass: Bool) {
        precondition(node >= 0 && ksm.nodes[Int(node)].kind != .chain)
        ksm.nodes[Int(node)].hlistLen += 1
        let first = ksm.nodes[Int(node)].head
        ksm.items[Int(item)].hPrev = -1
        ksm.items[Int(item)].hNext = first
        if first >= 0 { ksm.items[Int(first)].hPrev = item }
        ksm.nodes[Int(node)].head = item
        ksm.items[Int(item)].state = .stable
        ksm.items[Int(item)].node = node
        // `node` and `hNext` now hold the hash's bytes (RmapItem): the next visit off the stable
        // tree takes the checksum afresh.
        ksm.items[Int(item)].hashIsChecksummed = false
        if first >= 0 { ksm.pagesSharing += 1 } else { ksm.pagesShared += 1 }
        if let mm = ksmMM(ksm.mm(ofItem: item)) { mm.ksmMergingPages += 1 }
    }

    /// Takes `item` out of whichever tree holds it (`remove_rmap_item_from_tree()`).
    func removeRmapItemFromTree(_ item: Int32) {
        let i = Int(item)
        switch ksm.items[i].state {
        case .none:
            return
        case .stable:
            let node = ksm.items[i].node
            guard ksmGetPage(node) != nil else { return }  // stale: the whole node went
            let prev = ksm.items[i].hPrev
            let next = ksm.items[i].hNext
            if prev >= 0 { ksm.items[Int(prev)].hNext = next } else { ksm.nodes[Int(node)].head = next }
            if next >= 0 { ksm.items[Int(next)].hPrev = prev }
            if ksm.nodes[Int(node)].head >= 0 { ksm.pagesSharing -= 1 } else { ksm.pagesShared -= 1 }
            if let mm = ksmMM(ksm.mm(ofItem: item)) { mm.ksmMergingPages -= 1 }
            ksm.nodes[Int(node)].hlistLen -= 1
            ksm.items[i].node = -1
            ksm.items[i].state = .none
        case .unstable:
            // Only this pass's insertions are still in the index; older ones went with the reset.
            if ksm.items[i].seqnr == UInt8(truncatingIfNeeded: ksm.seqnr) { unstableIndexRemove(item) }
            ksm.pagesUnshared -= 1
            ksm.items[i].state = .none
        }
    }

    // MARK: The unstable tree

    /// Finds an item of this pass with identical content whose page can still be merged, or else
    /// inserts `item` (`unstable_tree_search_insert()`). Returns the partner and its page.
    func unstableTreeSearchInsert<C: PageContent>(
        _ item: Int32, _ page: PageHandle, key: inout UInt64?, _ content: C.Type
    ) -> (Int32, PageHandle)? {
        let i = Int(item)
        if !staleUnstableItems.isEmpty {
            // The walk starts at a stale root: nothing found, nothing inserted.
            if unstableTreeSize == 1 { return nil }
            if unmodelledTHPCase == nil {
                unmodelledTHPCase =
                    "ksmd searched an unstable tree of \(unstableTreeSize) nodes after a huge-page split unmapped one of them: "
                    + "whether the kernel's walk meets that node depends on the tree's shape, which is not modelled"
            }
        }
        let k: UInt64
        if let key {
            k = key
        } else {
            // A forked KSM page: hashed here for the index only; its checksum is not taken.
            let hash = C.contentHash(store, page)
            ksm.items[i].hash = hash
            ksm.items[i].hashIsChecksummed = false
            k = hash & ksm.keyMask
            key = k
        }
        var candidate = unstableIndexFirst(k)
        while candidate >= 0 {
            guard let treePage = getMergeablePage(candidate) else { return nil }
            // Don't substitute a KSM page for a forked page.
            if treePage == page { return nil }
            if C.equal(store, page, treePage) { return (candidate, treePage) }
            candidate = ksm.items[Int(candidate)].keyNext
        }
        ksm.items[i].state = .unstable
        ksm.items[i].seqnr = UInt8(truncatingIfNeeded: ksm.seqnr)
        ksm.items[i].keyNext = ksm.unstableIndex.push(item, key: k) { indexKey($0) }
        ksm.pagesUnshared += 1
        unstableTreeSize += 1
        // A page a huge-page split has just unmapped (ksmd's reference keeps it): a stale node.
        if !releaseAfterVisit.isEmpty {
            let (mmID, address) = ksm.place(ofItem: item)
            if let mm = ksmMM(mmID), mm.pageTable[address] != page { staleUnstableItems.insert(item) }
        }
        return nil
    }

    private func unstableIndexRemove(_ item: Int32) {
        unstableTreeSize -= 1
        if !staleUnstableItems.isEmpty { staleUnstableItems.remove(item) }
        ksm.unstableIndex.unlink(
            item, key: indexKey(item), keyOf: { indexKey($0) }, nextOf: { ksm.items[Int($0)].keyNext },
            setNext: { ksm.items[Int($0)].keyNext = $1 })
    }

    // MARK: The stable tree's content index

    func stableIndexFirst(_ key: UInt64) -> Int32 {
        ksm.stableIndex.first(key) { ksm.nodes[Int($0)].key }
    }

    private func stableIndexAdd(_ node: Int32, key: UInt64) {
        ksm.nodes[Int(node)].key = key
        ksm.nodes[Int(node)].keyNext = ksm.stableIndex.push(node, key: key) { ksm.nodes[Int($0)].key }
    }

    private func stableIndexRemove(_ node: Int32) {
        ksm.stableIndex.unlink(
            node, key: ksm.nodes[Int(node)].key, keyOf: { ksm.nodes[Int($0)].key }, nextOf: { ksm.nodes[Int($0)].keyNext },
            setNext: { ksm.nodes[Int($0)].keyNext = $1 })
    }
}
