import Glibc
import Testing

@testable import KSMEngine

/// The memory budget: sizes that cannot fit are refused before anything is allocated, with the
/// memory they would need named, and a budget this machine cannot honour is refused at once.
struct MemoryBudgetTests {
    /// `/proc/self/status` separates `VmHWM:` from its number with a tab: the parser once split on
    /// spaces only and read "peak RSS 0" for any process past 9.5 GiB (8 digits of KiB).
    @Test func kibibyteLinesWithTabsAndSpaces() {
        let status = "Name:\tksmd-sim\nVmPeak:\t13000000 kB\nVmHWM:\t12741500 kB\nVmRSS:\t    4096 kB\n"
        #expect(ProcFiles.kibibytes(of: "VmHWM", in: status) == 12_741_500)
        #expect(ProcFiles.kibibytes(of: "VmRSS", in: status) == 4096)
        #expect(ProcFiles.kibibytes(of: "MemAvailable", in: "MemAvailable:   24183144 kB\n") == 24_183_144)
        #expect(ProcFiles.kibibytes(of: "VmSwap", in: status) == nil)
    }

    /// This process's peak is at least what it holds now.
    @Test func peakResidentIsReadFromStatus() throws {
        let current = try #require(ProcFiles.kibibytes(of: "VmRSS", in: try ProcFiles.read("/proc/self/status").get()))
        #expect(ScanBenchmark.peakResidentBytes() >= current * 1024)
        #expect(current > 0)
    }

    @Test func budgetsAboveThePhysicalMemoryOrBelowAPageAreRefused() throws {
        let physical = try #require(MemoryBudget.physicalBytes)
        #expect(throws: MemoryBudgetError(requestedBytes: physical + 1, physicalBytes: physical)) {
            try MemoryBudget.check(bytes: physical + 1)
        }
        #expect(throws: MemoryBudgetError.self) { try MemoryBudget.check(bytes: MemoryBudget.bytesPerPage() - 1) }
        try MemoryBudget.check(bytes: physical)
        try MemoryBudget.check(bytes: MemoryBudget.bytesPerPage())
        let error = MemoryBudgetError(requestedBytes: physical * 2, physicalBytes: physical)
        #expect(error.description.contains("more than this machine's physical memory"))
        #expect(!error.description.contains("\n"))
    }

    /// The default fits in what is available and is what the simulator starts with.
    @Test func theDefaultComesFromAvailableMemory() throws {
        let available = try #require(MemoryBudget.availableBytes)
        let physical = try #require(MemoryBudget.physicalBytes)
        #expect(available <= physical)
        #expect(SimulatedKernel.defaultMemoryBudgetPages >= 1)
        #expect(MemoryBudget.bytes(forPages: SimulatedKernel.defaultMemoryBudgetPages) <= physical)
        #expect(SimulatedKernel().memoryBudgetPages == SimulatedKernel.defaultMemoryBudgetPages)
        #expect(MemoryBudget.pages(forBytes: 10 * MemoryBudget.bytesPerPage() + 1) == 10)
        #expect(MemoryBudget.bytes(forPages: .max) == .max)
    }

    @Test func sizesForPeople() {
        #expect(MemoryBudget.readable(512) == "512 bytes")
        #expect(MemoryBudget.readable(1536) == "1.5 KiB")
        #expect(MemoryBudget.readable(405 << 30) == "405 GiB")
        #expect(MemoryBudget.readable(100_000_000 << 20) == "95.4 TiB")
    }

    /// A write beyond the budget names the memory it needs and leaves nothing allocated.
    @Test func aWriteBeyondTheBudgetNamesTheMemoryItNeeds() throws {
        let text = #"""
            {"steps": [{"op": "spawn", "process": "a"},
              {"op": "mmap", "process": "a", "at": 4194304, "pages": 100000000, "prot": "rw", "map": "private-anon"},
              {"op": "write", "process": "a", "at": 4194304, "pages": 100000000, "fill": {"byte": 1}}]}
            """#
        let scenario = try Scenario.parse(text, baseDirectory: nil)
        let backend = SimulatorBackend(rules: scenario.rules, memoryBudgetPages: 1000)
        do {
            _ = try ScenarioRunner.run(scenario, on: backend)
            Issue.record("the write was not refused")
        } catch {
            #expect(error.description.contains("writing 100000000 pages could need 405 GiB"), "\(error)")
            #expect(error.description.contains("4.2 MiB left of 4.2 MiB"), "\(error)")
        }
        #expect(backend.kernel.residentPages == 0)
    }
}

/// The same rules through `ksmd-sim`.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct MemoryBudgetCLITests {
    /// Issue #11: `run --memory-budget-mib 100000000` used to let a 100 M-page write run into the OOM
    /// killer; every simulating command now refuses such a budget before reading its input.
    @Test(arguments: [
        ["run", "x.json"], ["compare", "x.json", "--rules", "linux-6.17"], ["sweep", "x.json", "--set", "run=1"],
        ["estimate", "--pid", "1"], ["bench"],
    ])
    func aBudgetAbovePhysicalMemoryIsRefused(command: [String]) throws {
        let r = try CLITests.ksmdSim(command + ["--memory-budget-mib", "100000000"])
        #expect(r.status == 64)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains("--memory-budget-mib: a memory budget of 95.4 TiB is more than this machine's physical memory"),
            "\(r.stderr)")
    }

    /// `bench` checks its workload before allocating it and names what does not fit.
    @Test func benchRefusesAWorkloadBeyondItsBudget() throws {
        let r = try CLITests.ksmdSim(["bench", "--pages", "1000", "--memory-budget-mib", "1"])
        #expect(r.status == 65)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "bench: 1000 pages need about 4.2 MiB (3.9 MiB of page contents, 250 KiB of bookkeeping), more than the memory budget of 1 MiB"
            ), "\(r.stderr)")
        // 1000 × 128 bytes fit in 1 MiB: the line says so.
        #expect(r.stderr.contains("; with --content ids they would need 125 KiB"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let ids = try CLITests.ksmdSim(["bench", "--pages", "10000", "--memory-budget-mib", "1", "--content", "ids"])
        #expect(ids.status == 65)
        #expect(ids.stderr.contains("bench: 10000 pages need about 1.2 MiB (78.1 KiB of page contents"), "\(ids.stderr)")
        #expect(!ids.stderr.contains("with --content ids"))
    }
}

/// The library's side: a budget set above the machine still cannot let a write allocate past it.
struct MemoryBudgetLibraryTests {
    @Test func aBudgetAboveTheMachineStillRefusesWhatCannotFit() throws {
        let k = SimulatedKernel()
        k.memoryBudgetPages = .max
        let p = k.spawn()
        let pages = MemoryBudget.physicalPages() + 1
        try k.mmap(p, at: 1 << 22, pages: pages, prot: .readWrite, .privateAnonymous)
        #expect(throws: Errno.ENOMEM) { try k.write(p, at: 1 << 22, pages: pages) { _, _ in } }
        #expect(k.residentPages == 0)
    }
}
