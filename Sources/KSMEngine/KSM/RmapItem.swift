/// Reverse-mapping item: ksmd's record of one scanned page of one process.
///
/// The kernel's counterpart is `struct ksm_rmap_item` (64 bytes on 64-bit kernels, the figure the
/// profit counters use). Items live in one array, named by index; links are indices, -1 for none.
/// 32 bytes.
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

    /// ``hash`` (not `.stable`), or ``node`` in the low and ``hNext`` in the high 32 bits (`.stable`).
    private var payload: UInt64 = 0
    /// The address space (its `MM.id`).
    private var mm32: Int32
    /// The page number it tracks.
    private var address32: Int32
    /// Next item of the mm's address-ordered `rmap_list`.
    var next: Int32 = -1
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
    /// ``state`` in bits 0-1, ``hashIsChecksummed`` in bit 2, ``free`` in bit 3.
    private var bits: UInt8 = 0

    /// XXH3-64 of the page's contents when ksmd last hashed them (meaningless while `.stable`).
    /// The unstable tree's key is this masked with `KSMState.keyMask`; when ``hashIsChecksummed``
    /// is set, these are also the contents whose checksum is ``oldChecksum``, so a page hashing to
    /// the same value again has an unchanged checksum without computing it (see `cmpAndMergePage`).
    var hash: UInt64 {
        @inline(__always) get { payload }
        @inline(__always) set { payload = newValue }
    }
    /// The stable node listing it (only while `.stable`).
    var node: Int32 {
        @inline(__always) get { Int32(truncatingIfNeeded: payload) }
        @inline(__always) set { payload = payload & ~0xFFFF_FFFF | UInt64(UInt32(bitPattern: newValue)) }
    }
    /// Next in the stable node's list (`hlist`, only while `.stable`).
    var hNext: Int32 {
        @inline(__always) get { Int32(truncatingIfNeeded: payload >> 32) }
        @inline(__always) set { payload = payload & 0xFFFF_FFFF | UInt64(UInt32(bitPattern: newValue)) << 32 }
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
    /// Whether the slot is free.
    var free: Bool {
        get { bits & 8 != 0 }
        set { bits = newValue ? bits | 8 : bits & ~8 }
    }

    init(mm: Int, address: Int) {
        mm32 = Int32(truncatingIfNeeded: mm)
        address32 = Int32(truncatingIfNeeded: address)
    }

    var mm: Int { Int(mm32) }
    var address: Int { Int(address32) }
}

/// Bytes of the kernel's `struct ksm_rmap_item` on 64-bit: the unit of `general_profit`.
let kernelRmapItemBytes = 64
