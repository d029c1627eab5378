// Transparent huge pages (PMD-sized, 2 MiB), as measured on Linux 6.18 (docs/thp.md): the fault
// of a huge page, PMD splits, fork, and ksmd splitting a huge page when it merges a subpage.
// A huge page's subpages are ordinary pages of the page table as well, so ksmd's 4 KiB walk reads
// them as it reads any page; only merging looks at `PageStore.largeFolio(of:)`.

/// A PMD-sized transparent huge page: 512 subpages faulted together.
struct LargeFolio {
    /// The first page of the 2 MiB-aligned range it was faulted at, the same in every process
    /// that maps it (fork keeps addresses; mremap is not modelled).
    var start: Int
    /// Its subpages in order; one freed since (after a PMD split) is no longer its subpage
    /// (`PageStore.largeFolio(of:)` tells).
    var pages: [PageHandle]
}

extension SimulatedKernel {
    /// Pages in a PMD-mapped transparent huge page (`HPAGE_PMD_NR`, 2 MiB).
    public static let hugePagePages = 512

    /// The THP events of `/proc/vmstat` since the kernel was made: huge pages faulted, PMD splits,
    /// huge pages split (`thp_fault_fallback` stays 0: the simulator never fails an allocation).
    public var thpEvents: THPEvents {
        var e = thpCounters
        e.splitPMD += pmdSplitsOfGoneMMs + processes.values.reduce(0) { $0 + $1.pmdSplits }
        return e
    }

    /// Whether VMA `v` may map a huge page at the 2 MiB range `r` (`thp_vma_allowable_order()`
    /// and `thp_vma_suitable_order()` for anonymous memory): private anonymous memory (also a
    /// private `/dev/zero` mapping, and read-only memory, which a forced write faults as well),
    /// not `VM_NOHUGEPAGE`, `VM_HUGEPAGE` in `madvise` mode, the range wholly inside the VMA.
    func hugePageAllowed(_ v: VMA, range r: Int) -> Bool {
        guard v.isAnonymous, v.flags.isDisjoint(with: VMFlags.special.union([.shared, .hugeTLB, .noHugePage])) else {
            return false
        }
        switch thpMode {
        case .never: return false
        case .madvise: if !v.flags.contains(.hugePage) { return false }
        case .always: break
        }
        let start = r * Self.hugePagePages
        return start >= v.start && start + Self.hugePagePages <= v.end
    }

