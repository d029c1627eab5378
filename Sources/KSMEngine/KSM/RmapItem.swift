/// Reverse-mapping item: ksmd's record of one scanned page of one process.
///
/// The kernel's counterpart is `struct ksm_rmap_item` (64 bytes on 64-bit kernels, the figure the
/// profit counters use). Items live in one array, named by index; links are indices, -1 for none.
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
    /// Links in the stable node's list (`hlist`).
    var hPrev: Int32 = -1
    var hNext: Int32 = -1
    /// Unstable tree: the next item with the same key.
    var keyNext: Int32 = -1
    /// smart_scan's visit count and remaining skips.
    var age: UInt8 = 0
    var remainingSkips: UInt8 = 0
    var state: State = .none
    /// Low 8 bits of the pass that inserted it into the unstable tree.
    var seqnr: UInt8 = 0
    /// Whether ``oldChecksum`` is the checksum of the contents that hashed to ``hash``.
    var hashIsChecksummed = false
    /// Whether the slot is free.
    var free = false

    init(mm: Int, address: Int) {
        mm32 = Int32(truncatingIfNeeded: mm)
        address32 = Int32(truncatingIfNeeded: address)
    }

    var mm: Int { Int(mm32) }
    var address: Int { Int(address32) }
}

/// Bytes of the kernel's `struct ksm_rmap_item` on 64-bit: the unit of `general_profit`.
let kernelRmapItemBytes = 64
