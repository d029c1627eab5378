/// Reverse-mapping item: ksmd's record of one scanned page of one process.
///
/// The kernel's counterpart is `struct ksm_rmap_item` (64 bytes on 64-bit kernels, the figure the
/// profit counters use). Items live in one array, named by index; links are indices, -1 for none.
/// 40 bytes.
struct RmapItem {
    enum State: UInt8 {
        case none
        /// A node of the unstable tree (`UNSTABLE_FLAG`), inserted in pass `seqnr`.
        case unstable
        /// Listed from a stable node (`STABLE_FLAG`).
        case stable
    }

    /// XXH3-64 of the page's contents when ksmd last hashed them. The unstable tree's key is this
    /// masked with `KSMState.keyMask`; when ``hashIsChecksummed`` is set, these are also the contents
    /// whose checksum is ``oldChecksum``, so a page hashing to the same value again has an unchanged
    /// checksum without computing it (see `cmpAndMergePage`).
    var hash: UInt64 = 0
    /// The address space (its `MM.id`).
    private var mm32: Int32
    /// The page number it tracks.
    private var address32: Int32
    /// Next item of the mm's address-ordered `rmap_list`.
    var next: Int32 = -1
    /// The checksum at the previous visit (0 for a new item).
    var oldChecksum: UInt32 = 0
    /// The stable node listing it (when `.stable`).
    var node: Int32 = -1
    /// Next in the stable node's list (`hlist`, when `.stable`).
    var hNext: Int32 = -1
    /// The previous item in the stable node's list when `.stable`; the next unstable item with the
    /// same key when `.unstable`. An item is in one tree at a time, and each use writes the link
    /// when the item enters that tree, so one field serves both (as the kernel's union does).
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

    var hPrev: Int32 {
        get { link }
        set { link = newValue }
    }
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
