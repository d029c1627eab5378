/// What the kernel's KSM would reach on live processes once ksmd has converged, had they
/// `PR_SET_MEMORY_MERGE` on and the knobs their defaults: the result of ``KSMEstimator``.
///
/// The counters mean what `/sys/kernel/mm/ksm` and `/proc/PID/ksm_stat` mean; they come from a
/// simulated ksmd run on a snapshot of the processes' pages.
public struct KSMEstimate: Sendable {
    /// Excluded VMAs of one reason.
    public struct Exclusion: Hashable, Sendable {
        /// The kernel's name of the first excluded flag (`"VM_SHARED"`, `"VM_PFNMAP"`, ...).
        public var reason: String
        /// How many VMAs.
        public var vmas: Int
        /// Their size, in pages.
        public var pages: Int
        /// Their resident pages (smaps `Rss:`), of any kind.
        public var residentPages: Int

        /// `list` sorted by the bit order of the reasons' flags (`VM_SHARED` before `VM_MAYSHARE`
        /// before `VM_PFNMAP`, ...), other reasons last.
        static func inKernelOrder(_ list: [Exclusion]) -> [Exclusion] {
            let order = VMFlags.kernelNames.map(\.1)
            func rank(_ e: Exclusion) -> Int { order.firstIndex(of: e.reason) ?? order.count }
            return list.sorted { rank($0) < rank($1) }
        }
    }

    /// One estimated process.
    public struct Process: Sendable {
        /// The process id.
        public var pid: Int32
        /// `/proc/PID/comm`.
        public var command: String
        /// VMAs looked at (inside the range, if one was given).
        public var vmas: Int
        /// VMAs the rules let become `VM_MERGEABLE`.
        public var eligibleVMAs: Int
        /// Present anonymous pages of the eligible VMAs, zero-page mappings left out: the pages
        /// ksmd would scan.
        public var eligiblePages: Int
        /// `ksm_merging_pages`: pages of the process mapping a KSM page after convergence.
        public var mergingPages: Int
        /// `ksm_zero_pages` of the process.
        public var ksmZeroPages: Int
        /// `ksm_rmap_items`.
        public var rmapItems: Int
        /// `ksm_process_profit`.
        public var processProfit: Int
        /// Pages of eligible VMAs mapping the shared zero page (skipped, as ksmd skips them).
        public var zeroPageMappings: Int
        /// Eligible pages whose bytes are all zero (written zeros; with hidden PFNs, zero-page
        /// mappings too).
        public var zeroFilledPages: Int
        /// Swapped-out pages of eligible VMAs: not counted (ksmd skips them until faulted in).
        public var swappedPages: Int
        /// Eligible pages not mapped by this process alone (shared after fork, or already KSM
        /// pages); each process's mapping is counted as its own page.
        public var notExclusivePages: Int
        /// Eligible pages that vanished between the pagemap walk and the read of their bytes.
        public var vanishedPages: Int
        /// Excluded VMAs by reason.
        public var exclusions: [Exclusion]
    }

    /// The name of the rule set applied.
    public var rules: String
    /// The address range the estimate was restricted to, if any.
    public var range: Range<UInt64>?
    /// How zero-page mappings were recognised.
    public var zeroPage: ZeroPageDetection
    /// The global counters after the last simulated full scan (`full_scans` is the number run).
    public var counters: KSMCounters
    /// The full scan after which the counters stopped changing.
    public var fullScansToConverge: Int
    /// Whether pages_shared, pages_sharing, pages_unshared and ksm_zero_pages stayed unchanged for
    /// the required number of consecutive full scans before the limit.
    public var converged: Bool
    /// The processes, in the order asked for.
    public var processes: [Process]
    /// What the input could not tell, one sentence each (for a core file: pages taken for page
    /// cache, files not readable here); part of ``notes``.
    public var sourceNotes: [String] = []

    /// Present anonymous pages in eligible VMAs, all processes.
    public var eligiblePages: Int { processes.reduce(0) { $0 + $1.eligiblePages } }
    /// Excluded VMAs by reason, all processes, in the kernel's flag order.
    public var exclusions: [Exclusion] {
        var merged: [Exclusion] = []
        for e in processes.flatMap(\.exclusions) {
            if let i = merged.firstIndex(where: { $0.reason == e.reason }) {
                merged[i].vmas += e.vmas
                merged[i].pages += e.pages
                merged[i].residentPages += e.residentPages
            } else {
                merged.append(e)
            }
        }
        return Exclusion.inKernelOrder(merged)
    }
    /// The memory KSM would free: (pages_sharing + ksm_zero_pages) × 4096.
    public var savedBytes: Int { (counters.pagesSharing + counters.ksmZeroPages) * 4096 }
}
