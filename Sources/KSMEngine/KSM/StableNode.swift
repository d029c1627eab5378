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
    // node (kind, page, links) is in its first 20 bytes. 40 bytes in all: a node is one kind at a
    // time, so the fields only a dup has share storage with the tree links a dup never has
    // (``chain``, ``prevDup``, ``nextDup``), and a chain's ``pruneTime`` with the content key a
    // chain never has (chains are not in `KSMState.stableIndex`). The kernel's
    // `struct ksm_stable_node` does the same with unions: a dup's `hlist_dup` shares the tree
    // node's `rb_node`, a chain's `chain_prune_time` the page's `kpfn`.
    //
    // No copy of the page's first bytes: a walk compares the page itself, as `memcmp_pages()`
    // does (`SimulatedKernel.comparePages`). A 16-byte copy here spared a walk that read, but
    // walks are rare (the content index answers most searches) and it cost 8 bytes a page at
    // `R = 0.5` (docs/performance.md, "Leaner metadata", stage 5).
    var kind: Kind
    var rbRed = false
    /// Its page has been freed: the node is stale, and goes when ksmd next touches it.
    var pageFreed = false
    /// The KSM page (`kpfn`), for regular nodes and dups.
    var page: PageHandle = 0
    /// ``rbLeft`` or ``prevDup``, ``rbRight`` or ``nextDup``, ``rbParent`` or ``chain``.
    private var link0: Int32 = -1
    private var link1: Int32 = -1
    private var link2: Int32 = -1
    /// First rmap item (regular, dup) or first dup (chain).
    var head: Int32 = -1
    /// ``key`` (regular nodes and dups) or ``pruneTime`` (chains).
    private var keyOrTime: UInt64 = 0
    /// The next node with the same ``key`` in `KSMState.stableIndex` (regular nodes and dups).
    var keyNext: Int32 = -1
    private var hlistLen32: Int32 = 0

    /// The red-black tree links of a tree-level node (regular or chain; a regular node waiting to be
    /// linked keeps the next such node in ``rbLeft``).
    var rbLeft: Int32 {
        @inline(__always) get { link0 }
        @inline(__always) set { link0 = newValue }
    }
    var rbRight: Int32 {
        @inline(__always) get { link1 }
        @inline(__always) set { link1 = newValue }
    }
    var rbParent: Int32 {
        @inline(__always) get { link2 }
        @inline(__always) set { link2 = newValue }
    }
    /// For a dup: its neighbours in its chain's list, and its chain.
    var prevDup: Int32 {
        @inline(__always) get { link0 }
        @inline(__always) set { link0 = newValue }
    }
    var nextDup: Int32 {
        @inline(__always) get { link1 }
        @inline(__always) set { link1 = newValue }
    }
    var chain: Int32 {
        @inline(__always) get { link2 }
        @inline(__always) set { link2 = newValue }
    }
    /// The content key of its page (XXH3-64 masked like the unstable tree's), for regular nodes and
    /// dups.
    var key: UInt64 {
        @inline(__always) get { keyOrTime }
        @inline(__always) set { keyOrTime = newValue }
    }
    /// For a chain: `chain_prune_time`, in simulated milliseconds.
    var pruneTime: Int {
        get { Int(truncatingIfNeeded: keyOrTime) }
        set { keyOrTime = UInt64(truncatingIfNeeded: newValue) }
    }

    init(kind: Kind) { self.kind = kind }

    /// `rmap_hlist_len`: rmap items listed (regular, dup).
    var hlistLen: Int {
        get { Int(hlistLen32) }
        set { hlistLen32 = Int32(truncatingIfNeeded: newValue) }
    }
}
