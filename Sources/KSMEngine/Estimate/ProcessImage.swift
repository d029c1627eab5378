/// Where the estimate reads the bytes of a process's pages: a live process's `/proc/PID/mem`
/// (`ProcPageReader`) or the segments of an ELF core file (`CorePageSource`).
protocol ProcessPageSource: AnyObject {
    /// Reads pages `[first, first + count)` (page numbers of the process's address space; `count` at
    /// most ``ProcPageReader/maxPagesPerRead``) and calls `body` with the leading pages that could be
    /// read; returns their number (fewer than `count` when a page is gone).
    func readPages<R, E: Error>(first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> (
        pages: Int, result: R
    )
}

/// One process as the estimate consumes it, whatever it was read from: the plan of the first pass
/// (its VMAs sorted into eligible and excluded, and in each eligible VMA the runs of pages ksmd
/// would scan) and the source of those pages' bytes.
///
/// This is the seam between the inputs and the estimate: `estimate --pid` makes one from `/proc`
/// (`ProcessPlan.read(pid:...)`), `estimate --core` from an ELF core file
/// (`ProcessPlan.read(core:...)`); ``KSMEstimator`` copies the planned pages into the simulator
/// and runs ksmd the same way for both.
struct ProcessImage {
    var plan: ProcessPlan
    var pages: any ProcessPageSource
    /// What the source could not tell, one sentence each, for ``KSMEstimate/notes``.
    var notes: [String] = []
}
