/// One 8-byte entry of `/proc/PID/pagemap` (Documentation/admin-guide/mm/pagemap.rst).
struct PagemapEntry: Hashable {
    let rawValue: UInt64
    init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Bit 63: a page is mapped.
    var isPresent: Bool { rawValue & (1 << 63) != 0 }
    /// Bit 62: the page is swapped out.
    var isSwapped: Bool { rawValue & (1 << 62) != 0 }
    /// Bit 61: a file page or shared anonymous (shmem) page, not a private anonymous one.
    var isFileOrSharedAnon: Bool { rawValue & (1 << 61) != 0 }
    /// Bit 56: mapped by this process only (unset for the zero page, KSM pages, fork-shared pages).
    var isExclusive: Bool { rawValue & (1 << 56) != 0 }
    /// Bits 0-54: the page frame number of a present page; 0 unless the reader has CAP_SYS_ADMIN.
    var pfn: UInt64 { isPresent ? rawValue & ((1 << 55) - 1) : 0 }
    /// A present private anonymous page: what ksmd scans (`folio_test_anon()`), zero page included.
    var isPresentAnonymous: Bool { isPresent && !isFileOrSharedAnon }
}
