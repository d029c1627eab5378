extension SimulatedKernel {
    /// Sets the heap's size to `pages` pages (`brk()`): grows it by expanding the heap VMA or adding
    /// one, or shrinks it by unmapping.
    ///
    /// Growth needs a free page between the new end and the next VMA; it fails with ENOMEM (the
    /// kernel's brk returns the old break) without changing anything. Under the Linux 6.17 rules the
    /// heap gets `VM_MERGEABLE` before the merge attempt in a merge-any process.
    /// - Throws: ``Errno/ESRCH`` for a process that was never spawned or has exited; ``Errno/ENOMEM``
    ///   for a size below 0 or above ``heapRegion``'s, or growth into another mapping or above
    ///   ``maxMapCount``, with nothing changed.
    /// - Complexity: O(VMAs).
    public func setHeapSize(_ pid: ProcessID, pages: Int) throws(Errno) {
        let mm = try mm(pid)
        guard pages >= 0, pages <= Self.heapRegion.count else { throw .ENOMEM }
        let newBrk = Self.heapBase + pages
        let oldBrk = mm.brk
        if newBrk == oldBrk { return }
        if newBrk < oldBrk {
            try unmap(mm, newBrk..<oldBrk)
            mm.brk = newBrk
            return
        }
        let i = mm.firstIndex(endingAfter: oldBrk)
        if i < mm.vmas.count && newBrk + 1 > mm.vmas[i].start { throw .ENOMEM }

        // do_brk_flags()
        var flags: VMFlags = [.read, .write, .mayRead, .mayWrite, .mayExec, .account]
        let early = rules.setsFlagEarly(.brk)
        if mm.mergeAny && early && rules.isCompatible(flags: flags, backing: .anonymous) {
            flags.insert(.mergeable)
            ksmVMAFlagsSet(mm)
        }
        if mm.mapCount > maxMapCount { throw .ENOMEM }
        let proposed = VMA(start: oldBrk, end: newBrk, flags: flags, object: nil, pgoff: oldBrk, backing: .anonymous)
        let prevIsHeap = i > 0 && mm.vmas[i - 1].end == oldBrk && mm.vmas[i - 1].start >= Self.heapBase
        if prevIsHeap {
            // Only the heap VMA itself may be expanded (vma_merge_new_range() in just_expand mode).
            if mm.insertMerging(proposed, justExpand: true) {
                mm.brk = newBrk
                return
            }
        } else {
            mm.vmas.insert(proposed, at: i)
        }
        if mm.mergeAny && !early && rules.isCompatible(flags: flags, backing: .anonymous) {
            mm.vmas[i].flags.insert(.mergeable)
            ksmVMAFlagsSet(mm)
        }
        mm.brk = newBrk
    }

    /// Forks `pid`: the child gets a copy of every VMA, shares every page copy-on-write (shared
    /// mappings stay shared), inherits `PR_SET_MEMORY_MERGE` and is registered with ksmd if the
    /// parent is. A VMA with an anon_vma gets a new one linked to its parent's, so that it does not
    /// merge with new neighbours (`anon_vma_fork()`).
    /// - Returns: The child's process ID.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited; no child is made.
    /// - Complexity: O(VMAs + pages present).
    public func fork(_ pid: ProcessID) throws(Errno) -> ProcessID {
        let parent = try mm(pid)
        let (childPID, child) = spawnProcess()
        child.mergeAny = parent.mergeAny
        child.brk = parent.brk
        child.vmas = parent.vmas
        for i in child.vmas.indices where child.vmas[i].hasAnonVMA {
            child.vmas[i].anonVMA = newAnonVMA()
            child.vmas[i].anonChain = parent.vmas[i].anonChain + 1
        }
        for v in parent.vmas {
            parent.pageTable.forEachPresent(in: v.range) { page, h in
                // A KSM zero page's entry is copied and counted for the child too (measured on 6.18).
                if h == Self.ksmZeroPTE {
                    ksm.zeroPages += 1
                    child.ksmZeroPages += 1
                } else {
                    store.retain(h)
                }
                child.pageTable[page] = h
            }
        }
        // copy_huge_pmd(): the child maps the same huge pages by PMD; page tables are copied.
        child.hugePMDs = parent.hugePMDs
        child.pteTables = parent.pteTables
        if parent.ksmRegistered { ksmEnter(child) }
        return childPID
    }

    /// Replaces the process's address space with a new, empty one (`execve()`); `PR_SET_MEMORY_MERGE`
    /// is inherited and re-registers the new address space.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(VMAs + pages present).
    public func exec(_ pid: ProcessID) throws(Errno) {
        let old = try mm(pid)
        let new = newMM()
        new.mergeAny = old.mergeAny
        tearDown(old)
        processes[pid] = new
        if new.mergeAny { ksmEnter(new) }
    }

    /// Ends the process, unmapping everything; its ``ProcessID`` is not reused.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has already exited.
    /// - Complexity: O(VMAs + pages present).
    public func exit(_ pid: ProcessID) throws(Errno) {
        tearDown(try mm(pid))
        processes[pid] = nil
    }

    /// `mmput()`: ksm_exit() first, then every page unmapped.
    func tearDown(_ mm: MM) {
        ksmExit(mm)
        for v in mm.vmas { zap(mm, v.range) }
        mm.vmas = []
        mm.pteTables = []
        pmdSplitsOfGoneMMs += mm.pmdSplits
        mm.pmdSplits = 0
    }
}
