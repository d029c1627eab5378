extension SimulatedKernel {
    /// Changes the protection of `[at, at + pages)` (`mprotect()`).
    ///
    /// VMAs are changed one by one, as in `do_mprotect_pkey()`: a hole after the first VMA stops the
    /// walk with ENOMEM and keeps the changes made before it. Making a private mapping writable adds
    /// `VM_ACCOUNT`; making a never-written anonymous VMA read-only drops it.
    /// `pages` 0 changes nothing and succeeds, as `mprotect(2)` with length 0 does.
    /// - Throws: ``Errno/ESRCH`` (no such process); ``Errno/ENOMEM`` (holes, a range outside the
    ///   window, `pages` below 0 — the kernel's answer for a length that wraps around —, or
    ///   ``maxMapCount``); ``Errno/EACCES`` (write to a shared mapping that may not).
    /// - Complexity: O(VMAs in range × VMAs).
    public func mprotect(_ pid: ProcessID, at: Int, pages: Int, prot: Protection) throws(Errno) {
        let mm = try mm(pid)
        if pages == 0 { return }
        guard pages > 0, at >= 0 else { throw .ENOMEM }
        let end = Self.saturatingAdd(at, pages)
        var i = mm.firstIndex(endingAfter: at)
        guard i < mm.vmas.count, mm.vmas[i].start <= at else { throw .ENOMEM }
        var cursor = at
        while i < mm.vmas.count && cursor < end {
            let v = mm.vmas[i]
            if v.start > cursor { throw .ENOMEM }
            let partEnd = min(v.end, end)
            var newFlags = prot.vmFlags.union(v.flags.subtracting(.access))
            // VM_MAY* must allow each requested access.
            if newFlags.contains(.read) && !v.flags.contains(.mayRead) { throw .EACCES }
            if newFlags.contains(.write) && !v.flags.contains(.mayWrite) { throw .EACCES }
            if newFlags.contains(.exec) && !v.flags.contains(.mayExec) { throw .EACCES }
            if newFlags.contains(.write) {
                if v.flags.isDisjoint(with: [.account, .write, .hugeTLB, .shared, .noReserve]) {
                    newFlags.insert(.account)
                }
            } else if v.flags.contains(.account) && v.isAnonymous && !v.hasAnonVMA {
                newFlags.remove(.account)
            }
            try mm.modify(i, cursor..<partEnd, maxMapCount: maxMapCount) { $0.flags = newFlags }
            cursor = partEnd
            i = mm.firstIndex(endingAfter: cursor)
        }
        if cursor < end { throw .ENOMEM }
    }

    /// Gives advice about `[at, at + pages)` (`madvise()`).
    ///
    /// `mergeable` sets `VM_MERGEABLE` on the KSM-compatible VMAs in the range (silently ignoring the
    /// others) and registers the process with ksmd; `unmergeable` unshares and clears it; `dontNeed`
    /// drops the range's anonymous pages; `hugePage` and `noHugePage` set `VM_HUGEPAGE` or
    /// `VM_NOHUGEPAGE` and clear the other. `pages` 0 does nothing and succeeds, as `madvise(2)`
    /// with length 0 does.
    /// - Throws: ``Errno/ESRCH`` (no such process); ``Errno/EINVAL`` (`pages` below 0, or `at`
    ///   below 0 with the range reaching page 0: the kernel's answer for a range that wraps around);
    ///   ``Errno/ENOMEM`` (holes, after the mapped parts were handled; a range outside the window);
    ///   ``Errno/EAGAIN`` (a split refused at ``maxMapCount``); ``Errno/EINVAL`` (`dontNeed` on a
    ///   locked, `VM_PFNMAP` or hugetlb VMA).
    /// - Complexity: O(VMAs in range × VMAs + pages present).
    public func madvise(_ pid: ProcessID, at: Int, pages: Int, advice: Advice) throws(Errno) {
        let mm = try mm(pid)
        if pages == 0 { return }
        guard pages > 0 else { throw .EINVAL }
        let end = Self.saturatingAdd(at, pages)
        if at < 0 { throw end >= 0 ? .EINVAL : .ENOMEM }
        var start = at
        var unmapped = false
        var i = mm.firstIndex(endingAfter: start)
        while true {
            guard i < mm.vmas.count else { throw .ENOMEM }
            if start < mm.vmas[i].start {
                unmapped = true
                start = mm.vmas[i].start
                if start >= end { break }
            }
            let partEnd = min(mm.vmas[i].end, end)
            try advise(mm, i, start..<partEnd, advice)
            start = partEnd
            if start >= end { break }
            i = mm.firstIndex(endingAfter: start)
        }
        if unmapped { throw .ENOMEM }
    }

    private func advise(_ mm: MM, _ i: Int, _ range: Range<Int>, _ advice: Advice) throws(Errno) {
        let v = mm.vmas[i]
        var flags = v.flags
        switch advice {
        case .dontNeed:
            if !v.flags.isDisjoint(with: [.locked, .pfnMap, .hugeTLB]) { throw .EINVAL }
            zap(mm, range)
            return
        case .mergeable:
            guard !v.flags.contains(.mergeable), rules.isCompatible(flags: v.flags, backing: v.backing) else { return }
            ksmEnter(mm)
            flags.insert(.mergeable)
        case .unmergeable:
            guard v.flags.contains(.mergeable) else { return }
            unmergeKSMPages(mm, range)
            flags.remove(.mergeable)
        case .hugePage:
            // hugepage_madvise() (mm/khugepaged.c): flags only, on any VMA.
            flags.remove(.noHugePage)
            flags.insert(.hugePage)
        case .noHugePage:
            // hugepage_madvise(): flags only; huge pages already mapped stay.
            flags.remove(.hugePage)
            flags.insert(.noHugePage)
        }
        // madvise_update_vma(): unchanged flags split nothing.
        if flags == v.flags { return }
        do {
            try mm.modify(i, range, maxMapCount: maxMapCount) { $0.flags = flags }
        } catch {
            throw error == .ENOMEM ? .EAGAIN : error
        }
    }

    /// `prctl(PR_SET_MEMORY_MERGE)`: on, sets `VM_MERGEABLE` on every compatible VMA in place and
    /// registers the process; off, unshares and clears it on every VMA (also madvised ones), if it
    /// was on.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(VMAs + KSM pages).
    public func setMemoryMerge(_ pid: ProcessID, _ on: Bool) throws(Errno) {
        let mm = try mm(pid)
        if on {
            guard !mm.mergeAny else { return }
            ksmEnter(mm)
            mm.mergeAny = true
            for i in mm.vmas.indices where rules.isCompatible(flags: mm.vmas[i].flags, backing: mm.vmas[i].backing) {
                mm.vmas[i].flags.insert(.mergeable)
            }
        } else {
            guard mm.mergeAny else { return }
            for i in mm.vmas.indices where mm.vmas[i].flags.contains(.mergeable) {
                unmergeKSMPages(mm, mm.vmas[i].range)
                mm.vmas[i].flags.remove(.mergeable)
            }
            mm.mergeAny = false
        }
    }
}
