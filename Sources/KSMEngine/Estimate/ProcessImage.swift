/// Where the estimate reads the bytes of a process's pages: a live process's `/proc/PID/mem`
/// (``ProcPageReader``), a snapshot's distinct pages (`SnapshotPageSource`) or the segments of an
/// ELF core file (`CorePageSource`).
protocol ProcessPageSource: AnyObject {
    /// Calls `body` with the bytes of the leading pages of `[first, first + count)` (page numbers of
    /// the process's address space; `count` at most ``ProcPageReader/maxPagesPerRead``) that can be
    /// read, and returns their number: fewer than `count` when a page cannot be read (gone from a
    /// live process, unreadable when captured, not dumped).
    func readPages<R, E: Error>(
        first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> (pages: Int, result: R)
}

/// A page source that also knows which pages were present: the pagemap entries of a live process
/// (``ProcPageReader``) or of a snapshot (`SnapshotPageSource`). A core file has none.
protocol PagemapSource: ProcessPageSource {
    /// Calls `body(firstPage, entries)` for pagemap entries of pages in `[first, first + count)`
    /// (virtual page numbers), in ascending order. Pages it leaves out count as absent (entry 0),
    /// so a sparse source may skip them.
    func forEachPagemapChunk(
        first: UInt64, count: UInt64, _ body: (UInt64, UnsafeBufferPointer<PagemapEntry>) -> Void
    ) throws(EstimateError)
}

extension ProcPageReader: PagemapSource {}

/// One process as the estimate consumes it, whatever it was read from: the plan of the first pass
/// (its VMAs sorted into eligible and excluded, and in each eligible VMA the runs of pages ksmd
/// would scan) and the source of those pages' bytes.
///
/// This is the seam between the inputs and the estimate: `estimate --pid` and `estimate --snapshot`
/// make one from VMAs and pagemap entries (``init(pid:command:vmas:pages:rules:range:zeroPage:)``),
/// `estimate --core` from an ELF core file; ``KSMEstimator`` copies the planned pages into the
/// simulator and runs ksmd the same way for all of them.
struct ProcessImage {
    var plan: ProcessPlan
    var pages: any ProcessPageSource
    /// What the source could not tell, one sentence each, for ``KSMEstimate/notes``.
    var notes: [String] = []

    init(plan: ProcessPlan, pages: any ProcessPageSource, notes: [String] = []) {
        self.plan = plan
        self.pages = pages
        self.notes = notes
    }

    /// A process known by its VMAs as smaps shows them and a source of pagemap entries and bytes
    /// (live or captured): the plan is ``ProcessPlan/make(pid:command:vmas:pages:rules:range:zeroPage:)``'s.
    init(
        pid: Int32, command: String, vmas: [LiveVMA], pages: any PagemapSource, rules: EligibilityRules,
        range: Range<UInt64>?, zeroPage: ZeroPageDetection
    ) throws(EstimateError) {
        let plan = try ProcessPlan.make(
            pid: pid, command: command, vmas: vmas, pages: pages, rules: rules, range: range, zeroPage: zeroPage)
        self.init(plan: plan, pages: pages)
    }
}

extension ProcessImage {
    /// Copies the planned pages into process `pid` of `kernel`, whose VMAs are already mapped: the
    /// pages of the k-th eligible VMA with pages from page `starts[k]` on, densely in address order
    /// (the estimate's layout, ``KSMSnapshot/layout(_:)``), or with `starts` `nil` each at its own
    /// page number (the captured addresses). Returns how many of them were all zeros, and how many
    /// could not be read (gone from a live process): their slots stay empty.
    ///
    /// The one copy of a process image into a simulator: the estimate and the scenario's `load`
    /// step both call it.
    /// - Complexity: O(planned pages × 4 KiB).
    func copyPages(into kernel: SimulatedKernel, _ pid: ProcessID, starts: [Int]?) throws(EstimateError) -> (
        zeroFilled: Int, vanished: Int
    ) {
        var zeroFilled = 0
        var vanished = 0
        for (k, e) in plan.eligible.filter({ $0.pages > 0 }).enumerated() {
            var at = starts?[k] ?? 0
            for run in e.runs {
                var page = run.first
                if starts == nil { at = Int(page) }
                var left = run.count
                while left > 0 {
                    let n = min(left, ProcPageReader.maxPagesPerRead)
                    let (got, _) = try pages.readPages(first: page, count: n) { (bytes) throws(EstimateError) -> Void in
                        zeroFilled += KSMEstimator.zeroFilledPages(bytes)
                        try KSMSnapshot.write(bytes, to: pid, at: at, in: kernel)
                    }
                    // A page that cannot be read (gone from a live process, unreadable when captured, not
                    // dumped) leaves its slot empty.
                    let step = got == n ? n : got + 1
                    vanished += step - got
                    at += step
                    page += UInt64(step)
                    left -= step
                }
            }
        }
        return (zeroFilled, vanished)
    }
}

/// A live process opened for reading: its pagemap and mem (opened first, so that a refusal comes
/// before any work), then its smaps and comm. Read-only.
struct LiveProcess {
    /// The pid.
    var pid: Int32
    /// `/proc/PID/comm`, or empty.
    var command: String
    /// Every VMA, in address order, with its `VmFlags:` mnemonics, `Rss:` and `Swap:`.
    var vmas: [LiveVMA]
    /// Pagemap entries and bytes.
    var reader: ProcPageReader

    /// Opens process `pid`.
    static func open(pid: Int32, buffer: ProcReadBuffer) throws(EstimateError) -> LiveProcess {
        guard pid > 0 else { throw EstimateError(.noProcess, "no process \(pid)") }
        let reader = try ProcPageReader(pid: pid, buffer: buffer)
        let smapsPath = "/proc/\(pid)/smaps"
        let text: String
        switch ProcFiles.read(smapsPath) {
        case .success(let t): text = t
        case .failure(let e): throw EstimateError.system("read", smapsPath, errno: e.errno, pid: pid)
        }
        var command = ""
        if case .success(let c) = ProcFiles.read("/proc/\(pid)/comm") { command = c.trimmingWhitespace }
        return LiveProcess(pid: pid, command: command, vmas: LiveVMA.parseSmaps(text), reader: reader)
    }
}
