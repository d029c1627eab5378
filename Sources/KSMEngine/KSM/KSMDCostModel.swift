/// What ksmd's time costs: CPU per page visit by the path the visit took, per batch and per full
/// scan, and the sleep between batches as the kernel sleeps it. The simulator's clock
/// (``SimulatedKernel/simulatedSeconds``, ``SimulatedKernel/ksmdCPUSeconds``) runs on one.
///
/// **CPU.** A batch (one wake-up of `ksm_scan_thread()`, one `ksm_do_scan()`) is charged
/// ``batchNanos``, plus ``fullScanNanos`` for each full scan it ends or starts, plus for each page
/// it visited the charge of the visit's path (``Path``), plus the tree levels searched. ksmd's CPU
/// time is the sum of the batches' charges.
///
/// **Wall time.** The clock advances by a batch's charge, then ksmd sleeps as
/// `ksm_scan_thread()` does: `wait_event_freezable_timeout(ksm_iter_wait, ...,
/// msecs_to_jiffies(sleep_millisecs))`. The timeout is rounded up to whole jiffies at ``hz``
/// (`msecs_to_jiffies()`); `schedule_timeout()` arms a timer-wheel timer at `jiffies + timeout`, and
/// the wheel rounds its expiry up to the next bucket (`calc_index()` in kernel/time/timer.c: one
/// jiffy at level 0, 8 at level 1, ...), so ksmd wakes on a tick, between `timeout` and `timeout +
/// 1` jiffies after it went to sleep, then ``wakeLatencyNanos`` later it runs. A timeout of 0
/// jiffies (sleep_millisecs 0) does not sleep. Ticks are at multiples of `1 s / hz` of simulated
/// time.
///
/// ``default`` was calibrated with `ksmd-sim calibrate` on this project's machine (``calibrated``,
/// ``machine``); docs/time.md shows how close it comes to the kernel.
public struct KSMDCostModel: Equatable, Sendable {
    /// The paths a page visit can take through `cmp_and_merge_page()` (and smart_scan's skip in
    /// `scan_get_next_rmap_item()`), with their JSON names.
    public enum Path: String, CaseIterable, Sendable {
        /// A first visit: the rmap item is allocated (`alloc_rmap_item()`). Charged on top of the
        /// visit's path, which is ``checksumChanged`` (a new item's old checksum is 0).
        case newRmapItem = "new_rmap_item"
        /// The checksum differs from the last visit's (`calc_checksum()`): the page is volatile and
        /// the visit ends. Every first visit takes this path.
        case checksumChanged = "checksum_changed"
        /// A KSM page already listed from its stable node: the visit ends at once.
        case alreadyMerged = "already_merged"
        /// Replaced by the zero page (`try_to_merge_with_zero_page()`, use_zero_pages).
        case zeroPageMerge = "zero_page_merge"
        /// Found in the stable tree and merged into that KSM page (`try_to_merge_with_ksm_page()`).
        case stableTreeMerge = "stable_tree_merge"
        /// Unchanged, searched in both trees, no match: inserted into the unstable tree.
        case unstableInsert = "unstable_insert"
        /// Matched a page of the unstable tree: the two merge into a new KSM page
        /// (`try_to_merge_two_pages()`, `stable_tree_insert()`).
        case unstableMerge = "unstable_merge"
        /// Skipped by smart_scan (`should_skip_rmap_item()`): the page is not compared.
        case smartScanSkip = "smart_scan_skip"
        /// Per level of the stable tree a search walks (the bit length of `pages_shared`), for every
        /// visit that searches it.
        case stableTreeLevel = "stable_tree_level"
        /// Per level of the unstable tree a search walks (the bit length of the pages inserted in
        /// it this pass), for every visit that searches it.
        case unstableTreeLevel = "unstable_tree_level"

        /// The path's position in `allCases`.
        public var index: Int {
            switch self {
            case .newRmapItem: 0
            case .checksumChanged: 1
            case .alreadyMerged: 2
            case .zeroPageMerge: 3
            case .stableTreeMerge: 4
            case .unstableInsert: 5
            case .unstableMerge: 6
            case .smartScanSkip: 7
            case .stableTreeLevel: 8
            case .unstableTreeLevel: 9
            }
        }
    }

    /// CPU nanoseconds per visit (per level for the tree levels), indexed by ``Path/index``.
    var pageNanos: [Double]
    /// CPU nanoseconds per batch: waking, the mutex, `ksm_do_scan()`'s own work.
    public var batchNanos: Double
    /// CPU nanoseconds per full scan (`lru_add_drain_all()` at the start of each, the mm_slot walk).
    public var fullScanNanos: Double
    /// The kernel's timer frequency (`CONFIG_HZ`): sleeps are whole jiffies of `1 s / hz`.
    public var hz: Int
    /// Wall nanoseconds a batch takes beyond its CPU time, charged between the tick that ends
    /// ksmd's sleep and the batch: the timer softirq, the wake-up, the run queue, and waits inside
    /// the batch; not CPU time. (Fitted by `calibrate`; because sleeps end on ticks, it changes a
    /// pass's length only where it moves a batch's end past a tick.)
    public var wakeLatencyNanos: Double
    /// When the model was calibrated (`YYYY-MM-DD`), or a note.
    public var calibrated: String
    /// The machine it was calibrated on.
    public var machine: String