    /// Whether a write at `page` of `pid` would fault a PMD-mapped huge page now
    /// (`do_huge_pmd_anonymous_page()`): nothing is mapped there, the 2 MiB range has neither a
    /// huge page nor a page table of 4 KiB entries, and ``thpMode`` and the VMA allow one.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    public func mayFaultHugePage(_ pid: ProcessID, at page: Int) throws(Errno) -> Bool {
        let mm = try mm(pid)
        guard let i = mm.index(containing: page), mm.pageTable[page] == 0 else { return false }
        let r = page / Self.hugePagePages
        return mm.hugePMDs[r] == nil && !mm.pteTables.contains(r) && hugePageAllowed(mm.vmas[i], range: r)
    }

    /// The smaps `AnonHugePages:` value of a VMA in kB: its 2 MiB ranges mapped by a PMD.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(huge pages of the process).
    public func anonHugeKilobytes(_ pid: ProcessID, _ vma: VMA) throws(Errno) -> Int {
        let mm = try mm(pid)
        var n = 0
        for r in mm.hugePMDs.keys where r * Self.hugePagePages >= vma.start && (r + 1) * Self.hugePagePages <= vma.end {
            n += 1
        }
        return n * Self.hugePagePages * PageStore.pageSize / 1024
    }

    /// Faults a zero-filled huge page at range `r` of VMA `i` and maps it by a PMD
    /// (`do_huge_pmd_anonymous_page()`, `thp_fault_alloc`); returns the subpage at `page`.
    func faultHugePage(_ mm: MM, _ i: Int, range r: Int, page: Int) -> PageHandle {
        prepareAnonVMA(mm, i)
        let f = Int32(largeFolios.count)
        let start = r * Self.hugePagePages
        var pages: [PageHandle] = []
        pages.reserveCapacity(Self.hugePagePages)
        for k in 0..<Self.hugePagePages {
            let h = store.allocate()
            store.zero(h)
            store.setLargeFolio(h, f)
            mm.pageTable[start + k] = h
            pages.append(h)
        }
        largeFolios.append(LargeFolio(start: start, pages: pages))
        mm.hugePMDs[r] = f
        thpCounters.faultAlloc += 1
        return pages[page - start]
    }

    /// Splits the PMD mapping range `r` into 4 KiB entries of the same subpages
    /// (`__split_huge_pmd()`, `thp_split_pmd`); the huge page stays whole.
    func splitHugePMD(_ mm: MM, _ r: Int) {
        guard mm.hugePMDs.removeValue(forKey: r) != nil else { return }
        mm.pteTables.insert(r)
        thpCounters.splitPMD += 1
    }

    /// Before `range`'s pages are zapped (`zap_pmd_range()`): a huge page wholly inside loses its
    /// PMD (`zap_huge_pmd()`, no split; the range's PMD is none again), one partly inside has its
    /// PMD split.
    func zapHugePMDs(_ mm: MM, _ range: Range<Int>) {
        guard !mm.hugePMDs.isEmpty else { return }
        let n = Self.hugePagePages
        for r in mm.hugePMDs.keys.filter({ $0 * n < range.upperBound && ($0 + 1) * n > range.lowerBound }) {
            if range.lowerBound <= r * n && (r + 1) * n <= range.upperBound {
                mm.hugePMDs[r] = nil
            } else {
                splitHugePMD(mm, r)
            }
        }
    }

    /// After `range` was unmapped (`free_pgtables()`): the page tables of 2 MiB ranges no VMA
    /// reaches any more are freed, so their PMD is none again.
    func freePageTables(_ mm: MM, _ range: Range<Int>) {
        guard !mm.pteTables.isEmpty else { return }
        let n = Self.hugePagePages
        for r in mm.pteTables where r * n < range.upperBound && (r + 1) * n > range.lowerBound {
            let i = mm.firstIndex(endingAfter: r * n)
            if i >= mm.vmas.count || mm.vmas[i].start >= (r + 1) * n { mm.pteTables.remove(r) }
        }
    }

    /// Splits huge page `f` into 512 pages (`split_huge_page()`, `thp_split_page`): every PMD
    /// mapping it is split first (`thp_split_pmd` each), and every zero-filled subpage is unmapped
    /// in favour of the shared zero page (`try_to_map_unused_to_zeropage()`: measured on 6.18 for
    /// ksmd's splits whatever `shrink_underused` and `use_zero_pages` say). The zero page is no
    /// page of the process's (not in `Rss`, skipped by ksmd), so such an entry is modelled as
    /// none; the range keeps its page table. A subpage ksmd may still hold is freed when its
    /// visit ends (``releaseAfterVisit``).
    func splitHugePage(_ f: Int32) {
        guard let folio = largeFolios[Int(f)] else { return }
        largeFolios[Int(f)] = nil
        thpCounters.splitPage += 1
        store.noteWrite()
        let r = folio.start / Self.hugePagePages
        var zero = [Bool](repeating: false, count: folio.pages.count)
        for (k, h) in folio.pages.enumerated() where store.largeFolio(of: h) == f {
            store.setLargeFolio(h, -1)
            zero[k] = store.isZero(h)
        }
        for mm in processes.values {
            if mm.hugePMDs[r] == f { splitHugePMD(mm, r) }
            var unmapped = false
            for (k, h) in folio.pages.enumerated() where zero[k] && mm.pageTable[folio.start + k] == h {
                guard let i = mm.index(containing: folio.start + k), !mm.vmas[i].flags.contains(.locked) else { continue }
                mm.pageTable[folio.start + k] = 0
                releaseAfterVisit.append(h)
                unmapped = true
            }
            if unmapped { noteStaleUnstableItems(mm, folio.start..<(folio.start + Self.hugePagePages)) }
        }
    }

    /// Marks the items of this pass's unstable tree in `range` whose page is now unmapped.
    private func noteStaleUnstableItems(_ mm: MM, _ range: Range<Int>) {
        guard mm.ksmRegistered else { return }
        var item = ksm.firstItem(of: mm)
        while item >= 0 {
            let it = ksm.items[Int(item)]
            let address = ksm.address(ofItem: item)
            if address >= range.upperBound { break }
            if address >= range.lowerBound && it.state == .unstable && it.seqnr == UInt8(truncatingIfNeeded: ksm.seqnr)
                && mm.pageTable[address] == 0
            {
                staleUnstableItems.insert(item)
            }
            item = ksm.item(after: item)
        }
    }

    /// Frees the pages ``splitHugePage(_:)`` unmapped during a ksmd visit.
    func releasePagesAfterVisit() {
        for h in releaseAfterVisit { store.release(h) }
        releaseAfterVisit.removeAll(keepingCapacity: true)
    }
}
