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

    /// The current knob values.
    public var ksmKnobs: KSMKnobs { ksm.knobs }

    /// Writes one knob as `echo VALUE > /sys/kernel/mm/ksm/NAME` would, with the kernel's checks:
    /// EINVAL for values out of range (and pages_to_scan while the advisor runs), EBUSY for
    /// max_page_sharing and merge_across_nodes while KSM pages exist.
    public func setKSMKnob(_ name: String, _ value: KnobValue) throws(Errno) {
        func uint() throws(Errno) -> Int {
            guard let n = value.integer, n >= 0, n <= Int(UInt32.max) else { throw .EINVAL }
            return n
        }
        func bool() throws(Errno) -> Bool {
            guard let n = value.integer, n == 0 || n == 1 else { throw .EINVAL }
            return n == 1
        }
        switch name {
        case "run":
            let v = try uint()
            guard v <= 2 else { throw .EINVAL }
            if ksm.knobs.run != v {
                ksm.knobs.run = v
                if v & 2 != 0 { unmergeAndRemoveAllRmapItems() }
            }
        case "pages_to_scan":
            guard !ksm.knobs.advisorScanTime else { throw .EINVAL }
            ksm.knobs.pagesToScan = try uint()
        case "sleep_millisecs": ksm.knobs.sleepMillisecs = try uint()
        case "max_page_sharing":
            guard let v = value.integer, v >= 2, v <= Int(Int32.max) else { throw .EINVAL }
            if v == ksm.knobs.maxPageSharing { return }
            if ksm.pagesShared != 0 || !removeAllStableNodes() { throw .EBUSY }
            ksm.knobs.maxPageSharing = v
        case "merge_across_nodes":
            let v = try uint()
            guard v <= 1 else { throw .EINVAL }
            if (v == 1) == ksm.knobs.mergeAcrossNodes { return }
            if ksm.pagesShared != 0 || !removeAllStableNodes() { throw .EBUSY }
            ksm.knobs.mergeAcrossNodes = v == 1
        case "use_zero_pages": ksm.knobs.useZeroPages = try bool()
        case "smart_scan": ksm.knobs.smartScan = try bool()
        case "stable_node_chains_prune_millisecs": ksm.knobs.stableNodeChainsPruneMillisecs = try uint()
        case "advisor_mode":
            guard case .word(let w) = value, w == "none" || w == "scan-time" else { throw .EINVAL }
            let on = w == "scan-time"
            if on != ksm.knobs.advisorScanTime {
                ksm.knobs.advisorScanTime = on
                // set_advisor_defaults()
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
        case "advisor_max_cpu": ksm.knobs.advisorMaxCPU = try uint()
        case "advisor_min_pages_to_scan": ksm.knobs.advisorMinPagesToScan = try uint()
        case "advisor_max_pages_to_scan": ksm.knobs.advisorMaxPagesToScan = try uint()
        case "advisor_target_scan_time":
            let v = try uint()
            guard v >= 1 else { throw .EINVAL }
            ksm.knobs.advisorTargetScanTime = v
        default:
            throw .ENOENT
        }
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
    /// Throws EINVAL when pages_to_scan is 0 (ksmd would never finish a scan).
    public func runKSMD(fullScans: Int) throws(Errno) {
        if ksm.knobs.run != 1 { try setKSMKnob("run", .int(1)) }
        defer { ksm.knobs.run = 0 }
        let target = ksm.seqnr + fullScans
        while ksm.seqnr < target && !ksm.slots.isEmpty {
            guard ksm.knobs.pagesToScan > 0 else { throw .EINVAL }
            ksm.clockNanos = max(ksm.clockNanos, ksm.nextBatchNanos)
            ksmdBatch()
        }
    }

    /// Whether ksmd would run a batch now (`ksmd_should_run()`): run=1 and some mm registered.
    public var ksmdShouldRun: Bool { ksm.knobs.run == 1 && !ksm.slots.isEmpty }

    /// When ksmd's next batch is due, in simulated nanoseconds.
    public var ksmdNextBatchNanos: Int { ksm.nextBatchNanos }

    /// One wake-up of ksmd at the current simulated time: `ksm_do_scan(pages_to_scan)`, its CPU
    /// time, then `sleep_millisecs` until the next.
    /// A wake-up costs at least this much (scheduling), so time always moves.
    static let batchOverheadNanos = 1_000

    func ksmdBatch() {
        let scanned = ksmDoScan(ksm.knobs.pagesToScan)
        let cpu = Self.saturatingAdd(Self.saturatingMultiply(scanned, ksm.nanosPerPage), Self.batchOverheadNanos)
        ksm.cpuNanos = Self.saturatingAdd(ksm.cpuNanos, cpu)
        ksm.clockNanos = Self.saturatingAdd(ksm.clockNanos, cpu)
        ksm.nextBatchNanos = Self.saturatingAdd(ksm.clockNanos, Self.saturatingMultiply(ksm.knobs.sleepMillisecs, 1_000_000))
        ksm.clockNanos = ksm.nextBatchNanos
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? .max : .min) : r
    }

    static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? .max : r
    }

    /// Lets `seconds` of simulated time pass: ksmd runs its batches if run=1, and `event` is called
    /// at the times it asks for (mutators), interleaved in time order. `event` gets the current
    /// time and returns when it wants to be called next (`nil`: never).
    public func runFor(seconds: Double, firstEvent: Int?, event: (Int) throws -> Int?) rethrows {
        let end = Self.saturatingAdd(ksm.clockNanos, seconds * 1e9 >= Double(Int.max) ? .max : Int(seconds * 1e9))
        var nextEvent = firstEvent
        while ksm.clockNanos < Int.max {
            let nextBatch = ksmdShouldRun && ksm.knobs.pagesToScan > 0 ? max(ksm.nextBatchNanos, ksm.clockNanos) : Int.max
            let t = min(nextBatch, nextEvent ?? .max)
            if t > end { break }
            ksm.clockNanos = max(ksm.clockNanos, t)
            if let e = nextEvent, e <= nextBatch {
                nextEvent = try event(ksm.clockNanos)
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
    public func ksmStat(_ pid: ProcessID) -> KSMStat {
        let mm = mm(pid)
        var s = KSMStat()
        s.rmapItems = mm.ksmRmapItems
        s.zeroPages = mm.ksmZeroPages
        s.mergingPages = mm.ksmMergingPages
        s.processProfit = (mm.ksmMergingPages + mm.ksmZeroPages) * PageStore.pageSize - mm.ksmRmapItems * kernelRmapItemBytes
        s.mergeAny = mm.mergeAny
        s.mergeable = mm.vmas.contains { $0.flags.contains(.mergeable) }
        return s
    }

    /// The smaps `KSM:` value of a VMA in kB: its pages that are KSM pages (zero pages excluded).
    /// - Complexity: O(pages present in the VMA).
    public func ksmKilobytes(_ pid: ProcessID, _ vma: VMA) -> Int {
        var n = 0
        mm(pid).pageTable.forEachPresent(in: vma.range) { _, h in
            if h != Self.ksmZeroPTE && store.isKSM(h) { n += 1 }
        }
        return n * PageStore.pageSize / 1024
    }
}
