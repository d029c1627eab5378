// ksmd's controls: registration (__ksm_enter, __ksm_exit), the sysfs knobs with the kernel's
// validation, run=2, the daemon loop on the simulated clock, and the counters.

extension SimulatedKernel {
    // MARK: Registration

    /// `__ksm_enter()`: gives the mm a slot just behind the scan cursor (at the end when unmerging),
    /// so it is scanned last in the current pass.
    func ksmEnter(_ mm: MM) {
        guard !mm.ksmRegistered else { return }
        mm.ksmRegistered = true
        ksmMMs[mm.id] = mm
        if ksm.knobs.run & 2 != 0 || ksm.cursor == nil {
            ksm.slots.append(mm)
        } else {
            ksm.slots.insert(mm, at: ksm.cursor!)
            ksm.cursor! += 1
        }
    }

    /// `__ksm_exit()`: an mm without items that is not being scanned goes at once; otherwise its
    /// slot moves just after the cursor, for ksmd to clean up its items next.
    func ksmExit(_ mm: MM) {
        mm.exiting = true
        guard mm.ksmRegistered, let at = ksm.slots.firstIndex(where: { $0 === mm }) else { return }
        if at == ksm.cursor { return }
        if mm.rmapHead < 0 {
            dropSlot(at: at)
            return
        }
        ksm.slots.remove(at: at)
        if let c = ksm.cursor {
            let cur = at < c ? c - 1 : c
            ksm.cursor = cur
            ksm.slots.insert(mm, at: cur + 1)
        } else {
            ksm.slots.insert(mm, at: 0)
        }
    }

    /// Removes a slot, unregistering its mm. `MMF_VM_MERGE_ANY` stays (measured on Linux 6.18), so
    /// the mm's new mappings still get `VM_MERGEABLE`, though nothing registers it again.
    func dropSlot(at index: Int) {
        let mm = ksm.slots.remove(at: index)
        if let c = ksm.cursor, index < c { ksm.cursor = c - 1 }
        mm.ksmRegistered = false
        if mm.exiting || processes.values.allSatisfy({ $0 !== mm }) {
            ksmMMs[mm.id] = nil
            if ksmMMCache === mm { ksmMMCache = nil }
        }
    }

    /// Breaks every KSM page and KSM zero page mapped in `range` (`unmerge_ksm_pages()`).
    func unmergeKSMPages(_ mm: MM, _ range: Range<Int>) {
        var pages: [Int] = []
        mm.pageTable.forEachPresent(in: range) { page, h in
            if h == Self.ksmZeroPTE || store.isKSM(h) { pages.append(page) }
        }
        for page in pages { breakKSM(mm, page) }
    }

    // MARK: Knobs

    /// The current knob values (`/sys/kernel/mm/ksm`).
    public var ksmKnobs: KSMKnobs { ksm.knobs }

