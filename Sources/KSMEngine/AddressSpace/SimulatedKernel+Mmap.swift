extension SimulatedKernel {
    /// Maps `pages` pages: at page `at` (`MAP_FIXED_NOREPLACE`), or where the kernel would place it
    /// (top-down from the window's end) when `at` is `nil`. Returns the first page.
    ///
    /// Decides `VM_MERGEABLE` before or after the attempt to merge with the neighbours as the rule
    /// set says (`can_set_ksm_flags_early()`), then merges like `vma_merge_new_range()`.
    /// Anonymous mappings ignore `request.offset`, as the kernel does.
    ///
    /// The errors are the ones Linux 6.18 gives for the same call, checked in its order (measured
    /// with `mmap(2)`, a page count standing for a length of `pages * 4096` bytes):
    /// - Throws: ``Errno/ESRCH`` (no such process); ``Errno/EINVAL`` (`pages` is 0);
    ///   ``Errno/ENOMEM`` (`pages` below 0, a length no address space holds; above
    ///   ``maxMapCount``; a range outside the window; no room); ``Errno/EEXIST`` (the fixed range is
    ///   taken); ``Errno/EOVERFLOW`` (a file, shmem, DAX or device mapping whose `offset` is below 0
    ///   or whose `offset + pages` exceeds ``maxFileOffsetPages``); ``Errno/EINVAL`` (a file name
    ///   mapped before with another backing). Nothing changes when it throws.
    /// - Complexity: O(VMAs).
    @discardableResult
    public func mmap(_ pid: ProcessID, at: Int?, pages: Int, prot: Protection, _ request: MapRequest) throws(Errno) -> Int {
        let mm = try mm(pid)
        guard pages != 0 else { throw .EINVAL }
        guard pages > 0 else { throw .ENOMEM }  // PAGE_ALIGN(len) of a "negative" length
        if mm.mapCount > maxMapCount { throw .ENOMEM }
        let start: Int
        if let at {
            guard at >= 0, at <= Self.windowPages - pages else { throw .ENOMEM }
            if mm.intersects(at..<(at + pages)) { throw .EEXIST }
            start = at
        } else {
            guard let s = topDownGap(mm, pages: pages) else { throw .ENOMEM }
            start = s
        }
        // file_mmap_ok(): the offset and length must fit the file's largest size.
        if request.backing != .anonymous {
            guard request.offset >= 0, request.offset <= Self.maxFileOffsetPages - pages else { throw .EOVERFLOW }
        }

        var flags = prot.vmFlags.union([.mayRead, .mayWrite, .mayExec])
        if request.shared { flags.formUnion([.shared, .mayShare]) }
        if request.noReserve { flags.insert(.noReserve) }  // overcommit_memory is not 2
        if !request.shared && !request.noReserve && prot.contains(.write) {
            flags.insert(.account)  // accountable_mapping()
        }
        let cls = request.backing.mappingClass(shared: request.shared)
        let early = rules.setsFlagEarly(cls)
        if mm.mergeAny && early && rules.isCompatible(flags: flags, backing: request.backing) {
            flags.insert(.mergeable)
            ksmVMAFlagsSet(mm)
        }
        let object = try object(for: request)
        let proposed = VMA(
            start: start, end: start + pages, flags: flags, object: object,
            pgoff: object == nil ? start : request.backing == .anonymous ? 0 : request.offset, backing: request.backing,
            isAnonymous: object == nil || (!request.shared && request.file == "/dev/zero"))
        if mm.insertMerging(proposed) { return start }

        // A new VMA: the driver's legacy .mmap hook runs, then (late) the KSM flag.
        let i = mm.index(containing: start)!
        if case .device(let driverFlags) = request.backing { mm.vmas[i].flags.formUnion(driverFlags) }
        if mm.mergeAny && !early && rules.isCompatible(flags: mm.vmas[i].flags, backing: request.backing) {
            mm.vmas[i].flags.insert(.mergeable)
            ksmVMAFlagsSet(mm)
        }
        return start
    }

    /// `ksm_vma_flags()` set `VM_MERGEABLE` on a merge-any process's new mapping: it re-registers an
    /// mm that ksmd dropped after a scan found nothing mergeable in it (a Linux 6.18 fix).
    func ksmVMAFlagsSet(_ mm: MM) {
        if !mm.ksmRegistered { ksmEnter(mm) }
    }

    /// The highest free range of `pages` pages below the window's end, outside the heap region
    /// (`vm_unmapped_area()` top-down).
    func topDownGap(_ mm: MM, pages: Int) -> Int? {
        var limit = Self.windowPages
        for v in mm.vmas.reversed() {
            if let s = fit(v.end, limit, pages) { return s }
            limit = min(limit, v.start)
        }
        return fit(0, limit, pages)
    }

    private func fit(_ low: Int, _ high: Int, _ pages: Int) -> Int? {
        var high = high
        if high > Self.heapRegion.lowerBound && high - pages < Self.heapRegion.upperBound {
            // Skip the heap region.
            if high - pages >= max(low, Self.heapRegion.upperBound) { return high - pages }
            high = min(high, Self.heapRegion.lowerBound)
        }
        return high - pages >= low ? high - pages : nil
    }

    /// Unmaps `[at, at + pages)`; holes are fine.
    ///
    /// - Throws: ``Errno/ESRCH`` (no such process); ``Errno/EINVAL`` (`pages` 0 or below, `at`
    ///   below 0, or a range that leaves the window: `munmap(2)`'s answer for a range outside the
    ///   address space); ``Errno/ENOMEM`` (a VMA would be split in three at ``maxMapCount``).
    ///   Nothing changes when it throws.
    /// - Complexity: O(VMAs + pages present).
    public func munmap(_ pid: ProcessID, at: Int, pages: Int) throws(Errno) {
        let mm = try mm(pid)
        guard pages > 0, at >= 0, at <= Self.windowPages - pages else { throw .EINVAL }
        try unmap(mm, at..<(at + pages))
    }

    /// The largest `offset + pages` of a mapping of a file, shmem object or device: the kernel's
    /// `MAX_LFS_FILESIZE` (2^63 - 1 bytes) in whole pages less one (measured on Linux 6.18:
    /// `mmap(2)` of one page at page offset 2^51 - 2 works, at 2^51 - 1 it gives EOVERFLOW).
    public static let maxFileOffsetPages = (1 << 51) - 1

    func unmap(_ mm: MM, _ range: Range<Int>) throws(Errno) {
        var i = mm.firstIndex(endingAfter: range.lowerBound)
        guard i < mm.vmas.count, mm.vmas[i].start < range.upperBound else { return }
        if mm.vmas[i].start < range.lowerBound {
            if range.upperBound < mm.vmas[i].end && mm.mapCount >= maxMapCount { throw .ENOMEM }
            mm.split(i, at: range.lowerBound)
            i += 1
        }
        var j = i
        while j < mm.vmas.count && mm.vmas[j].start < range.upperBound {
            if mm.vmas[j].end > range.upperBound { mm.split(j, at: range.upperBound) }
            zap(mm, mm.vmas[j].range)
            j += 1
        }
        mm.vmas.removeSubrange(i..<j)
        freePageTables(mm, range)
    }

    /// Drops the anonymous pages mapped in `range` (`zap_page_range()`).
    func zap(_ mm: MM, _ range: Range<Int>) {
        zapHugePMDs(mm, range)
        for h in mm.pageTable.removeAll(in: range) { unmapPage(mm, h) }
        _ = mm.sharedPTEs.removeAll(in: range)
    }

    /// Releases one mapping of an anonymous page (or of a KSM zero page).
    func unmapPage(_ mm: MM, _ page: PageHandle) {
        if page == Self.ksmZeroPTE { unmapZeroPage(mm) } else { store.release(page) }
    }
}
