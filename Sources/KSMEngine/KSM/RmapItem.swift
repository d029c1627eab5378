/// Reverse-mapping item: ksmd's record of one scanned page of one process.
///
/// The kernel's counterpart is `struct ksm_rmap_item` (64 bytes on 64-bit kernels, the figure the
/// profit counters use). 20 bytes. Items live in blocks of 64 (``RmapBlock``): the block of an
/// item says its mm and the first of its 64 pages, and its slot in the block the page, so an item
/// holds neither, and the blocks of an mm, in address order, are its `rmap_list`. Items are named
/// by index (block × 64 + slot); links are indices, -1 for none.
///
/// An item is in one tree at a time, so, as in the kernel's union of `node` (unstable tree) and
/// `head`/`hlist` (stable tree), the fields of the two trees share storage: 8 bytes hold ``hash``
/// while the item is not `.stable`, and ``node`` and ``hNext`` while it is; 4 more hold
/// ``keyNext`` (unstable) or ``hPrev`` (stable). An item entering the stable tree therefore loses
/// its hash, and ``stableTreeAppend`` clears ``hashIsChecksummed``: the next visit after it
/// leaves the stable tree computes the kernel's checksum again (`calc_checksum()`), which is exact,
/// so no counter can change; only a little hashing is redone.
struct RmapItem {
    enum State: UInt8 {
        case none
        /// A node of the unstable tree (`UNSTABLE_FLAG`), inserted in pass `seqnr`.
        case unstable
        /// Listed from a stable node (`STABLE_FLAG`).
        case stable
    }

    /// ``hash``'s low 32 bits, or ``node`` while `.stable` (two halves, so that the item is aligned
    /// to 4 bytes and takes 20, not 24).
    private var payloadLow: UInt32 = 0
    /// ``hash``'s high 32 bits, or ``hNext`` while `.stable`.
    private var payloadHigh: UInt32 = 0
    /// The checksum at the previous visit (0 for a new item).
    var oldChecksum: UInt32 = 0
    /// ``hPrev`` when `.stable`, ``keyNext`` when `.unstable`.
    private var link: Int32 = -1
    /// smart_scan's visit count and remaining skips.
    var age: UInt8 = 0
    var remainingSkips: UInt8 = 0
    /// Whether smart_scan skips the page on its next visit, unless it has become a KSM page
    /// (`should_skip_rmap_item()`, without its side effects).
    var smartScanSkipsNextVisit: Bool { age >= 3 && remainingSkips > 0 }
    /// Low 8 bits of the pass that inserted it into the unstable tree.
    var seqnr: UInt8 = 0
    /// ``state`` in bits 0-1, ``hashIsChecksummed`` in bit 2.
    private var bits: UInt8 = 0

    /// XXH3-64 of the page's contents when ksmd last hashed them (meaningless while `.stable`).
    /// The unstable tree's key is this masked with `KSMState.keyMask`; when ``hashIsChecksummed``
    /// is set, these are also the contents whose checksum is ``oldChecksum``, so a page hashing to
    /// the same value again has an unchanged checksum without computing it (see `cmpAndMergePage`).
    var hash: UInt64 {
        @inline(__always) get { UInt64(payloadHigh) << 32 | UInt64(payloadLow) }
        @inline(__always) set {
            payloadLow = UInt32(truncatingIfNeeded: newValue)
            payloadHigh = UInt32(truncatingIfNeeded: newValue >> 32)
        }
    }
    /// The stable node listing it (only while `.stable`).
    var node: Int32 {
        @inline(__always) get { Int32(bitPattern: payloadLow) }
        @inline(__always) set { payloadLow = UInt32(bitPattern: newValue) }
    }
    /// Next in the stable node's list (`hlist`, only while `.stable`).
    var hNext: Int32 {
        @inline(__always) get { Int32(bitPattern: payloadHigh) }
        @inline(__always) set { payloadHigh = UInt32(bitPattern: newValue) }
    }
    /// The previous item in the stable node's list (only while `.stable`).
    var hPrev: Int32 {
        get { link }
        set { link = newValue }
    }
    /// The next unstable item with the same key (only while `.unstable` and in this pass's index).
    var keyNext: Int32 {
        get { link }
        set { link = newValue }
    }
    var state: State {
        get { State(rawValue: bits & 3)! }
        set { bits = bits & ~3 | newValue.rawValue }
    }
    /// Whether ``oldChecksum`` is the checksum of the contents that hashed to ``hash``.
    var hashIsChecksummed: Bool {
        get { bits & 4 != 0 }
        set { bits = newValue ? bits | 4 : bits & ~4 }
    }

