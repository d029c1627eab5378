import Glibc

/// The throughput benchmark behind `ksmd-sim bench`: one mergeable process with `pages` pages of
/// which a fraction `duplicateRatio` duplicate the others, scanned with smart_scan off.
///
/// Reports pages per second for the first full scan (checksums only), the merge scan (the second,
/// in which the merges happen) and a steady scan (a later one in which nothing changes), the
/// engine's own bookkeeping per scanned page, peak resident memory, and whether the counters are the
/// ones the kernel reports for this workload.
public struct ScanBenchmark: Sendable {
    /// Pages of the workload, 4 KiB each.
    public var pages: Int
    /// The fraction of pages that repeat others' contents (0 to 1).
    public var duplicateRatio: Double
    /// Steady scans to time; the median is reported.
    public var steadyScans: Int = 3
    /// Threads hashing pages (``SimulatedKernel/scanThreads``).
    public var threads: Int
    /// What the simulated pages hold: bytes (the benchmark of record) or content ids.
    public var content: PageContentMode
    /// The simulated kernel's memory budget in pages (``SimulatedKernel/memoryBudgetPages``); `nil`
    /// for its default, three quarters of the memory available when the program started.
    public var memoryBudgetPages: Int? = nil

    /// Creates the benchmark of one mergeable process with `pages` pages.
    ///
    /// - Parameters:
    ///   - pages: The pages to map and write.
    ///   - duplicateRatio: The fraction of pages that duplicate others; the duplicates spread round
    ///     robin over the first distinct contents.
    ///   - threads: Threads hashing pages during scans (``SimulatedKernel/scanThreads``).
    ///   - content: Bytes (``fill(_:page:)``) or content ids (``contentID(page:)``) per page.
    public init(pages: Int, duplicateRatio: Double, threads: Int = 1, content: PageContentMode = .bytes) {
        self.pages = pages
        self.duplicateRatio = duplicateRatio
        self.threads = threads
        self.content = content
    }

    /// One run's results.
    public struct Result: Sendable {
        /// The pages of the workload.
        public var pages: Int
        /// The fraction of duplicated pages.
        public var duplicateRatio: Double
        /// The threads that hashed pages.
        public var threads: Int
        /// What the simulated pages held.
        public var content: PageContentMode = .bytes
        /// Pages per second of the first full scan (checksums only; nothing merges yet).
        public var firstScanPagesPerSecond: Double
        /// Pages per second of the second full scan, in which the duplicates merge.
        public var mergeScanPagesPerSecond: Double
        /// Pages per second of the median steady scan (nothing changes any more).
        public var steadyScanPagesPerSecond: Double
        /// Bytes of rmap items, stable nodes and index entries per scanned page (contents excluded).
        public var metadataBytesPerPage: Double
        /// The process's peak resident memory (`VmHWM` of `/proc/self/status`), in bytes.
        public var peakResidentBytes: Int
        /// The counters after the run.
        public var counters: KSMCounters
        /// The counters the kernel reports for this workload.
        public var expectedCounters: KSMCounters
        /// Whether the counters after the run are the kernel's for this workload (``expectedCounters``).
        public var countersMatch: Bool { counters == expectedCounters }

        /// The result as `ksmd-sim bench --json` prints it.
        public var json: JSON {
            .object([
                ("pages", .int(pages)), ("duplicate_ratio", .double(duplicateRatio)), ("threads", .int(threads)),
                ("content", .string(content.rawValue)),
                ("first_scan_pages_per_sec", .double(firstScanPagesPerSecond.rounded())),
                ("merge_scan_pages_per_sec", .double(mergeScanPagesPerSecond.rounded())),
                ("steady_scan_pages_per_sec", .double(steadyScanPagesPerSecond.rounded())),
                ("metadata_bytes_per_page", .double((metadataBytesPerPage * 100).rounded() / 100)),
                ("peak_resident_bytes", .int(peakResidentBytes)),
                ("counters", .object(counters.fields.map { ($0.0, .int($0.1)) })),
                ("counters_match_kernel", .bool(countersMatch)),
            ])
        }
    }

    /// The distinct contents: duplicates repeat the first `distinct` pages.
    /// (A ratio outside 0...1 counts as its nearer end, so that ``fill(_:page:)`` never traps;
    /// ``run()`` refuses it.)
    var distinct: Int {
        let ratio = duplicateRatio.isNaN ? 0 : min(max(duplicateRatio, 0), 1)
        return pages - Int((Double(max(pages, 0)) * ratio).rounded())
    }

    /// Whether a workload of `pages` pages (at least 1) and `duplicateRatio` (0..<1) can be built.
    public static func isValid(pages: Int, duplicateRatio: Double) -> Bool {
        pages >= 1 && duplicateRatio >= 0 && duplicateRatio < 1
    }

    /// Writes page `index` of the workload: content `index` for `index < distinct`, else a copy of
    /// content `(index - distinct) % distinct`; every content is a 16-byte header then a splitmix64
    /// stream (`FillGenerator.pattern`), never zero. The simulator, the bare-hash floor and the host
    /// kernel's run all write their pages with this.
    public func fill(_ bytes: UnsafeMutableRawBufferPointer, page index: Int) {
        let d = distinct
        FillGenerator.pattern(
            bytes, tag: 0xBE_BC4, a: 0, b: UInt64(truncatingIfNeeded: index < d ? index : (index - d) % max(d, 1)))
    }