    /// Writes one knob as `echo VALUE > /sys/kernel/mm/ksm/NAME` would, with the kernel's checks.
    ///
    /// `run=2` unmerges every KSM page and frees every rmap item and stable node at once;
    /// `advisor_mode` resets `pages_to_scan` as `set_advisor_defaults()` does. Nothing changes
    /// when it throws.
    /// - Throws: ``KnobError`` naming the knob, the value and what it accepts, with the kernel's
    ///   errno: ``Errno/EINVAL`` (out of range, a word for a number, `pages_to_scan` while
    ///   `advisor_mode` is `scan-time`), ``Errno/EBUSY`` (`max_page_sharing` or
    ///   `merge_across_nodes` changed while KSM pages exist), ``Errno/ENOENT`` (no such knob; the
    ///   error lists those that exist).
    public func setKSMKnob(_ name: String, _ value: KnobValue) throws(KnobError) {
        try KSMKnobs.check(name, value)
        let allowed = KSMKnobs.allowed(name) ?? ""
        func refused(_ errno: Errno = .EINVAL, _ text: String = allowed) -> KnobError {
            KnobError(knob: name, value: value.sysfsText, allowed: text, errno: errno)
        }
        // KSMKnobs.check accepted the value: only unwrapping is left.
        if name == "advisor_mode" {
            guard case .word(let w) = value else { throw refused() }
            setAdvisor(w == "scan-time")
            return
        }
        guard let v = value.integer else { throw refused() }
        /// Whether a knob that needs an empty stable tree may change (`ksm_pages_shared` 0 and
        /// `remove_all_stable_nodes()` done).
        func stableTreeEmptied() -> Bool { ksm.pagesShared == 0 && removeAllStableNodes() }
        func busy() -> KnobError {
            refused(.EBUSY, "\(allowed), changed only while no KSM page exists (pages_shared is \(ksm.pagesShared))")
        }
        switch name {
        case "run":
            if ksm.knobs.run != v {
                ksm.knobs.run = v
                if v & 2 != 0 { unmergeAndRemoveAllRmapItems() }
            }
        case "pages_to_scan":
            guard !ksm.knobs.advisorScanTime else { throw refused(.EINVAL, "\(allowed) while advisor_mode is none") }
            ksm.knobs.pagesToScan = v
        case "sleep_millisecs":
            // sleep_millisecs_store() wakes ksm_iter_wait, and ksm_scan_thread()'s wait ends when the
            // value differs from the one it went to sleep with: a sleeping ksmd runs its next batch now.
            if v != ksm.knobs.sleepMillisecs && ksm.nextBatchNanos > ksm.clockNanos { ksm.nextBatchNanos = ksm.clockNanos }
            ksm.knobs.sleepMillisecs = v
        case "max_page_sharing":
            if v == ksm.knobs.maxPageSharing { return }
            guard stableTreeEmptied() else { throw busy() }
            ksm.knobs.maxPageSharing = v
        case "merge_across_nodes":
            if (v == 1) == ksm.knobs.mergeAcrossNodes { return }
            guard stableTreeEmptied() else { throw busy() }
            ksm.knobs.mergeAcrossNodes = v == 1
        case "use_zero_pages": ksm.knobs.useZeroPages = v == 1
        case "smart_scan": ksm.knobs.smartScan = v == 1
        case "stable_node_chains_prune_millisecs": ksm.knobs.stableNodeChainsPruneMillisecs = v
        case "advisor_max_cpu": ksm.knobs.advisorMaxCPU = v
        case "advisor_min_pages_to_scan": ksm.knobs.advisorMinPagesToScan = v
        case "advisor_max_pages_to_scan": ksm.knobs.advisorMaxPagesToScan = v
        case "advisor_target_scan_time": ksm.knobs.advisorTargetScanTime = v
        default:
            preconditionFailure("KSMKnobs.ranges names knob \(name), which setKSMKnob does not set")
        }
    }

    /// `advisor_mode_store()`: a change of mode resets the advisor (`set_advisor_defaults()`).
    private func setAdvisor(_ on: Bool) {
        guard on != ksm.knobs.advisorScanTime else { return }
        ksm.knobs.advisorScanTime = on
        if on {
            ksm.advisorStartScan = 0
            ksm.advisorScanTime = 0
            ksm.advisorChange = 0
            ksm.advisorCPUTime = 0
            ksm.knobs.pagesToScan = ksm.knobs.advisorMinPagesToScan
        } else {
            ksm.knobs.pagesToScan = 100
        }
    }

