import Glibc
import Testing

@testable import KSMEngine

/// The pieces of `ksmd-sim bench` that are not timing: medians, the bare-hash floor, and the host
/// kernel's run of the benchmark workload (counters, contents, restored knobs).
@Suite struct BenchStatisticsTests {
    @Test(arguments: [
        ([3.0], 3.0), ([5.0, 1.0, 3.0], 3.0), ([4.0, 1.0, 3.0, 2.0], 2.5), ([], 0.0),
    ])
    func median(_ values: [Double], _ expected: Double) {
        #expect(BenchStatistics.median(values) == expected)
    }

    @Test func bareHashSeesEveryPage() throws {
        let a = try BareHashBenchmark(pages: 64, duplicateRatio: 0).run()
        let b = try BareHashBenchmark(pages: 64, duplicateRatio: 0.5).run()
        #expect(a.pagesPerSecond > 0)
        // The XOR of three identical passes is one pass's; at ratio 0.5 every content is on two
        // pages, which cancel.
        #expect(a.checksum != 0)
        #expect(b.checksum == 0)
        // No pages: nothing hashed, and no crash (the memory comes in 2 MiB units).
        #expect(try BareHashBenchmark(pages: 0, duplicateRatio: 0).run().checksum == 0)
    }

    /// `bench --memory-budget-mib` reaches the simulated kernel: a budget below the workload refuses
    /// it, and one above the default is the kernel's (before, the kernel kept its default and a
    /// workload the command's budget allowed failed with ENOMEM).
    @Test(arguments: [PageContentMode.bytes, .ids])
    func theBenchmarkTakesItsMemoryBudget(_ content: PageContentMode) throws {
        var b = ScanBenchmark(pages: 1000, duplicateRatio: 0.5, content: content)
        b.memoryBudgetPages = 999
        #expect(throws: Errno.ENOMEM) { try b.makeWorkload() }
        b.memoryBudgetPages = 1000
        #expect(try b.run().countersMatch)
        b.memoryBudgetPages = Int.max / 2
        #expect(try b.makeWorkload().0.memoryBudgetPages == Int.max / 2)
    }
}

/// The host kernel runs ScanBenchmark's workload and ends with the counters the simulator expects.
/// Skipped (visibly) unless running as root on a kernel with KSM.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct HostKernelBenchmarkTests {
    static let knobs = ["run", "pages_to_scan", "sleep_millisecs", "smart_scan"]

    /// The knobs, read while holding the lock every host runner holds, so that no other test's run
    /// (which changes them and restores them before it lets go) is half-way through.
    func knobValues() -> [String] {
        let fd = open(HostKSMControl.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { flock(fd, LOCK_EX) }
        defer {
            if fd >= 0 {
                flock(fd, LOCK_UN)
                close(fd)
            }
        }
        return Self.knobs.map { (try? ProcFiles.read("/sys/kernel/mm/ksm/\($0)").get()) ?? "?" }
    }

    @Test(arguments: [0.0, 0.5])
    func countersAndContentsMatchTheSimulator(_ ratio: Double) throws {
        try HostKernel.withKnobTestLock { try benchmark(ratio) }
    }

    private func benchmark(_ ratio: Double) throws {
        let before = knobValues()
        let r = try HostKernelBenchmark(pages: 2048, duplicateRatio: ratio).run()
        #expect(r.contentsMatch)
        #expect(r.passes.count == 6)
        #expect(r.pagesToScan == Int(UInt32.max))
        // Another process registered with KSM adds its pages to every pass.
        if r.otherProcesses.isEmpty {
            #expect(r.counters == r.expectedCounters)
        }
        // run is left at 0 by every host runner; the others come back as they were.
        #expect(Array(knobValues().dropFirst()) == Array(before.dropFirst()))
    }
}

/// The engine's per-page bookkeeping, in bytes (docs/performance.md counts it per page).
@Suite struct MetadataLayoutTests {
    @Test func rmapItemsAre20Bytes() {
        #expect(MemoryLayout<RmapItem>.stride == 20)
        #expect(MemoryLayout<RmapBlock>.stride == 24)
    }

    @Test func stableNodesAre40Bytes() {
        #expect(MemoryLayout<StableNode>.stride == 40)
    }

    @Test func contentIndexSlotsAre8Bytes() {
        #expect(MemoryLayout<ContentIndex.Slot>.stride == 8)
    }
}
