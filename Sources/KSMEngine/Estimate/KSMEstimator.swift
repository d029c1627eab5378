import Glibc

/// Estimates what the kernel's KSM would reach on live processes with `PR_SET_MEMORY_MERGE` on and
/// the default knobs, after ksmd converges: "what would KSM save on this running process?".
///
/// Read-only, and the kernel's permission checks apply: for each process it reads
/// `/proc/PID/smaps` (VMAs and their `VmFlags:`), `/proc/PID/pagemap` (which pages are present
/// private anonymous pages) and `/proc/PID/mem` (their bytes, opened `O_RDONLY`). The rule set
/// decides which VMAs would become `VM_MERGEABLE`; their present anonymous pages, less the shared
/// zero page's mappings, are copied into a fresh ``SimulatedKernel`` (see `KSMSnapshot`), where
/// ksmd runs until its counters stop changing.
///
/// The same estimate runs on a snapshot captured earlier (``estimate(snapshot:)``, a
/// ``SnapshotFile``): live processes and snapshots are two sources of the same process images.
///
/// ```swift
/// let estimate = try KSMEstimator().estimate(pids: [getpid()])
/// print(estimate.text)       // or estimate.json
/// estimate.savedBytes        // (pages_sharing + ksm_zero_pages) * 4096
/// ```
public struct KSMEstimator: Sendable {
    /// What to estimate and how.
    public struct Options: Sendable {
        /// The eligibility rules (`ksm_compatible()`).
        public var rules: EligibilityRules = .linux6_17
        /// Only VMAs (parts of VMAs) in this address range are looked at; `nil`: all.
        public var range: Range<UInt64>?
        /// The most pages the snapshot may hold (``SimulatedKernel/memoryBudgetPages``); more present
        /// anonymous pages than this are refused before any is read.
        public var memoryBudgetPages: Int = SimulatedKernel.defaultMemoryBudgetPages
        /// The most full scans ksmd runs.
        public var maxFullScans = 50
        /// Consecutive full scans without a change that count as converged.
        public var stableScans = 2
        /// What the snapshot's pages hold: their bytes, or content ids named by a hash of them
        /// (``PageContentMode``; the counters are the same, ``memoryBudgetPages`` goes further).
        public var content: PageContentMode = .bytes

        /// Options with `rules` and `range`, the default budget and scan limits.
        public init(rules: EligibilityRules = .linux6_17, range: Range<UInt64>? = nil) {
            self.rules = rules
            self.range = range
        }
    }

    /// What to estimate and how.
    public var options: Options

    /// An estimator with `options` (by default: the Linux 6.17 rules, all of each address space).
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Estimates KSM on the processes `pids` (distinct) together: their pages merge with each other's.
    ///
    /// Errors, each an ``EstimateError`` of one line naming the file and errno: `.noProcess` (a pid
    /// that does not exist), `.permissionDenied` (the kernel refused to open or read a file),
    /// `.tooLarge` (more present anonymous pages than the memory budget; refused before any page
    /// is read), `.readFailed`, `.invalidOptions` (a scan limit below 1).
    /// - Complexity: O(pages of the eligible VMAs with resident memory + full scans × eligible pages).
    public func estimate(pids: [Int32]) throws(EstimateError) -> KSMEstimate {
        try checkOptions()
        let zeroPage = try ZeroPageDetection.probe()

        // First pass: VMAs and pagemaps only.
        let buffer = ProcReadBuffer()
        var images: [ProcessImage] = []
        for pid in pids {
            let live = try LiveProcess.open(pid: pid, buffer: buffer)
            images.append(
                try ProcessImage(
                    pid: pid, command: live.command, vmas: live.vmas, pages: live.reader, rules: options.rules,
                    range: options.range, zeroPage: zeroPage))
        }
        return try estimate(images, zeroPage: zeroPage, range: options.range)
    }

    /// Estimates KSM on the processes ELF core files hold (gdb's `gcore`, the kernel's core dump,
    /// QEMU's `dump-guest-memory`: one process each), together, as if they were running: see
    /// docs/estimate.md for what a core file cannot say (which pages were present, the VMAs'
    /// exact flags) and how the estimate approximates it; `zeroFilledPages` decides what the
    /// all-zero pages of anonymous memory are taken for.
    ///
    /// Errors, each an ``EstimateError`` of one line: `.noFile` (the file cannot be opened),
    /// `.malformedFile` (not an x86-64 ELF core file, or a truncated or corrupt one), `.tooLarge`,
    /// `.readFailed`, `.invalidOptions`.
    /// - Complexity: O(dumped pages + full scans × eligible pages).
    public func estimate(coreFiles paths: [String], zeroFilledPages: CoreZeroFilledPages = .skipped) throws(EstimateError)
        -> KSMEstimate
    {
        try checkOptions()
        let buffer = ProcReadBuffer()
        var images: [ProcessImage] = []
        for path in paths {
            let core: ELFCoreFile
            do {
                core = try ELFCoreFile(path: path)
            } catch {
                throw EstimateError(core: error)
            }
            images.append(
                try ProcessImage(
                    core: core, source: CorePageSource(core, buffer: buffer), rules: options.rules, range: options.range,
                    zeroFilledPages: zeroFilledPages))
        }
        return try estimate(images, zeroPage: .notRecorded(zeroFilledSkipped: zeroFilledPages == .skipped), range: options.range)
    }

