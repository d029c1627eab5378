/// A run of consecutive virtual pages of a live process: `count` pages from page number `first`.
struct PageRun: Hashable {
    var first: UInt64
    var count: Int

    /// Adds page `page`, above every page of `runs`, to `runs`: to the last run when it is that
    /// run's next page, else as a run of its own.
    static func append(_ page: UInt64, to runs: inout [PageRun]) {
        if let last = runs.last, last.first + UInt64(last.count) == page {
            runs[runs.count - 1].count += 1
        } else {
            runs.append(PageRun(first: page, count: 1))
        }
    }
}

/// What the first, pagemap-only pass found in one live process: its VMAs sorted into eligible and
/// excluded, and in each eligible VMA the runs of pages ksmd would scan.
struct ProcessPlan {
    /// An eligible VMA and its present anonymous pages.
    struct EligibleVMA {
        var vma: LiveVMA
        var runs: [PageRun] = []
        var pages = 0
    }

    var pid: Int32
    /// `/proc/PID/comm`, or empty.
    var command: String
    /// VMAs looked at (inside the range, gate areas left out).
    var vmaCount = 0
    var eligible: [EligibleVMA] = []
    /// Excluded VMAs by reason, in the kernel's flag order.
    var exclusions: [KSMEstimate.Exclusion] = []
    /// Present anonymous pages of eligible VMAs, zero-page mappings excluded.
    var candidatePages = 0
    /// Pages of eligible VMAs that map the shared zero page (skipped).
    var zeroPageMappings = 0
    /// Swapped-out pages of eligible VMAs (ksmd skips them until they are faulted back in).
    var swappedPages = 0
    /// Candidate pages not mapped exclusively by this process (fork-shared, or KSM pages already).
    var notExclusivePages = 0

    /// Sorts `vmas` (clipped to `range`) into eligible and excluded, and walks the pagemap of every
    /// eligible VMA with resident or swapped memory.
    /// - Complexity: O(pages of the eligible VMAs that have resident or swapped pages).
    static func make(
        pid: Int32, command: String, vmas: [LiveVMA], pages reader: any PagemapSource, rules: EligibilityRules,
        range: Range<UInt64>?, zeroPage: ZeroPageDetection
    ) throws(EstimateError) -> ProcessPlan {
        try sorting(vmas, vma: { $0 }, pid: pid, command: command, rules: rules, range: range) {
            (v: LiveVMA, e: inout EligibleVMA, plan: inout ProcessPlan) throws(EstimateError) in
            // Nothing resident and nothing swapped: no page to find (zero-page mappings are not in Rss).
            if v.residentKB > 0 || v.swapKB > 0 {
                try plan.walkPagemap(&e, reader, zeroPage)
            }
        }
    }

    /// The plan of a process whose VMAs are `sources`, each read as a VMA by `vma`: every VMA
    /// (gate areas left out, the rest clipped to `range`) counted, excluded with the rules' reason
    /// or, when eligible, handed to `collect` with its ``EligibleVMA`` to fill with the pages ksmd
    /// would scan (``PageRun/append(_:to:)``) and the plan for the counts of pages left out; the
    /// exclusions in the kernel's flag order. The one sorting of VMAs that the estimate from
    /// pagemaps (live or captured, ``make(pid:command:vmas:pages:rules:range:zeroPage:)``) and the
    /// one from core files (`ProcessImage(core:...)`) share.
    /// - Complexity: O(VMAs) plus what `collect` does.
    static func sorting<Source>(
        _ sources: some Sequence<Source>, vma: (Source) -> LiveVMA, pid: Int32, command: String, rules: EligibilityRules,
        range: Range<UInt64>?,
        collect: (Source, inout EligibleVMA, inout ProcessPlan) throws(EstimateError) -> Void
    ) throws(EstimateError) -> ProcessPlan {
        var plan = ProcessPlan(pid: pid, command: command)
        for source in sources {
            let whole = vma(source)
            guard !whole.isGateArea, let v = whole.clipped(to: range) else { continue }
            plan.vmaCount += 1
            if let reason = v.exclusionReason(under: rules) {
                plan.exclude(v, reason)
                continue
            }
            var e = EligibleVMA(vma: v)
            try collect(source, &e, &plan)
            plan.candidatePages += e.pages
            plan.eligible.append(e)
        }
        plan.exclusions = KSMEstimate.Exclusion.inKernelOrder(plan.exclusions)
        return plan
    }

    mutating func exclude(_ v: LiveVMA, _ reason: String) {
        let resident = v.residentKB / 4
        if let i = exclusions.firstIndex(where: { $0.reason == reason }) {
            exclusions[i].vmas += 1
            exclusions[i].pages += v.pages
            exclusions[i].residentPages += resident
        } else {
            exclusions.append(KSMEstimate.Exclusion(reason: reason, vmas: 1, pages: v.pages, residentPages: resident))
        }
    }

    /// Collects the VMA's present anonymous pages, other than zero-page mappings, as runs.
    private mutating func walkPagemap(_ e: inout EligibleVMA, _ reader: any PagemapSource, _ zeroPage: ZeroPageDetection)
        throws(EstimateError)
    {
        var zeroPFN: UInt64 = .max
        if case .pfn(let z) = zeroPage { zeroPFN = z }
        var runs: [PageRun] = []
        var taken = 0
        var zeros = 0
        var swapped = 0
        var shared = 0
        try reader.forEachPagemapChunk(first: e.vma.start / 4096, count: UInt64(e.vma.pages)) { first, entries in
            for (i, entry) in entries.enumerated() {
                guard entry.isPresent else {
                    if entry.isSwapped { swapped += 1 }
                    continue
                }
                // Page cache pages of a private file mapping, never written: not anonymous.
                if entry.isFileOrSharedAnon { continue }
                if entry.pfn == zeroPFN {
                    zeros += 1
                    continue
                }
                if !entry.isExclusive { shared += 1 }
                PageRun.append(first + UInt64(i), to: &runs)
                taken += 1
            }
        }
        e.runs = runs
        e.pages = taken
        zeroPageMappings += zeros
        swappedPages += swapped
        notExclusivePages += shared
    }
}
