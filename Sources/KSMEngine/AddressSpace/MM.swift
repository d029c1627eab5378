/// A process's address space: its VMAs in address order, its page table and its KSM state.
///
/// The kernel's counterpart is `struct mm_struct`. A new one is made at spawn and at execve.
///
/// Every stored property is `@exclusivity(unchecked)`, as in `KSMState`: ksmd reads the VMAs,
/// page table and rmap list once per page or more.
final class MM {
    /// Distinguishes address spaces over the kernel's lifetime (an execve makes a new one).
    let id: Int
    /// Sorted, non-overlapping.
    @exclusivity(unchecked) var vmas: [VMA] = []
    @exclusivity(unchecked) var pageTable = PageTable()
    /// The page-table entries of shared mappings (their pages live in their object's page cache):
    /// a non-zero entry where a write faulted the page in, for smaps `Rss`. Not copied by fork
    /// (`vma_needs_copy()`: a shared VMA's entries are faulted again on use).
    @exclusivity(unchecked) var sharedPTEs = PageTable()
    /// The 2 MiB ranges (page >> 9) mapped by a PMD to a transparent huge page, with its index in
    /// `SimulatedKernel.largeFolios`. The subpages are in ``pageTable`` as well, like any page,
    /// so that ksmd's 4 KiB walk does not look here.
    @exclusivity(unchecked) var hugePMDs: [Int: Int32] = [:]
    /// The 2 MiB ranges that have a page table of 4 KiB entries (the PMD is not none): a write
    /// there never faults a huge page.
    @exclusivity(unchecked) var pteTables: Set<Int> = []
    /// PMD splits (`thp_split_pmd`) made by VMA splits, counted by the kernel.
    @exclusivity(unchecked) var pmdSplits = 0
    /// `MMF_VM_MERGE_ANY`: set by `prctl(PR_SET_MEMORY_MERGE, 1)`, inherited by fork and execve.
    @exclusivity(unchecked) var mergeAny = false
    /// `MMF_VM_MERGEABLE`: registered with ksmd (has an mm_slot).
    @exclusivity(unchecked) var ksmRegistered = false
    /// The heap's end, in pages; the heap is `[SimulatedKernel.heapBase, brk)`.
    @exclusivity(unchecked) var brk = SimulatedKernel.heapBase

    // KSM: the mm_slot's state and the per-process counters of /proc/PID/ksm_stat.
    /// First block of rmap items of the address-ordered `rmap_list` (-1: none; `RmapBlock`).
    @exclusivity(unchecked) var rmapHead: Int32 = -1
    /// `mm->ksm_rmap_items`.
    @exclusivity(unchecked) var ksmRmapItems = 0
    /// `mm->ksm_merging_pages`.
    @exclusivity(unchecked) var ksmMergingPages = 0
    /// `mm->ksm_zero_pages`.
    @exclusivity(unchecked) var ksmZeroPages = 0
    /// The process exited (or exec'd away from this mm) while ksmd still holds its slot
    /// (`ksm_test_exit()`).
    @exclusivity(unchecked) var exiting = false

    init(id: Int) { self.id = id }

    /// `map_count`.
    var mapCount: Int { vmas.count }

    /// Index of the VMA containing `page`.
    /// - Complexity: O(log VMAs).
    func index(containing page: Int) -> Int? {
        let i = firstIndex(endingAfter: page)
        return i < vmas.count && vmas[i].start <= page ? i : nil
    }

    /// Index of the first VMA whose end is above `page` (`find_vma()`), or `vmas.count`.
    /// - Complexity: O(log VMAs).
    /// ``firstIndex(endingAfter:)``, trying `hint` first (a walk in address order asks for the
    /// same VMA again and again).
    @inline(__always) func firstIndex(endingAfter page: Int, hint: Int) -> Int {
        if hint < vmas.count && vmas[hint].end > page && (hint == 0 || vmas[hint - 1].end <= page) { return hint }
        return firstIndex(endingAfter: page)
    }

    func firstIndex(endingAfter page: Int) -> Int {
        var lo = 0
        var hi = vmas.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if vmas[mid].end <= page { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Whether any VMA intersects `range` (`find_vma_intersection()`).
    func intersects(_ range: Range<Int>) -> Bool {
        let i = firstIndex(endingAfter: range.lowerBound)
        return i < vmas.count && vmas[i].start < range.upperBound
    }
}
