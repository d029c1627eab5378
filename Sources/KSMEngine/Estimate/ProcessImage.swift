/// Where the estimator reads a process's pages from: the pagemap entries of its VMAs and the bytes
/// of its present anonymous pages. A live process (``ProcPageReader``: `/proc/PID/pagemap` and
/// `/proc/PID/mem`) and a snapshot (`SnapshotPageSource`) are two sources of the same plan.
protocol ProcessPageSource: AnyObject {
    /// Calls `body(firstPage, entries)` for pagemap entries of pages in `[first, first + count)`
    /// (virtual page numbers), in ascending order. Pages it leaves out count as absent (entry 0),
    /// so a sparse source may skip them.
    func forEachPagemapChunk(
        first: UInt64, count: UInt64, _ body: (UInt64, UnsafeBufferPointer<PagemapEntry>) -> Void
    ) throws(EstimateError)

    /// Calls `body` with the bytes of the leading pages of `[first, first + count)` (at most
    /// ``ProcPageReader/maxPagesPerRead``) that can be read, and returns their number: fewer than
    /// `count` when a page cannot be read (gone from a live process, unreadable when captured).
    func readPages<R, E: Error>(
        first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> (pages: Int, result: R)
}

extension ProcPageReader: ProcessPageSource {}

/// One process as the estimator takes it: its VMAs as smaps shows them, and the source of their
/// pagemap entries and page bytes. The estimate itself (``KSMEstimator``) depends on nothing else,
/// so every input of real memory (live processes, snapshot files) becomes a list of these.
struct ProcessImage {
    /// The pid (live, or when captured).
    var pid: Int32
    /// `/proc/PID/comm`, or empty.
    var command: String
    /// Every VMA, in address order, with its `VmFlags:` mnemonics, `Rss:` and `Swap:`.
    var vmas: [LiveVMA]
    /// Pagemap entries and bytes.
    var pages: any ProcessPageSource

    /// A live process: opens its pagemap and mem first (so that a refusal comes before any work),
    /// then reads its smaps and comm.
    static func live(pid: Int32, buffer: ProcReadBuffer) throws(EstimateError) -> ProcessImage {
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
        return ProcessImage(pid: pid, command: command, vmas: LiveVMA.parseSmaps(text), pages: reader)
    }
}