    /// Applies a whole set of knobs, all or nothing: every knob is checked first, as
    /// ``setKSMKnob(_:_:)`` checks it, and only then are the changed ones written, in an order the
    /// kernel accepts (run=2 first, so that knobs that need an empty stable tree may change after
    /// it; `advisor_mode` around `pages_to_scan` as it requires; any other `run` last).
    ///
    /// Afterwards ``ksmKnobs`` equals `knobs`. With the advisor on (`advisorScanTime`),
    /// `pagesToScan` is the advisor's: it must stay as it is, or, when the advisor is being turned
    /// on, equal `advisorMinPagesToScan`, which is what the kernel sets.
    /// - Throws: ``KnobError`` for the first refused knob in ``KSMKnobs/names`` order:
    ///   ``Errno/EINVAL`` (out of range, or `pages_to_scan` the advisor owns), ``Errno/EBUSY``
    ///   (`max_page_sharing` or `merge_across_nodes` changed while KSM pages exist and `run` does
    ///   not become 2). Nothing changes when it throws.
    public func setKSMKnobs(_ knobs: KSMKnobs) throws(KnobError) {
        let old = ksm.knobs
        let new = knobs.sysfs
        let unmerges = knobs.run == 2 && old.run != 2
        for ((name, text), (_, oldText)) in zip(new, old.sysfs) {
            guard let allowed = KSMKnobs.allowed(name) else { continue }
            try KSMKnobs.check(name, Int(text).map(KnobValue.int) ?? .word(text))
            if (name == "max_page_sharing" || name == "merge_across_nodes") && text != oldText && !unmerges
                && ksm.pagesShared != 0
            {
                throw KnobError(
                    knob: name, value: text,
                    allowed: "\(allowed), changed only while no KSM page exists (pages_shared is \(ksm.pagesShared))",
                    errno: .EBUSY)
            }
            if name == "pages_to_scan" && knobs.advisorScanTime {
                let expected = old.advisorScanTime ? old.pagesToScan : knobs.advisorMinPagesToScan
                if knobs.pagesToScan != expected {
                    throw KnobError(
                        knob: name, value: text,
                        allowed: old.advisorScanTime
                            ? "\(expected) (unchanged) while advisor_mode is scan-time"
                            : "\(expected) (advisor_min_pages_to_scan) when advisor_mode becomes scan-time",
                        errno: .EINVAL)
                }
            }
        }
        // The writes, in an order the kernel accepts; each was checked above. The two that need an
        // empty stable tree go first (after run=2), so that if one is still refused (a stable node
        // whose page is mapped) nothing else has been written.
        var writes: [(String, KnobValue)] = []
        if unmerges { writes.append(("run", .int(2))) }
        for name in ["max_page_sharing", "merge_across_nodes"] {
            if let i = new.firstIndex(where: { $0.0 == name }), new[i].1 != old.sysfs[i].1 {
                writes.append((name, .int(Int(new[i].1) ?? 0)))
            }
        }
        if old.advisorScanTime && !knobs.advisorScanTime { writes.append(("advisor_mode", .word("none"))) }
        for ((name, text), (_, oldText)) in zip(new, old.sysfs) where text != oldText || name == "pages_to_scan" {
            switch name {
            case "run", "advisor_mode", "max_page_sharing", "merge_across_nodes": continue
            case "pages_to_scan" where knobs.advisorScanTime: continue
            case "pages_to_scan": writes.append((name, .int(knobs.pagesToScan)))
            default: writes.append((name, Int(text).map(KnobValue.int) ?? .word(text)))
            }
        }
        if !old.advisorScanTime && knobs.advisorScanTime { writes.append(("advisor_mode", .word("scan-time"))) }
        if !unmerges && knobs.run != old.run { writes.append(("run", .int(knobs.run))) }
        for (name, value) in writes { try setKSMKnob(name, value) }
    }

    /// Removes every stable node, root first, as long as its page is no longer mapped; `false` at
    /// the first one still mapped (`remove_all_stable_nodes()`).
    func removeAllStableNodes() -> Bool {
        while linkedStableRoot >= 0 {
            let node = ksm.stableRoot
            if ksm.nodes[Int(node)].kind == .chain {
                var dup = ksm.nodes[Int(node)].head
                while dup >= 0 {
                    let next = ksm.nodes[Int(dup)].nextDup
                    if ksmGetPage(dup) != nil { return false }
                    dup = next
                }
                freeStableNodeChain(node)
            } else if ksmGetPage(node) != nil {
                return false
            }
        }
        return true
    }

