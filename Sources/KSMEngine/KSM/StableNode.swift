/// A node of the stable tree: one KSM page and the rmap items mapping it, or a chain of such
/// nodes ("dups") with identical content when `max_page_sharing` splits them.
///
/// The kernel's counterpart is `struct ksm_stable_node`. Nodes live in one array, named by index.
struct StableNode {
    enum Kind: UInt8 {
        /// A node in the tree itself, with a KSM page.
        case regular
        /// A chain in the tree; its dups hold the pages.
        case chain
        /// A dup inside a chain.
        case dup
        /// Freed.
        case free
    }

    // Declared in the order of their use on a walk down the tree, so that what a walk reads of a
    // node (kind, page, prefix, links) is in its first 40 bytes. 80 bytes in all.
    var kind: Kind
    var rbRed = false
    /// Its page has been freed: the node is stale, and goes when ksmd next touches it.
    var pageFreed = false
    /// The KSM page (`kpfn`), for regular nodes and dups.
    var page: PageHandle = 0
    /// The first 16 bytes of `page`, big-endian, so that comparing them as integers orders pages as
    /// memcmp does: most comparisons on the way down the tree end here without reading the page.
    /// With content ids, `(id, 0)`: the comparison always ends here.
    var prefix: (UInt64, UInt64) = (0, 0)
    /// The red-black tree links of a tree-level node (regular or chain).
    var rbLeft: Int32 = -1
    var rbRight: Int32 = -1
    var rbParent: Int32 = -1
    /// First rmap item (regular, dup) or first dup (chain).
    var head: Int32 = -1
    /// The content key of its page (XXH3-64 masked like the unstable tree's), and the next node
    /// with the same key in `KSMState.stableIndex` (regular nodes and dups).
    var key: UInt64 = 0
    var keyNext: Int32 = -1
    private var hlistLen32: Int32 = 0
    /// For a dup: its chain and its neighbours in the chain's list.
    var chain: Int32 = -1
    var prevDup: Int32 = -1
    var nextDup: Int32 = -1
    /// For a chain: `chain_prune_time`, in simulated milliseconds.
    var pruneTime: Int = 0

    init(kind: Kind) { self.kind = kind }

    /// `rmap_hlist_len`: rmap items listed (regular, dup).
    var hlistLen: Int {
        get { Int(hlistLen32) }
        set { hlistLen32 = Int32(truncatingIfNeeded: newValue) }
    }
}