    /// The content id of page `index` (``PageContentMode/ids``): the id of its content in
    /// ``fill(_:page:)`` plus one (never the zero page's 0). Ids stand for other bytes than the fill's,
    /// which the benchmark does not read: its counters are the same.
    public func contentID(page index: Int) -> UInt64 {
        let d = distinct
        return UInt64(index < d ? index : (index - d) % max(d, 1)) + 1
    }

    /// The workload in a new simulated kernel: one process with `pages` pages mapped private-anonymous,
    /// madvised mergeable and written with ``fill(_:page:)`` (or ``contentID(page:)`` in ``content``
    /// ids); smart_scan off, and a whole pass per
    /// batch (`pages_to_scan` 2^32 - 1, as on the kernel).
    /// - Throws: ``Errno/EINVAL`` for `pages` below 1 or a `duplicateRatio` outside 0..<1; the
    ///   simulator's errno (ENOMEM beyond its memory budget).
    ///
    /// - Complexity: O(`pages`) time and `pages` × 4 KiB of page memory (8 bytes with ids).
    public func makeWorkload() throws(Errno) -> (SimulatedKernel, ProcessID) {
        guard Self.isValid(pages: pages, duplicateRatio: duplicateRatio) else { throw .EINVAL }
        let k = SimulatedKernel(content: content)
        if let budget = memoryBudgetPages { k.memoryBudgetPages = budget }
        k.scanThreads = threads
        var knobs = k.ksmKnobs
        knobs.smartScan = false
        knobs.pagesToScan = Int(UInt32.max)
        do { try k.setKSMKnobs(knobs) } catch { throw error.errno }
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: pages, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: pages, advice: .mergeable)
        if content == .ids {
            try k.write(p, at: 0, pages: pages, ids: { contentID(page: $0) })
        } else {
            try k.write(p, at: 0, pages: pages) { i, page in fill(page, page: i) }
        }
        return (k, p)
    }

    /// What Linux reports after the merge scan and the steady scans: each content with copies is one
    /// KSM page; every page is scanned each pass; unique pages sit in the unstable tree.
    public var expectedCounters: KSMCounters {
        let duplicates = pages - distinct
        // Contents 0..<distinct; content c has 1 + (copies of it) pages.
        let withCopies = min(distinct, duplicates)
        let extraPerContent = duplicates  // duplicates spread over contents round robin
        var c = KSMCounters()
        c.fullScans = 3 + steadyScans
        c.pagesShared = withCopies
        c.pagesSharing = extraPerContent
        c.pagesUnshared = distinct - withCopies
        c.pagesScanned = pages * c.fullScans
        c.generalProfit = c.pagesSharing * PageStore.pageSize - pages * kernelRmapItemBytes
        return c
    }

    /// Runs the benchmark.
    /// - Throws: what ``makeWorkload()`` throws.
    ///
    /// - Complexity: O(`pages` × (`steadyScans` + 3)): the workload, then that many full scans.
    public func run() throws(Errno) -> Result {
        let (k, _) = try makeWorkload()
        func timedScan() -> Double {
            let t0 = Self.now()
            k.ksmDoScan(Int.max)
            return Self.now() - t0
        }
        let first = timedScan()
        let merge = timedScan()
        _ = timedScan()  // the pass after the merges still removes nothing; warm up
        var steady: [Double] = []
        for _ in 0..<max(steadyScans, 1) { steady.append(timedScan()) }
        steady.sort()
        let metadata = Double(k.ksmMetadataBytes) / Double(pages)
        return Result(
            pages: pages, duplicateRatio: duplicateRatio, threads: threads, content: content,
            firstScanPagesPerSecond: Double(pages) / first, mergeScanPagesPerSecond: Double(pages) / merge,
            steadyScanPagesPerSecond: Double(pages) / steady[steady.count / 2], metadataBytesPerPage: metadata,
            peakResidentBytes: Self.peakResidentBytes(), counters: k.ksmCounters, expectedCounters: expectedCounters)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// `VmHWM` of /proc/self/status, in bytes.
    static func peakResidentBytes() -> Int {
        // "VmHWM:\t12741500 kB": a tab after the colon, then spaces as the number needs them.
        guard case .success(let text) = ProcFiles.read("/proc/self/status") else { return 0 }
        return (ProcFiles.kibibytes(of: "VmHWM", in: text) ?? 0) * 1024
    }
}

extension SimulatedKernel {
    /// Bytes of ksmd's own bookkeeping, as allocated (capacities, not counts): rmap items and their
    /// blocks, stable nodes, the unstable tree's index, the stable nodes' content index, the free
    /// list of nodes, the list of freed KSM pages and the buffers of hashes computed ahead (page
    /// contents and page tables excluded).
    public var ksmMetadataBytes: Int {
        let itemBytes =
            ksm.items.capacity * MemoryLayout<RmapItem>.stride + ksm.blocks.capacity * MemoryLayout<RmapBlock>.stride
        let nodeBytes = ksm.nodes.capacity * MemoryLayout<StableNode>.stride
        let indexBytes = ksm.unstableIndex.bytes + ksm.stableIndex.bytes
        let freeLists = ksm.freeNodes.capacity * MemoryLayout<Int32>.stride
        let freedKSM = store.freedKSMPages.capacity * MemoryLayout<(node: Int32, page: PageHandle)>.stride
        return itemBytes + nodeBytes + indexBytes + freeLists + freedKSM + ksm.ahead.bytes
    }
}