    init() {}
}

/// 64 rmap items of one mm: those of the pages ``base`` ..< ``base`` + 64 that have one.
///
/// The kernel keeps an mm's items on a list in address order (`rmap_list`), each item with its mm
/// and address: 20 of its 64 bytes. Here an mm's items are grouped by the 64-page run their page is
/// in, and the runs are listed in address order: item `64 × b + s` is the item of page
/// `blocks[b].base + s` of mm `blocks[b].mm`, if bit `s` of `blocks[b].used` is set. Walking the
/// blocks and their set bits in order is walking the kernel's list. A block is on its mm's list
/// while it holds an item; one left empty goes back on the free list.
///
/// 24 bytes for 64 pages (under half a byte a page) where the pages are dense, as they are in the
/// heaps and guest memories KSM is for. A page alone in its run of 64 costs the block's 64 items
/// (1,280 bytes), as a page alone in its run of 512 costs the page table's leaf of 2 KiB.
struct RmapBlock {
    static let shift = 6
    static let slots = 1 << shift

    /// The mm (its `MM.id`).
    var mm: Int32
    /// The first page of the run (a multiple of 64).
    var base: Int32
    /// The next block of the mm's list (higher addresses), or of the free list; -1 for none.
    var next: Int32 = -1
    /// Bit `s`: the item of page `base + s` exists.
    var used: UInt64 = 0

    /// The block of item `item`.
    @inline(__always) static func block(of item: Int32) -> Int32 { item >> shift }
    /// The slot of item `item` in its block.
    @inline(__always) static func slot(of item: Int32) -> Int { Int(item) & (slots - 1) }
    /// The item in slot `slot` of block `block`.
    @inline(__always) static func item(_ block: Int32, _ slot: Int) -> Int32 { block << shift | Int32(slot) }
    /// The first page of the run of 64 that holds page `address`.
    @inline(__always) static func base(ofPage address: Int) -> Int { address & ~(slots - 1) }
    /// The slot of page `address` in its run of 64.
    @inline(__always) static func slot(ofPage address: Int) -> Int { address & (slots - 1) }
    /// The bit of slot `slot` in ``used``.
    @inline(__always) static func bit(_ slot: Int) -> UInt64 { 1 &<< UInt64(slot) }
    /// The bits of the slots above `slot` (0 ..< 64).
    @inline(__always) static func above(_ slot: Int) -> UInt64 { ~((2 &<< UInt64(slot)) &- 1) }
    /// The bits of the slots below `slot` (0 ..< 64).
    @inline(__always) static func below(_ slot: Int) -> UInt64 { (1 &<< UInt64(slot)) &- 1 }
}

extension KSMState {
    /// The mm (`MM.id`) and page of item `item`.
    @inline(__always) func place(ofItem item: Int32) -> (mm: Int, address: Int) {
        let block = blocks[Int(RmapBlock.block(of: item))]
        return (Int(block.mm), Int(block.base) + RmapBlock.slot(of: item))
    }

    /// The mm (`MM.id`) of item `item`.
    @inline(__always) func mm(ofItem item: Int32) -> Int { place(ofItem: item).mm }

    /// The page of item `item`.
    @inline(__always) func address(ofItem item: Int32) -> Int { place(ofItem: item).address }

    /// Whether `item` names no item (beyond the array, or a slot without one).
    func isFree(item: Int32) -> Bool {
        item < 0 || Int(item) >= items.count
            || blocks[Int(RmapBlock.block(of: item))].used & RmapBlock.bit(RmapBlock.slot(of: item)) == 0
    }

    /// The first item of block `block` (which holds one), or -1 for block -1.
    @inline(__always) func firstItem(ofBlock block: Int32) -> Int32 {
        block < 0 ? -1 : RmapBlock.item(block, blocks[Int(block)].used.trailingZeroBitCount)
    }

    /// The first item of `mm`'s `rmap_list`, -1 if it has none.
    func firstItem(of mm: MM) -> Int32 { firstItem(ofBlock: mm.rmapHead) }

    /// The item after `item` on its mm's `rmap_list`, -1 after the last.
    @inline(__always) func item(after item: Int32) -> Int32 {
        let b = RmapBlock.block(of: item)
        let rest = blocks[Int(b)].used & RmapBlock.above(RmapBlock.slot(of: item))
        if rest != 0 { return RmapBlock.item(b, rest.trailingZeroBitCount) }
        return firstItem(ofBlock: blocks[Int(b)].next)
    }
}

/// Bytes of the kernel's `struct ksm_rmap_item` on 64-bit: the unit of `general_profit`.
let kernelRmapItemBytes = 64