    /// run=2 (`unmerge_and_remove_all_rmap_items()`): breaks every KSM page of every registered
    /// mm, frees every rmap item and stable node, and resets full_scans. Registrations stay.
    func unmergeAndRemoveAllRmapItems() {
        var i = 0
        ksm.cursor = ksm.slots.isEmpty ? nil : 0
        while i < ksm.slots.count {
            let mm = ksm.slots[i]
            if !mm.exiting {
                for v in mm.vmas where v.flags.contains(.mergeable) && v.hasAnonVMA { unmergeKSMPages(mm, v.range) }
            }
            ksm.cursor = i
            ksm.rmapLink = -1
            removeTrailingRmapItems(mm)
            if mm.exiting { dropSlot(at: i) } else { i += 1 }
        }
        ksm.cursor = nil
        _ = removeAllStableNodes()
        ksm.seqnr = 0
    }

    // MARK: The daemon

    /// Runs ksmd (run=1) until `fullScans` more full scans have completed, batch by batch with
    /// `sleep_millisecs` of simulated time between batches, then stops it (run=0). With no mm
    /// registered ksmd sleeps: the call returns at once, counting none.
    /// - Throws: ``Errno/EINVAL`` when `fullScans` is below 0, or when pages_to_scan is 0 and a
    ///   scan is due (ksmd would never finish one).
    /// - Complexity: O(`fullScans` × pages of the registered mms).
    public func runKSMD(fullScans: Int) throws(Errno) {
        guard fullScans >= 0 else { throw .EINVAL }
        ksm.knobs.run = 1  // from 0 or 2: nothing else happens on the way to 1
        defer { ksm.knobs.run = 0 }
        let target = Self.saturatingAdd(ksm.seqnr, fullScans)
        while ksm.seqnr < target && !ksm.slots.isEmpty {
            guard ksm.knobs.pagesToScan > 0 else { throw .EINVAL }
            ksm.clockNanos = max(ksm.clockNanos, ksm.nextBatchNanos)
            ksmdBatch()
            ksm.clockNanos = ksm.nextBatchNanos  // the sleep after the batch passes too
        }
    }

    /// Whether ksmd would run a batch now (`ksmd_should_run()`): run=1 and some mm registered.
    public var ksmdShouldRun: Bool { ksm.knobs.run == 1 && !ksm.slots.isEmpty }

    /// When ksmd's next batch is due, in simulated nanoseconds.
    public var ksmdNextBatchNanos: Int { ksm.nextBatchNanos }

    /// One wake-up of ksmd at the current simulated time: `ksm_do_scan(pages_to_scan)`, charged by
    /// the cost model for what its pages did (``KSMDCostModel``), which the clock and ksmd's CPU
    /// time advance by; the next batch is due when ksmd's sleep ends
    /// (``KSMDCostModel/nextBatchNanos(afterBatchEndingAt:sleepMillisecs:)``: jiffy-rounded, on a
    /// tick). The clock stays at the batch's end, so that others (mutators, ksmtuned) act during
    /// ksmd's sleep.
    func ksmdBatch() {
        let before = ksm.paths
        let skippedBefore = ksm.pagesSkipped
        ksmDoScan(ksm.knobs.pagesToScan)
        ksm.paths.batches &+= 1
        let cpu = batchCPUNanos(from: before, skipped: ksm.pagesSkipped &- skippedBefore)
        ksm.cpuNanos = Self.saturatingAdd(ksm.cpuNanos, cpu)
        ksm.clockNanos = Self.saturatingAdd(ksm.clockNanos, cpu)
        onBatchEnd?()
        ksm.nextBatchNanos = ksm.costModel.nextBatchNanos(
            afterBatchEndingAt: ksm.clockNanos, sleepMillisecs: ksm.knobs.sleepMillisecs)
    }

    /// The CPU nanoseconds of the batch since `before` (whole nanoseconds, at least 1).
    private func batchCPUNanos(from before: KSMDPathCounters, skipped: Int) -> Int {
        let m = ksm.costModel
        let now = ksm.paths
        var sum = m.batchNanos + Double(now.fullScans &- before.fullScans) * m.fullScanNanos
        for p in KSMDCostModel.Path.allCases {
            sum += Double(now.count(p, skipped: skipped) &- before.count(p, skipped: 0)) * m[p]
        }
        let n = sum.rounded()
        return n >= Double(Int.max) ? .max : max(Int(n), 1)
    }

