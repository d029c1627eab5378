extension ProcessImage {
    /// Process `p` of the snapshot `file` as the estimate consumes it: the plan of its captured
    /// VMAs and pagemap bits (``init(pid:command:vmas:pages:rules:range:zeroPage:)``, as for a live
    /// process) and its pages from the snapshot's distinct pages. `estimate --snapshot` and a
    /// scenario's `load` both make their images here.
    /// - Complexity: O(page records of `p`).
    init(
        _ p: ProcessSnapshot, of file: SnapshotFile, rules: EligibilityRules, range: Range<UInt64>?,
        buffer: ProcReadBuffer = ProcReadBuffer()
    ) throws(EstimateError) {
        try self.init(
            pid: p.pid, command: p.command, vmas: p.vmas.map(\.vma),
            pages: SnapshotPageSource(p, pages: file.pages, zeroPage: file.zeroPage, buffer: buffer), rules: rules,
            range: range, zeroPage: file.zeroPage)
    }
}
