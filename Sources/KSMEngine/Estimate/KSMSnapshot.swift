/// A snapshot of live processes' mergeable memory in a fresh ``SimulatedKernel``, and the ksmd run
/// to convergence on it.
///
/// Each live process becomes one simulated process; each of its eligible VMAs with pages becomes a
/// private anonymous read-write mapping holding just those pages, in address order, one unmapped
/// page between consecutive VMAs (so that none merge), below ``SimulatedKernel/heapBase`` first and
/// above the heap region when that is full. Each is `MADV_MERGEABLE`. ksmd's results do not depend
/// on addresses, only on the pages' bytes and the order of the scan, which the layout keeps.
final class KSMSnapshot {
    /// The simulated machine, with the default knobs.
    let kernel: SimulatedKernel

    /// A simulated process and the first page of each of its VMAs.
    struct Layout {
        var pid: ProcessID
        var starts: [Int]
    }

    /// Where ksmd's counters settled.
    struct Convergence {
        var counters: KSMCounters
        var fullScansToConverge: Int
        var converged: Bool
    }

    init(rules: EligibilityRules, memoryBudgetPages: Int, content: PageContentMode = .bytes) {
        kernel = SimulatedKernel(rules: rules, content: content)
        kernel.memoryBudgetPages = memoryBudgetPages
        kernel.maxMapCount = .max  // the live process already passed its own limit
    }

    /// The first page of each VMA of `pages` pages, laid out from page 0 with one-page gaps,
    /// outside the heap region; `nil` when they do not fit in the window.
    static func layout(_ pages: [Int]) -> [Int]? {
        var cursor = 0
        var starts: [Int] = []
        for n in pages {
            precondition(n > 0, "only VMAs with pages are laid out")
            if cursor < SimulatedKernel.heapRegion.upperBound && cursor + n > SimulatedKernel.heapBase {
                cursor = max(cursor, SimulatedKernel.heapRegion.upperBound)
            }
            guard cursor + n <= SimulatedKernel.windowPages else { return nil }
            starts.append(cursor)
            cursor += n + 1
        }
        return starts
    }

    /// Spawns a process with one mergeable private anonymous VMA of `pages[i]` pages per entry
    /// (each at least 1), laid out by ``layout(_:)``.
    /// - Complexity: O(VMAs × log VMAs).
    func addProcess(vmaPages pages: [Int]) throws(EstimateError) -> Layout {
        guard let starts = Self.layout(pages) else {
            throw EstimateError(
                .tooLarge,
                "the eligible pages of one process do not fit in the simulator's window of \(SimulatedKernel.windowPages) pages")
        }
        let pid = kernel.spawn()
        do {
            for (start, n) in zip(starts, pages) {
                try kernel.mmap(pid, at: start, pages: n, prot: .readWrite, .privateAnonymous)
                try kernel.madvise(pid, at: start, pages: n, advice: .mergeable)
            }
        } catch {
            throw EstimateError(.tooLarge, "cannot lay out the snapshot: mmap/madvise failed with \(error.name)")
        }
        return Layout(pid: pid, starts: starts)
    }

    /// Writes `bytes` (whole pages) at page `at` of `pid` in `kernel`.
    /// - Complexity: O(pages × 4 KiB).
    static func write(_ bytes: UnsafeRawBufferPointer, to pid: ProcessID, at: Int, in kernel: SimulatedKernel)
        throws(EstimateError)
    {
        let pages = bytes.count / 4096
        guard pages > 0 else { return }
        do {
            try kernel.write(pid, at: at, pages: pages) { i, page in
                page.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(i * 4096)..<((i + 1) * 4096)]))
            }
        } catch {
            throw EstimateError(
                .tooLarge,
                "the pages exceed the simulator's memory budget of \(kernel.memoryBudgetPages) pages (\(error.name))")
        }
    }

    /// Runs ksmd a full scan at a time until pages_shared, pages_sharing, pages_unshared and
    /// ksm_zero_pages stay unchanged for `stableScans` consecutive full scans, or `maxFullScans`
    /// have run.
    /// - Complexity: O(full scans × pages).
    func converge(maxFullScans: Int, stableScans: Int) -> Convergence {
        func key(_ c: KSMCounters) -> [Int] { [c.pagesShared, c.pagesSharing, c.pagesUnshared, c.ksmZeroPages] }
        var last = key(kernel.ksmCounters)
        var unchanged = 0
        var settledAt = 0
        var scans = 0
        while scans < maxFullScans && unchanged < stableScans {
            let before = kernel.ksmCounters.fullScans
            do {
                try kernel.runKSMD(fullScans: 1)
            } catch {
                preconditionFailure("ksmd cannot run with the default knobs: \(error)")
            }
            // No mm registered: ksmd sleeps, nothing will ever change.
            if kernel.ksmCounters.fullScans == before {
                return Convergence(counters: kernel.ksmCounters, fullScansToConverge: 0, converged: true)
            }
            scans += 1
            let now = key(kernel.ksmCounters)
            if now == last {
                unchanged += 1
            } else {
                unchanged = 0
                settledAt = scans
            }
            last = now
        }
        return Convergence(counters: kernel.ksmCounters, fullScansToConverge: settledAt, converged: unchanged >= stableScans)
    }
}
