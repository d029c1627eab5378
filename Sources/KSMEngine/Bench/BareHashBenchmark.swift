import CXXHash
import Dispatch
import Glibc

/// The floor a scan is measured against: one header-inlined XXH3-64 (`cxxh_xxh3_64`) over every
/// page of ``ScanBenchmark``'s contents, nothing else: no page table, no index, no comparison.
///
/// The pages are the benchmark's own (same count, same bytes, one contiguous allocation of the page
/// store's kind of memory), so the memory traffic is the scan's; each pass hashes every page once,
/// and the median pass is reported.
/// `ksmd-sim bench` prints a steady scan as a fraction of it.
public struct BareHashBenchmark: Sendable {
    /// Pages to hash, 4 KiB each.
    public var pages: Int
    /// The fraction of pages that repeat others' contents (0 to 1), as in ``ScanBenchmark``.
    public var duplicateRatio: Double
    /// Passes to time; the median is reported.
    public var passes: Int = 3
    /// Threads hashing at once, each a contiguous share of the pages: the floor for a scan with
    /// as many hashing threads (on this machine two threads share one memory bandwidth).
    public var threads: Int

    /// Creates the floor benchmark for `pages` pages with the contents ``ScanBenchmark`` would write.
    ///
    /// - Parameters:
    ///   - pages: The pages to hash.
    ///   - duplicateRatio: The fraction of duplicated pages; it only changes the bytes, not the work.
    ///   - threads: Threads hashing at once.
    public init(pages: Int, duplicateRatio: Double, threads: Int = 1) {
        self.pages = pages
        self.duplicateRatio = duplicateRatio
        self.threads = threads
    }

    /// One run's result.
    public struct Result: Sendable {
        /// The pages hashed per pass.
        public var pages: Int
        /// Pages hashed per second of wall-clock time, in the median pass.
        public var pagesPerSecond: Double
        /// The XOR of every page's hash, so that no pass can be optimised away.
        public var checksum: UInt64
    }

    /// Fills the pages, then times the passes.
    ///
    /// - Throws: ``Errno/EINVAL`` for `pages` below 0 or a `duplicateRatio` outside 0..<1
    ///   (``ScanBenchmark/isValid(pages:duplicateRatio:)``).
    /// - Complexity: O(`pages` × `passes`); `pages` × 4 KiB of memory while it runs.
    public func run() throws(Errno) -> Result {
        guard pages == 0 || ScanBenchmark.isValid(pages: pages, duplicateRatio: duplicateRatio) else { throw .EINVAL }
        let pageBytes = PageStore.pageSize
        // The same kind of memory as the simulator's page store (huge pages past its small chunks).
        let bytes = pages * pageBytes
        let base = PageStore.allocateContents(byteCount: bytes, huge: pages > PageStore.smallChunks * PageStore.chunkPages)
        defer { PageStore.deallocateContents(base, byteCount: bytes) }
        let workload = ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio)
        for i in 0..<pages {
            workload.fill(UnsafeMutableRawBufferPointer(start: base + i * pageBytes, count: pageBytes), page: i)
        }
        var times: [Double] = []
        var checksum: UInt64 = 0
        for _ in 0..<max(passes, 1) {
            let t0 = ScanBenchmark.now()
            var x: UInt64 = 0
            if threads <= 1 {
                for i in 0..<pages { x ^= cxxh_xxh3_64(base + i * pageBytes, pageBytes) }
            } else {
                let n = threads
                let parts = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
                defer { parts.deallocate() }
                nonisolated(unsafe) let (memory, out) = (UnsafeRawPointer(base), parts)
                let total = pages
                DispatchQueue.concurrentPerform(iterations: n) { t in
                    var y: UInt64 = 0
                    for i in (total * t / n)..<(total * (t + 1) / n) { y ^= cxxh_xxh3_64(memory + i * pageBytes, pageBytes) }
                    out[t] = y
                }
                for t in 0..<n { x ^= parts[t] }
            }
            times.append(ScanBenchmark.now() - t0)
            checksum ^= x
        }
        return Result(pages: pages, pagesPerSecond: Double(pages) / BenchStatistics.median(times), checksum: checksum)
    }
}

extension BareHashBenchmark.Result {
    /// The median rate of several runs.
    /// - Throws: ``Errno/EINVAL`` for no runs.
    public static func median(of runs: [Self]) throws(Errno) -> Self {
        guard !runs.isEmpty else { throw .EINVAL }
        var m = runs[0]
        m.pagesPerSecond = BenchStatistics.median(runs.map(\.pagesPerSecond))
        return m
    }
}
