import Glibc

extension SnapshotFile {
    /// Captures the processes `pids` (distinct), read-only: for each, `/proc/PID/smaps` (every
    /// VMA, its `VmFlags:`, `Rss:` and `Swap:`), `/proc/PID/pagemap` of every VMA with resident or
    /// swapped memory (which pages are present, swapped, file or shared, exclusive, or map the
    /// shared zero page), and from `/proc/PID/mem` (opened `O_RDONLY`, `pread` only) the bytes of
    /// every present private anonymous page that does not map the zero page: the pages ksmd could
    /// ever scan, whatever the rule set. Every distinct page is kept once (an XXH3-128 finds the
    /// candidates, the bytes are compared), all-zero pages as a flag. Only pages pagemap showed
    /// present are read, so nothing is faulted in, and nothing is ever written to the processes.
    ///
    /// `range` restricts the capture to the VMAs (parts of VMAs) in that address range.
    ///
    /// Errors (one line each): `.noProcess`, `.permissionDenied` (the kernel refused a read;
    /// `/proc/PID/mem` needs ptrace-attach rights), `.readFailed`, `.invalidOptions` (no pid, or
    /// one given twice).
    /// - Complexity: O(pages of the VMAs with resident or swapped memory).
    public static func capture(pids: [Int32], range: Range<UInt64>? = nil) throws(SnapshotError) -> SnapshotFile {
        guard !pids.isEmpty else { throw SnapshotError(.invalidOptions, "no process to capture") }
        guard Set(pids).count == pids.count else { throw SnapshotError(.invalidOptions, "each pid may be captured once") }
        do {
            let zeroPage = try ZeroPageDetection.probe()
            var zeroPFN: UInt64 = .max
            if case .pfn(let z) = zeroPage { zeroPFN = z }
            let buffer = ProcReadBuffer()
            var dedup = PageDeduplicator()
            var processes: [ProcessSnapshot] = []
            for pid in pids {
                let live = try LiveProcess.open(pid: pid, buffer: buffer)
                let reader = live.reader
                var vmas: [SnapshotVMA] = []
                for whole in live.vmas {
                    guard let v = whole.clipped(to: range) else { continue }
                    var s = SnapshotVMA(vma: v)
                    if !v.isGateArea && (v.residentKB > 0 || v.swapKB > 0) {
                        s.pages = try Self.pagemap(of: v, reader, zeroPFN: zeroPFN)
                        try Self.readContents(&s, reader, &dedup)
                    }
                    vmas.append(s)
                }
                processes.append(ProcessSnapshot(pid: pid, command: live.command, vmas: vmas))
            }
            return SnapshotFile(zeroPage: zeroPage, range: range, processes: processes, pages: dedup.pages)
        } catch {
            throw SnapshotError(error)
        }
    }

    /// A record per page of `v` that pagemap shows present or swapped.
    private static func pagemap(of v: LiveVMA, _ reader: ProcPageReader, zeroPFN: UInt64) throws(EstimateError) -> [SnapshotPage]
    {
        var records: [SnapshotPage] = []
        let base = v.start / 4096
        try reader.forEachPagemapChunk(first: base, count: UInt64(v.pages)) { first, entries in
            for (i, e) in entries.enumerated() where e.isPresent || e.isSwapped {
                var flags: SnapshotPage.Flags = []
                if e.isPresent { flags.insert(.present) }
                if e.isSwapped { flags.insert(.swapped) }
                if e.isFileOrSharedAnon { flags.insert(.fileOrShared) }
                if e.isExclusive { flags.insert(.exclusive) }
                if e.isPresentAnonymous && e.pfn == zeroPFN { flags.insert(.zeroPageMapping) }
                records.append(SnapshotPage(index: first + UInt64(i) - base, flags: flags))
            }
        }
        return records
    }

    /// Reads the bytes of the VMA's candidate pages, in runs of consecutive pages, and records
    /// each as stored, zero-filled or unreadable.
    private static func readContents(_ s: inout SnapshotVMA, _ reader: ProcPageReader, _ dedup: inout PageDeduplicator)
        throws(EstimateError)
    {
        let base = s.vma.start / 4096
        var i = 0
        while i < s.pages.count {
            guard s.pages[i].isCandidate else {
                i += 1
                continue
            }
            // A run of candidates of consecutive pages, at most one read long.
            var j = i + 1
            while j < s.pages.count && j - i < ProcPageReader.maxPagesPerRead && s.pages[j].isCandidate
                && s.pages[j].index == s.pages[i].index + UInt64(j - i)
            {
                j += 1
            }
            let (got, _) = reader.readPages(first: base + s.pages[i].index, count: j - i) { bytes in
                for p in 0..<(bytes.count / PageStore.pageSize) {
                    let page = bytes.baseAddress! + p * PageStore.pageSize
                    if let id = dedup.add(page) {
                        s.pages[i + p].flags.insert(.stored)
                        s.pages[i + p].content = id
                    } else {
                        s.pages[i + p].flags.insert(.zeroFilled)
                    }
                }
            }
            // The first page that could not be read is marked; reading goes on after it.
            if got < j - i {
                s.pages[i + got].flags.insert(.unreadable)
                i += got + 1
            } else {
                i = j
            }
        }
    }
}

/// Keeps each distinct page once while a capture reads: XXH3-128 finds the candidates, the bytes
/// decide.
struct PageDeduplicator {
    private(set) var pages = DistinctPages(encoding: .bytes)
    private var first: [PageHash: UInt32] = [:]
    /// Further distinct pages of a hash (a 128-bit collision: practically never).
    private var more: [PageHash: [UInt32]] = [:]

    /// The distinct page equal to `page` (added if new), or `nil` for a page of zeros.
    /// - Complexity: O(4 KiB).
    mutating func add(_ page: UnsafeRawPointer) -> UInt32? {
        let isZero = SimulatedKernel.zeroPage.withUnsafeBytes { memcmp(page, $0.baseAddress!, PageStore.pageSize) == 0 }
        if isZero { return nil }
        let h = PageHash.of(page)
        guard let id = first[h] else {
            let id = UInt32(pages.append(bytes: page))
            first[h] = id
            return id
        }
        for candidate in [id] + (more[h] ?? []) where pages.equals(Int(candidate), page) { return candidate }
        let new = UInt32(pages.append(bytes: page))
        more[h, default: []].append(new)
        return new
    }
}