    /// The cost model of the clock (``KSMDCostModel/default`` unless set): what each batch, page
    /// visit and sleep of ksmd costs in simulated time. Set it before the run; a change applies
    /// from the next batch.
    public var costModel: KSMDCostModel {
        get { ksm.costModel }
        set { ksm.costModel = newValue }
    }

    /// How many of ksmd's page visits took each path, and its batches and full scans, since the
    /// kernel started (never reset, not even by run=2).
    public var ksmdPathCounts: KSMDPathCounts {
        let p = ksm.paths
        var c = KSMDPathCounts()
        c.batches = p.batches
        c.fullScans = p.fullScans
        for path in KSMDCostModel.Path.allCases { c[path] = p.count(path, skipped: ksm.pagesSkipped) }
        return c
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? .max : .min) : r
    }

    static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? .max : r
    }

    /// Lets `seconds` of simulated time pass: ksmd runs its batches if run=1, ksmtuned adjusts
    /// the knobs every monitor interval while it runs (``startKSMTuned(_:)``), and `event` is
    /// called at the times it asks for (mutators), interleaved in time order; at equal times the
    /// event comes first, then ksmtuned, then ksmd's batch. `event` gets the current time and
    /// returns when it wants to be called next (`nil`: never).
    /// - Throws: ``Errno/EINVAL`` when `seconds` is below 0 or not a number (nothing happens);
    ///   whatever `event` throws.
    /// - Complexity: O(batches and events in the time × their cost).
    public func runFor(seconds: Double, firstEvent: Int?, event: (Int) throws -> Int?) throws {
        guard seconds >= 0 else { throw Errno.EINVAL }  // also NaN
        let end = Self.saturatingAdd(ksm.clockNanos, seconds * 1e9 >= Double(Int.max) ? .max : Int(seconds * 1e9))
        var nextEvent = firstEvent
        while ksm.clockNanos < Int.max {
            let nextBatch = ksmdShouldRun && ksm.knobs.pagesToScan > 0 ? max(ksm.nextBatchNanos, ksm.clockNanos) : Int.max
            let t = min(nextBatch, nextEvent ?? .max, tunedNextNanos)
            if t > end { break }
            ksm.clockNanos = max(ksm.clockNanos, t)
            if let e = nextEvent, e <= nextBatch, e <= tunedNextNanos {
                nextEvent = try event(ksm.clockNanos)
            } else if tunedNextNanos <= nextBatch {
                ksmtunedWake()
            } else {
                ksmdBatch()
            }
        }
        ksm.clockNanos = max(ksm.clockNanos, end)
    }

    /// Simulated nanoseconds since the kernel started.
    public var clockNanos: Int { ksm.clockNanos }

    /// ksmd's CPU time so far, in simulated seconds.
    public var ksmdCPUSeconds: Double { Double(ksm.cpuNanos) / 1e9 }

    /// Simulated seconds since the kernel started.
    public var simulatedSeconds: Double { Double(ksm.clockNanos) / 1e9 }

    func advisorStartScan() {
        if ksm.knobs.advisorScanTime { ksm.advisorStartScan = ksm.clockNanos }
    }

    /// `scan_time_advisor()`, with its integer arithmetic (unsigned long, wrapping) on the simulated
    /// clock; the result is stored in the kernel's 32-bit `pages_to_scan`.
    func advisorStopScan() {
        guard ksm.knobs.advisorScanTime else { return }
        var scanTime = UInt64(max(0, ksm.clockNanos - ksm.advisorStartScan)) / 1_000_000 / 1000
        if scanTime == 0 { scanTime = 1 }
        let cpuTime = UInt64(max(0, ksm.cpuNanos))
        let cpuDiffMs = (cpuTime &- UInt64(max(0, ksm.advisorCPUTime))) / 1000 / 1000
        var cpuPercent = UInt32(truncatingIfNeeded: (cpuDiffMs &* 100) / (scanTime &* 1000))
        if cpuPercent == 0 { cpuPercent = 1 }
        let lastScanTime = ksm.advisorScanTime != 0 ? UInt64(ksm.advisorScanTime) : scanTime
        var factor = UInt64(ksm.knobs.advisorTargetScanTime) &* 100 / scanTime
        if factor == 0 { factor = 1 }
        var change = scanTime &* 100 / lastScanTime
        if change == 0 { change = 1 }
        change = ((100 - 30) &* UInt64(ksm.advisorChange) &+ 30 &* change) / 100
        var pages = UInt64(ksm.knobs.pagesToScan) &* 100 / factor
        pages = pages &* change / 100
        var perPageCost = UInt64(ksm.knobs.pagesToScan) / UInt64(cpuPercent)
        if perPageCost == 0 { perPageCost = 1 }
        pages = min(pages, perPageCost &* UInt64(ksm.knobs.advisorMaxCPU))
        pages = max(pages, perPageCost &* 10)
        pages = min(pages, UInt64(ksm.knobs.advisorMaxPagesToScan))
        ksm.advisorChange = Int(truncatingIfNeeded: change & 0x7FFF_FFFF_FFFF_FFFF)
        ksm.advisorScanTime = Int(scanTime)
        ksm.advisorCPUTime = Int(cpuTime)
        ksm.knobs.pagesToScan = Int(UInt32(truncatingIfNeeded: pages))
    }

    // MARK: Counters

    /// The global counters of /sys/kernel/mm/ksm.
    public var ksmCounters: KSMCounters {
        var c = KSMCounters()
        c.fullScans = ksm.seqnr
        c.pagesShared = ksm.pagesShared
        c.pagesSharing = ksm.pagesSharing
        c.pagesUnshared = ksm.pagesUnshared
        c.pagesVolatile = ksm.pagesVolatile
        c.pagesScanned = ksm.pagesScanned
        c.pagesSkipped = ksm.pagesSkipped
        c.stableNodeChains = ksm.stableNodeChains
        c.stableNodeDups = ksm.stableNodeDups
        c.ksmZeroPages = ksm.zeroPages
        c.generalProfit = ksm.generalProfit
        return c
    }

    /// A process's /proc/PID/ksm_stat.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(VMAs).
    public func ksmStat(_ pid: ProcessID) throws(Errno) -> KSMStat {
        let mm = try mm(pid)
        var s = KSMStat()
        s.rmapItems = mm.ksmRmapItems
        s.zeroPages = mm.ksmZeroPages
        s.mergingPages = mm.ksmMergingPages
        s.processProfit = (mm.ksmMergingPages + mm.ksmZeroPages) * PageStore.pageSize - mm.ksmRmapItems * kernelRmapItemBytes
        s.mergeAny = mm.mergeAny
        s.mergeable = mm.vmas.contains { $0.flags.contains(.mergeable) }
        return s
    }

    /// The smaps `Rss:` value of a VMA in kB: the pages its page table maps, anonymous, KSM and
    /// shared-mapping pages alike, the zero page excluded (`smaps_pte_entry()` counts only what
    /// `vm_normal_page()` returns).
    ///
    /// `vma` is one of ``vmas(_:)``; for one that has changed since, the pages of its range count.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(pages present in the VMA).
    public func residentKilobytes(_ pid: ProcessID, _ vma: VMA) throws(Errno) -> Int {
        let mm = try mm(pid)
        var n = 0
        mm.pageTable.forEachPresent(in: vma.range) { _, h in
            if h != Self.ksmZeroPTE { n += 1 }  // the zero page is no page of the process's (vm_normal_page())
        }
        mm.sharedPTEs.forEachPresent(in: vma.range) { _, _ in n += 1 }
        return n * PageStore.pageSize / 1024
    }

    /// The smaps `KSM:` value of a VMA in kB: its pages that are KSM pages (zero pages excluded).
    ///
    /// `vma` is one of ``vmas(_:)``; for one that has changed since, the pages of its range count.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(pages present in the VMA).
    public func ksmKilobytes(_ pid: ProcessID, _ vma: VMA) throws(Errno) -> Int {
        var n = 0
        try mm(pid).pageTable.forEachPresent(in: vma.range) { _, h in
            if h != Self.ksmZeroPTE && store.isKSM(h) { n += 1 }
        }
        return n * PageStore.pageSize / 1024
    }
}