    /// A model charging `pageNanos` per visit by path (paths not given cost 0).
    ///
    /// - Throws: ``CostModelError`` when a charge is negative or not finite, or `hz` is not 1 to
    ///   10,000.
    public init(
        pageNanos: [Path: Double], batchNanos: Double, fullScanNanos: Double, hz: Int, wakeLatencyNanos: Double,
        calibrated: String = "", machine: String = ""
    ) throws(CostModelError) {
        self.init(
            uncheckedPageNanos: pageNanos, batchNanos: batchNanos, fullScanNanos: fullScanNanos, hz: hz,
            wakeLatencyNanos: wakeLatencyNanos, calibrated: calibrated, machine: machine)
        try check()
    }

    /// The charge of one visit by `path` (of one level, for the tree levels), in CPU nanoseconds.
    public subscript(path: Path) -> Double {
        get { pageNanos[path.index] }
        set { pageNanos[path.index] = newValue }
    }

    /// Refuses charges below 0 or not finite, and `hz` outside 1 to 10,000.
    func check() throws(CostModelError) {
        func finite(_ name: String, _ v: Double) throws(CostModelError) {
            guard v.isFinite && v >= 0 else {
                throw CostModelError("\(name) must be a number of nanoseconds, 0 or more, got \(v)")
            }
        }
        for p in Path.allCases { try finite("cpu_nanos.\(p.rawValue)", self[p]) }
        try finite("cpu_nanos.batch", batchNanos)
        try finite("cpu_nanos.full_scan", fullScanNanos)
        try finite("wake_latency_nanos", wakeLatencyNanos)
        guard (1...10_000).contains(hz) else { throw CostModelError("hz must be 1 to 10000, got \(hz)") }
    }

    // MARK: Charges

    /// ksmd's CPU nanoseconds for what `counts` records: ``batchNanos`` per batch,
    /// ``fullScanNanos`` per full scan, and each path's count times its charge. The simulated clock
    /// charges each batch this, rounded to whole nanoseconds (at least 1, so that time moves).
    public func cpuNanos(_ counts: KSMDPathCounts) -> Double {
        var sum = Double(counts.batches) * batchNanos + Double(counts.fullScans) * fullScanNanos
        for i in pageNanos.indices { sum += Double(counts.counts[i]) * pageNanos[i] }
        return sum
    }

    // MARK: Sleeps

    /// `msecs_to_jiffies(ms)`: whole jiffies at ``hz``, rounded up.
    public func jiffies(milliseconds ms: Int) -> Int {
        guard ms > 0 else { return 0 }
        let (p, o) = ms.multipliedReportingOverflow(by: hz)
        return o ? .max / 2 : (p + 999) / 1000
    }

    /// The jiffy count at simulated time `nanos` (ticks at multiples of `1 s / hz` from 0).
    public func jiffy(atNanos nanos: Int) -> Int {
        let n = max(nanos, 0)
        return n / 1_000_000_000 * hz + (n % 1_000_000_000) * hz / 1_000_000_000
    }

    /// The simulated time of tick `jiffy` (rounded up to a nanosecond).
    public func nanos(atJiffy jiffy: Int) -> Int {
        let seconds = jiffy / hz
        let rest = jiffy % hz
        let (s, o) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if o { return .max }
        return SimulatedKernel.saturatingAdd(s, (rest * 1_000_000_000 + hz - 1) / hz)
    }

    /// The tick a timer armed at `jiffy` for `timeout` jiffies fires on: the timer wheel's bucket
    /// (`calc_wheel_index()`, `calc_index()`: levels of 64 buckets, each 8 times coarser, the
    /// expiry rounded up to the next bucket of its level).
    public func timerExpiry(armedAt jiffy: Int, timeout: Int) -> Int {
        let expires = SimulatedKernel.saturatingAdd(jiffy, timeout)
        var level = 0
        // LVL_START(n) = (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT): 63, 504, 4032, ...
        while level < 8 && timeout >= 63 << (3 * level) { level += 1 }
        let shift = 3 * level
        return SimulatedKernel.saturatingAdd(expires >> shift, 1) << shift
    }

    /// When ksmd's next batch starts after a batch that ended at `end` (simulated nanoseconds) with
    /// `sleep_millisecs` `sleepMillisecs`: at once for a timeout of 0 jiffies, else at the tick its
    /// timer fires on (``timerExpiry(armedAt:timeout:)``) plus ``wakeLatencyNanos``.
    public func nextBatchNanos(afterBatchEndingAt end: Int, sleepMillisecs: Int) -> Int {
        let timeout = jiffies(milliseconds: sleepMillisecs)
        if timeout == 0 { return end }
        let tick = nanos(atJiffy: timerExpiry(armedAt: jiffy(atNanos: end), timeout: timeout))
        let latency = wakeLatencyNanos >= Double(Int.max) ? Int.max : Int(wakeLatencyNanos.rounded())
        return max(SimulatedKernel.saturatingAdd(tick, latency), end)
    }
}

/// A cost model that cannot be used: a malformed file, or a charge out of range. One line, e.g.
/// `cost model: cpu_nanos.first_visit: unknown path (known: new_rmap_item, ...)`.
public struct CostModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    /// `cost model: ` and the message.
    public var description: String { "cost model: \(message)" }
}