    /// Refuses options that cannot work.
    func checkOptions() throws(EstimateError) {
        guard options.maxFullScans > 0, options.stableScans > 0 else {
            throw EstimateError(
                .invalidOptions,
                "maxFullScans (\(options.maxFullScans)) and stableScans (\(options.stableScans)) must be at least 1")
        }
    }

    /// The estimate proper, whatever the processes were read from: checks the budget, copies the
    /// planned pages into a ``KSMSnapshot`` and runs ksmd there until the counters settle.
    /// `zeroPage` is how the images' zero-page mappings were recognised; `range` is the range
    /// reported (``options``' range already clipped the VMAs).
    /// - Complexity: O(planned pages + full scans × eligible pages).
    func estimate(_ images: [ProcessImage], zeroPage: ZeroPageDetection, range: Range<UInt64>?) throws(EstimateError)
        -> KSMEstimate
    {
        let plans = images.map(\.plan)
        let total = plans.reduce(0) { $0 + $1.candidatePages }
        if total > options.memoryBudgetPages {
            throw EstimateError(
                .tooLarge,
                "the \(total) present anonymous pages of eligible VMAs (\(KSMEstimate.readableSize(total * 4096))) would "
                    + "need \(MemoryBudget.readable(MemoryBudget.bytes(forPages: total))) in the simulator, more than its memory "
                    + "budget of \(options.memoryBudgetPages) pages "
                    + "(\(MemoryBudget.readable(MemoryBudget.bytes(forPages: options.memoryBudgetPages))); --memory-budget-mib)")
        }

        // Second pass: the pages' bytes into the snapshot.
        let snapshot = KSMSnapshot(rules: options.rules, memoryBudgetPages: options.memoryBudgetPages, content: options.content)
        var processes: [KSMEstimate.Process] = []
        var simulated: [ProcessID] = []
        for image in images {
            let plan = image.plan
            let withPages = plan.eligible.filter { $0.pages > 0 }
            let layout = try snapshot.addProcess(vmaPages: withPages.map(\.pages))
            let (zeroFilled, vanished) = try image.copyPages(into: snapshot.kernel, layout.pid, starts: layout.starts)
            simulated.append(layout.pid)
            processes.append(
                KSMEstimate.Process(
                    pid: plan.pid, command: plan.command, vmas: plan.vmaCount, eligibleVMAs: plan.eligible.count,
                    eligiblePages: plan.candidatePages - vanished, mergingPages: 0, ksmZeroPages: 0, rmapItems: 0,
                    processProfit: 0,
                    zeroPageMappings: plan.zeroPageMappings, zeroFilledPages: zeroFilled, swappedPages: plan.swappedPages,
                    notExclusivePages: plan.notExclusivePages, vanishedPages: vanished, exclusions: plan.exclusions))
        }

        let c = snapshot.converge(maxFullScans: options.maxFullScans, stableScans: options.stableScans)
        for (i, pid) in simulated.enumerated() {
            guard let s = try? snapshot.kernel.ksmStat(pid) else { preconditionFailure("a snapshot process exited") }
            processes[i].mergingPages = s.mergingPages
            processes[i].ksmZeroPages = s.zeroPages
            processes[i].rmapItems = s.rmapItems
            processes[i].processProfit = s.processProfit
        }
        return KSMEstimate(
            rules: options.rules.name, range: range, zeroPage: zeroPage, counters: c.counters,
            fullScansToConverge: c.fullScansToConverge, converged: c.converged, processes: processes,
            sourceNotes: images.flatMap(\.notes))
    }

    /// How many of the pages in `bytes` are all zeros.
    static func zeroFilledPages(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        return SimulatedKernel.zeroPage.withUnsafeBytes { zero in
            var n = 0
            for p in stride(from: 0, to: bytes.count - 4095, by: 4096) where memcmp(base + p, zero.baseAddress!, 4096) == 0 {
                n += 1
            }
            return n
        }
    }
}
