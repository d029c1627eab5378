import Testing

@testable import KSMEngine

/// What a caller of the library can get wrong ends in a thrown error with the kernel's errno, never
/// a trap, and leaves the kernel as it was where the kernel would. The errnos for counts and
/// ranges are the ones Linux 6.18 gives for the same system call (measured with a C program; a
/// page count stands for a length of `pages * 4096` bytes, a negative one for the huge length it
/// is as a `size_t`, and a page number outside the window for an address outside the address
/// space).
@Suite struct APIMisuseTests {
    /// A kernel with one process `p` holding 8 merged pages at 0..<8 and a VMA at 16..<20.
    static func kernel() throws -> (SimulatedKernel, ProcessID) {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 8, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 8, advice: .mergeable)
        try fill(k, p, at: 0, pages: 8)
        try k.mmap(p, at: 16, pages: 4, prot: .readWrite, .privateAnonymous)
        try k.runKSMD(fullScans: 2)
        return (k, p)
    }

    /// What a throw must leave as it was: VMAs, contents, counters, knobs, residency.
    struct State: Equatable {
        var vmas: [VMA]
        var digest: UInt64
        var counters: KSMCounters
        var knobs: KSMKnobs
        var resident: Int
        var processes: [ProcessID]
        var clock: Int
        init(_ k: SimulatedKernel, _ p: ProcessID) throws {
            vmas = try k.vmas(p)
            digest = try k.contentDigest(p)
            counters = k.ksmCounters
            knobs = k.ksmKnobs
            resident = k.residentPages
            processes = k.processIDs
            clock = k.clockNanos
        }
    }

    // MARK: The traps of issue 15

    @Test func vmasOfAnExitedProcessThrowsESRCH() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.exit(p)
        #expect(throws: Errno.ESRCH) { try k.vmas(p) }
    }

    @Test func ksmStatOfAnUnknownProcessThrowsESRCH() {
        let k = SimulatedKernel()
        _ = k.spawn()
        #expect(throws: Errno.ESRCH) { try k.ksmStat(ProcessID(42)) }
    }

    @Test func forkOfAnExitedProcessThrowsESRCHAndMakesNoChild() throws {
        let (k, p) = try Self.kernel()
        let q = k.spawn()
        try k.exit(q)
        let before = try State(k, p)
        #expect(throws: Errno.ESRCH) { try k.fork(q) }
        #expect(try State(k, p) == before)
        #expect(k.processIDs == [p])
    }

    @Test func writeOfNegativePagesThrowsEFAULTAndWritesNothing() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        var called = false
        #expect(throws: Errno.EFAULT) { try k.write(p, at: 0, pages: -3) { _, _ in called = true } }
        #expect(!called)
        #expect(try State(k, p) == before)
    }

    @Test func mmapOfNegativePagesThrowsENOMEMAndZeroPagesEINVAL() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        #expect(throws: Errno.ENOMEM) { try k.mmap(p, at: 100, pages: -5, prot: .readWrite, .privateAnonymous) }
        #expect(throws: Errno.ENOMEM) { try k.mmap(p, at: nil, pages: -5, prot: .readWrite, .privateAnonymous) }
        #expect(throws: Errno.EINVAL) { try k.mmap(p, at: 100, pages: 0, prot: .readWrite, .privateAnonymous) }
        #expect(try State(k, p) == before)
    }

    @Test func runKSMDWithNegativeScansThrowsEINVAL() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        #expect(throws: Errno.EINVAL) { try k.runKSMD(fullScans: -1) }
        #expect(try State(k, p) == before)
        // A count that would overflow the scan counter: ksmd runs until nothing is registered.
        let idle = SimulatedKernel()
        try idle.runKSMD(fullScans: .max)
        #expect(idle.ksmCounters.fullScans == 0)
    }

    // MARK: Every entry point that takes a process

    @Test func everyProcessEntryPointThrowsESRCHForAnExitedProcess() throws {
        let (k, p) = try Self.kernel()
        let gone = try k.fork(p)
        let vma = try k.vmas(p)[0]
        try k.exit(gone)
        let before = try State(k, p)
        let calls: [(String, () throws -> Void)] = [
            ("vmas", { _ = try k.vmas(gone) }),
            ("memoryMerge", { _ = try k.memoryMerge(gone) }),
            ("isKSMRegistered", { _ = try k.isKSMRegistered(gone) }),
            ("brk", { _ = try k.brk(gone) }),
            ("setHeapSize", { try k.setHeapSize(gone, pages: 1) }),
            ("fork", { _ = try k.fork(gone) }),
            ("exec", { try k.exec(gone) }),
            ("exit", { try k.exit(gone) }),
            ("write", { try fill(k, gone, at: 0, pages: 1) }),
            ("withPage", { _ = try k.withPage(gone, 0) { $0[0] } }),
            ("contentDigest", { _ = try k.contentDigest(gone) }),
            ("mmap", { try k.mmap(gone, at: 100, pages: 1, prot: .readWrite, .privateAnonymous) }),
            ("munmap", { try k.munmap(gone, at: 0, pages: 1) }),
            ("mprotect", { try k.mprotect(gone, at: 0, pages: 1, prot: .read) }),
            ("madvise", { try k.madvise(gone, at: 0, pages: 1, advice: .unmergeable) }),
            ("setMemoryMerge", { try k.setMemoryMerge(gone, true) }),
            ("ksmStat", { _ = try k.ksmStat(gone) }),
            ("ksmKilobytes", { _ = try k.ksmKilobytes(gone, vma) }),
        ]
        for (name, call) in calls {
            #expect(throws: Errno.ESRCH, "\(name)") { try call() }
        }
        #expect(try State(k, p) == before)
    }

    // MARK: Counts and ranges, as Linux 6.18 answers them

    @Test func munmapRefusesEmptyNegativeAndOutsideRangesWithEINVAL() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        let window = SimulatedKernel.windowPages
        for (at, pages) in [(0, 0), (0, -3), (-1, 2), (window - 1, 2), (Int.max, 2), (Int.max - 1, Int.max)] {
            #expect(throws: Errno.EINVAL, "munmap at \(at), \(pages) pages") { try k.munmap(p, at: at, pages: pages) }
        }
        #expect(try State(k, p) == before)
        try k.munmap(p, at: 100, pages: 4)  // a hole: fine
        #expect(try State(k, p) == before)
    }

    @Test func mprotectOfNoPagesSucceedsAndBadRangesGiveENOMEM() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        try k.mprotect(p, at: 0, pages: 0, prot: .read)
        for (at, pages) in [(0, -3), (8, -3), (-4, 1), (Int.max - 1, 5), (SimulatedKernel.windowPages, 1)] {
            #expect(throws: Errno.ENOMEM, "mprotect at \(at), \(pages) pages") {
                try k.mprotect(p, at: at, pages: pages, prot: .read)
            }
        }
        #expect(try State(k, p) == before)
        // A range from a mapping past the window's end changes the mapping, then ENOMEM (as the
        // kernel keeps the changes made before a hole).
        try k.mmap(p, at: SimulatedKernel.windowPages - 2, pages: 2, prot: .readWrite, .privateAnonymous)
        #expect(throws: Errno.ENOMEM) { try k.mprotect(p, at: SimulatedKernel.windowPages - 2, pages: .max, prot: .read) }
        #expect(try k.vmas(p).last?.flags.contains(.write) == false)
    }

    @Test func madviseOfNoPagesSucceedsNegativeOrWrappingGiveEINVAL() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        try k.madvise(p, at: 0, pages: 0, advice: .unmergeable)
        #expect(throws: Errno.EINVAL) { try k.madvise(p, at: 0, pages: -3, advice: .unmergeable) }
        #expect(throws: Errno.EINVAL) { try k.madvise(p, at: -2, pages: 5, advice: .dontNeed) }  // wraps through 0
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: -5, pages: 2, advice: .dontNeed) }  // nothing there
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: Int.max - 1, pages: 5, advice: .dontNeed) }
        #expect(try State(k, p) == before)
    }

    @Test func mmapOffsetsBeyondTheLargestFileGiveEOVERFLOW() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        let max = SimulatedKernel.maxFileOffsetPages
        for offset in [-1, max, max - 1, Int.max] {
            #expect(throws: Errno.EOVERFLOW, "offset \(offset)") {
                try k.mmap(
                    p, at: 100, pages: 2, prot: .read, MapRequest(backing: .shmem, shared: true, file: "f", offset: offset))
            }
        }
        #expect(try State(k, p) == before)
        // The last offset that fits works; anonymous memory ignores the offset, as the kernel does.
        try k.mmap(p, at: 100, pages: 2, prot: .read, MapRequest(backing: .shmem, shared: true, file: "f", offset: max - 2))
        try k.mmap(p, at: 200, pages: 2, prot: .readWrite, MapRequest(backing: .anonymous, shared: false, offset: -1))
        try k.mmap(p, at: 300, pages: 2, prot: .readWrite, MapRequest(backing: .anonymous, shared: true, offset: -1))
        #expect(try k.vmas(p).first { $0.start == 300 }?.pgoff == 0)
    }

    @Test func heapSizesOutsideTheHeapRegionGiveENOMEM() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        #expect(throws: Errno.ENOMEM) { try k.setHeapSize(p, pages: -1) }
        #expect(throws: Errno.ENOMEM) { try k.setHeapSize(p, pages: SimulatedKernel.heapRegion.count + 1) }
        #expect(try State(k, p) == before)
    }

    @Test func runForRefusesNegativeAndNaNSeconds() throws {
        let (k, p) = try Self.kernel()
        let before = try State(k, p)
        for seconds in [-1, -Double.infinity, .nan] {
            #expect(throws: Errno.EINVAL, "\(seconds) s") { try k.runFor(seconds: seconds, firstEvent: nil) { _ in nil } }
        }
        #expect(try State(k, p) == before)
    }

    @Test func writesPastTheWindowStopWithEIOWithoutOverflow() throws {
        let (k, p) = try Self.kernel()
        #expect(throws: Errno.EIO) { try fill(k, p, at: Int.max - 1, pages: 5) }
        #expect(throws: Errno.EFAULT) { try fill(k, p, at: -3, pages: 2, forced: false) }
    }

    // MARK: Other public types

    @Test func benchmarksRefuseImpossibleWorkloads() throws {
        #expect(throws: Errno.EINVAL) { try ScanBenchmark(pages: -5, duplicateRatio: 0).run() }
        #expect(throws: Errno.EINVAL) { try ScanBenchmark(pages: 16, duplicateRatio: .nan).run() }
        #expect(throws: Errno.EINVAL) { try ScanBenchmark(pages: 16, duplicateRatio: 1).makeWorkload() }
        #expect(throws: Errno.EINVAL) { try BareHashBenchmark(pages: -1, duplicateRatio: 0).run() }
        #expect(throws: Errno.EINVAL) { try ScanBenchmark.Result.median(of: []) }
        #expect(throws: Errno.EINVAL) { try BareHashBenchmark.Result.median(of: []) }
        #expect(throws: Errno.EINVAL) { try HostKernelBenchmark.Result.median(of: []) }
        // The public filler takes any index and any ratio.
        let b = ScanBenchmark(pages: 4, duplicateRatio: .nan)
        var page = [UInt8](repeating: 0, count: 4096)
        page.withUnsafeMutableBytes { b.fill($0, page: -7) }
    }

    @Test func theEstimatorRefusesScanLimitsBelowOne() {
        var options = KSMEstimator.Options()
        options.maxFullScans = 0
        #expect { try KSMEstimator(options: options).estimate(pids: []) } throws: {
            ($0 as? EstimateError)?.kind == .invalidOptions
        }
    }

    @Test func fillsOfNoClassesAreRefused() {
        #expect(throws: ScenarioError.self) { try FillGenerator().filler(for: .classes(0, namespace: "")) }
        #expect(throws: ScenarioError.self) { try FillGenerator().filler(for: .classes(-3, namespace: "")) }
    }

    @Test func aLiveVMAWithItsEndBelowItsStartHasNoPages() {
        #expect(LiveVMA(start: 0x2000, end: 0x1000, name: "", mnemonics: []).pages == 0)
    }

    @Test func scanThreadsAreClamped() {
        let k = SimulatedKernel()
        k.scanThreads = .max
        #expect(k.scanThreads == SimulatedKernel.maxScanThreads)
        k.scanThreads = -3
        #expect(k.scanThreads == 1)
    }

    @Test func theReferenceModelReportsAnImpossibleStep() {
        let model = ReferenceMemory(backend: SimulatorBackend(rules: .linux6_17))
        #expect(model.apply(.munmap("p", at: 5, pages: -3), outcome: nil).count == 1)
    }

    @Test func randomScenariosTakeAnyOptions() throws {
        var o = RandomScenario.Options()
        o.steps = -4
        o.windowPages = 0
        o.maxProcesses = -1
        try RandomScenario.make(seed: 1, options: o).validate()
        o.steps = 30
        o.windowPages = .max
        try RandomScenario.make(seed: 2, options: o).validate()
    }
}
