/// Everything ksmd keeps: knobs, the mm_slot list and scan cursor, rmap items, the stable and
/// unstable trees (as content-keyed indexes) and the counters.
///
/// The kernel's counterparts are the statics of mm/ksm.c (`ksm_scan`, `ksm_mm_head`,
/// `root_stable_tree`, `root_unstable_tree`, `ksm_pages_shared`, ...).
///
/// Every stored property is `@exclusivity(unchecked)`: the scan loop reaches them once per page or
/// more, and their dynamic exclusivity checks cost more than the rest of the loop
/// (docs/performance.md). The compiler's static checks stay.
final class KSMState {
    @exclusivity(unchecked) var knobs = KSMKnobs()

    // The mm_slot list and the cursor (`ksm_scan`).
    /// Registered address spaces in list order.
    @exclusivity(unchecked) var slots: [MM] = []
    /// Index of the slot being scanned; `nil` is `ksm_mm_head` (between full scans).
    @exclusivity(unchecked) var cursor: Int?
    /// `ksm_scan.address`: the next page to look at in the current mm.
    @exclusivity(unchecked) var scanAddress = 0
    /// Whether the walk of the current mm met a VM_MERGEABLE VMA (the kernel's `address != 0`).
    @exclusivity(unchecked) var sawMergeable = false
    /// The index of the VMA the scan is in, as a hint (checked before use).
    @exclusivity(unchecked) var vmaHint = 0
    /// `ksm_scan.rmap_list`: -1 before the mm's first item, else the last item the walk kept (the
    /// items after it on the mm's list are those after it in its block, then the next blocks').
    @exclusivity(unchecked) var rmapLink: Int32 = -1
    /// `ksm_scan.seqnr`: completed full scans.
    @exclusivity(unchecked) var seqnr = 0

    // Items and nodes.
    /// Rmap items, 64 to a block: item `i` is in block `i / 64` (``RmapBlock``).
    @exclusivity(unchecked) var items = MetadataArray<RmapItem>()
    @exclusivity(unchecked) var blocks = MetadataArray<RmapBlock>()
    /// The first free block, listed through `next` (-1: none).
    @exclusivity(unchecked) var freeBlock: Int32 = -1
    @exclusivity(unchecked) var nodes = MetadataArray<StableNode>()
    @exclusivity(unchecked) var freeNodes: [Int32] = []
    /// Regular nodes and dups whose page was freed and that are still in the tree.
    @exclusivity(unchecked) var staleNodes = 0
    /// Changes whenever a stable node is added, removed or moved.
    @exclusivity(unchecked) var stableEpoch: UInt64 = 0
    /// Where `stableTreeSearch()` last ended without a match, for `stableTreeInsert()` of the same
    /// page right after it.
    struct StableSearchEnd {
        var page: PageHandle
        var parent: Int32
        var left: Bool
        var epoch: UInt64
    }
    @exclusivity(unchecked) var lastSearch: StableSearchEnd?
    /// The root of the stable tree's red-black tree (-1: empty), ordered by page contents. The
    /// nodes waiting to be linked (``firstUnlinked``) are in the stable tree but not yet in this:
    /// read the tree through `SimulatedKernel.linkedStableRoot`.
    @exclusivity(unchecked) var stableRoot: Int32 = -1
    /// Regular nodes `stableTreeInsert()` added without walking the tree, oldest first, listed
    /// through their `rbLeft` (a node's tree links are unused until it is linked): while there is no
    /// chain and no stale node, a walk down the tree would only compare pages, so where each goes
    /// is decided when the tree is next walked or changed (`SimulatedKernel.linkStableNodes()`), by
    /// the same walks and the same rebalancing in the same order.
    @exclusivity(unchecked) var firstUnlinked: Int32 = -1
    @exclusivity(unchecked) var lastUnlinked: Int32 = -1
    /// Whether nodes wait to be linked.
    var hasUnlinkedNodes: Bool { firstUnlinked >= 0 }
    /// Whether `stableTreeInsert()` may add nodes without walking (tests compare with `false`).
    @exclusivity(unchecked) var deferStableLinks = true
    /// Whether the stable tree has no node, linked or not.
    var stableTreeIsEmpty: Bool { stableRoot < 0 && !hasUnlinkedNodes }
    /// Content key to the first unstable-tree item with that key (this pass only).
    let unstableIndex = ContentIndex()
    /// The stable tree's nodes with pages (regular nodes and dups) by content key: how a search
    /// that cannot change the tree finds its answer without walking it.
    let stableIndex = ContentIndex()
    /// Content hashes computed ahead of the scan loop.
    let ahead = ScanAhead()
    /// Keys are masked with this; tests set it to 0 so every page collides.
    @exclusivity(unchecked) var keyMask: UInt64 = ~0

    // Counters.
    @exclusivity(unchecked) var pagesShared = 0
    @exclusivity(unchecked) var pagesSharing = 0
    @exclusivity(unchecked) var pagesUnshared = 0
    @exclusivity(unchecked) var rmapItems = 0
    @exclusivity(unchecked) var stableNodeChains = 0
    @exclusivity(unchecked) var stableNodeDups = 0
    @exclusivity(unchecked) var zeroPages = 0
    @exclusivity(unchecked) var pagesScanned = 0
    @exclusivity(unchecked) var pagesSkipped = 0

    // Time and the scan-time advisor.
    /// Simulated time in nanoseconds.
    @exclusivity(unchecked) var clockNanos = 0
    /// ksmd's simulated CPU time in nanoseconds.
    @exclusivity(unchecked) var cpuNanos = 0
    /// When ksmd's next batch is due (it sleeps `sleep_millisecs` after each).
    @exclusivity(unchecked) var nextBatchNanos = 0
    /// What ksmd's batches, pages and sleeps cost on the clock.
    @exclusivity(unchecked) var costModel = KSMDCostModel.default
    /// How many visits took each path (what ``costModel`` charges for).
    @exclusivity(unchecked) var paths = KSMDPathCounters()
    @exclusivity(unchecked) var advisorStartScan = 0
    @exclusivity(unchecked) var advisorScanTime = 0
    @exclusivity(unchecked) var advisorChange = 0
    @exclusivity(unchecked) var advisorCPUTime = 0

    /// `zero_checksum`: the checksum of a zero-filled page (of id 0 with content ids).
    @exclusivity(unchecked) var zeroChecksum: UInt32 = SimulatedKernel.zeroPage.withUnsafeBytes {
        SimulatedKernel.checksum($0.baseAddress!)
    }

    deinit {
        items.deallocate()
        blocks.deallocate()
        nodes.deallocate()
    }

    /// `pages_volatile`: rmap items in no tree, clamped at zero as the kernel does.
    var pagesVolatile: Int { max(0, rmapItems - pagesShared - pagesSharing - pagesUnshared) }
    /// `general_profit`.
    var generalProfit: Int { (pagesSharing + zeroPages) * PageStore.pageSize - rmapItems * kernelRmapItemBytes }
    /// Simulated time in milliseconds (`jiffies`, at HZ=1000).
    var clockMillis: Int { clockNanos / 1_000_000 }
}
