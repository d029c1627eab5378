import Foundation
import Glibc
import Testing

@testable import KSMEngine

/// Captured memory in scenarios: `load` of a snapshot or an ELF core file gives the estimate's
/// counters once made mergeable and scanned, and `clone` makes independent copies with a seeded
/// drift. No root needed: the captured process is this test's own child.
@Suite struct ReplayTests {
    /// The counters the estimate and a scenario are compared on.
    static func key(_ c: KSMCounters) -> [Int] { [c.pagesShared, c.pagesSharing, c.pagesUnshared, c.ksmZeroPages] }

    /// Runs the scenario text on the simulator; the backend and the reports.
    static func run(_ text: String, base: String? = nil, budget: Int? = nil) throws -> (SimulatorBackend, [Report]) {
        let s = try Scenario.parse(text, baseDirectory: base)
        let backend = SimulatorBackend(rules: s.rules, memoryBudgetPages: budget)
        return (backend, try ScenarioRunner.run(s, on: backend))
    }

    /// Steps that load `loads` (JSON fragments naming the file), make each process mergeable
    /// with `PR_SET_MEMORY_MERGE` and run as many full scans as the estimate did (smart_scan makes
    /// later scans skip unchanged pages, so the counters depend on the number of scans).
    static func loadAndScan(_ loads: [(String, String)], fullScans: Int) -> String {
        var steps = loads.map { #"{"op":"load","process":"\#($0.0)",\#($0.1)}"# }
        steps += loads.map { #"{"op":"prctl","process":"\#($0.0)","memory_merge":true}"# }
        steps.append(#"{"op":"scan","full_scans":\#(fullScans)}"#)
        return #"{"steps":[\#(steps.joined(separator: ","))]}"#
    }

    // MARK: load equals the estimate

    /// A forked child with known pages, captured: load + prctl + scans equals `estimate --snapshot`.
    @Test func aLoadedCaptureScansToTheEstimatesCounters() throws {
        let child = try SnapshotTests.ForkedChild()
        defer { child.stop() }
        let snapshot = try SnapshotFile.capture(pids: [child.pid], range: child.range)
        let path = try SnapshotTests.temporaryPath()
        defer { unlink(path) }
        try snapshot.write(to: path)
        let estimate = try KSMEstimator().estimate(snapshot: try SnapshotFile.load(from: path))
        let (backend, reports) = try Self.run(
            Self.loadAndScan([("c", #""snapshot":"\#(path)""#)], fullScans: estimate.counters.fullScans))
        let last = try #require(reports.last)
        #expect(Self.key(last.ksm) == Self.key(estimate.counters))
        #expect(estimate.counters.pagesSharing > 0)
        let pid = try #require(backend.pid("c"))
        #expect(try backend.kernel.ksmStat(pid).mergingPages == estimate.processes[0].mergingPages)
        #expect(backend.kernel.residentPages <= estimate.processes[0].eligiblePages)

        // Its addresses lie beyond the window: the captured layout is refused with one line.
        let e = #expect(throws: ScenarioError.self) {
            _ = try Self.run(#"{"steps":[{"op":"load","process":"c","snapshot":"\#(path)","layout":"captured"}]}"#)
        }
        #expect(e?.description.contains("beyond the simulator's window") == true)
        #expect(e?.description.contains("\n") == false)
    }

    /// The two processes of the synthetic snapshot, loaded by pid, in both layouts, give the
    /// counters the estimate gives them together.
    @Test(arguments: LoadSpec.Layout.allCases)
    func bothProcessesOfASnapshotScanToTheEstimatesCounters(layout: LoadSpec.Layout) throws {
        let file = try SnapshotTests.synthetic()
        let path = try SnapshotTests.temporaryPath()
        defer { unlink(path) }
        try file.write(to: path)
        let estimate = try KSMEstimator().estimate(snapshot: file)
        let dir = String(path[..<path.lastIndex(of: "/")!])
        let name = String(path[path.index(after: path.lastIndex(of: "/")!)...])
        let (backend, reports) = try Self.run(
            Self.loadAndScan(
                [
                    ("a", #""snapshot":"\#(name)","pid":100,"layout":"\#(layout.rawValue)""#),
                    ("b", #""snapshot":"\#(name)","pid":101,"layout":"\#(layout.rawValue)""#),
                ], fullScans: estimate.counters.fullScans), base: dir)
        #expect(Self.key(try #require(reports.last).ksm) == Self.key(estimate.counters))
        // Window: one VMA per eligible VMA with pages, from page 0; captured: at 0x10000 = page 16.
        let a = try backend.kernel.vmas(try #require(backend.pid("a")))
        #expect(a.map(\.start) == (layout == .window ? [0] : [16]))
        #expect(a.map(\.pages) == (layout == .window ? [64] : [80]))
    }

    /// The known core file: load + prctl + scans equals `estimate --core`.
    @Test func aLoadedCoreScansToTheEstimatesCounters() throws {
        let dir = CoreFileTests.TempDir()
        try CoreFileTests.knownCore(in: dir).write(to: dir.file("core.4242"))
        let estimate = try KSMEstimator().estimate(coreFiles: [dir.file("core.4242")])
        let (_, reports) = try Self.run(
            Self.loadAndScan([("k", #""core":"core.4242""#)], fullScans: estimate.counters.fullScans), base: dir.path)
        #expect(Self.key(try #require(reports.last).ksm) == Self.key(estimate.counters))
        #expect(estimate.counters.pagesSharing == 30)
    }

    // MARK: clone

    /// Every present page of the live processes, as contents: page bytes by process and page.
    static func presentPages(_ backend: SimulatorBackend, _ names: [String]) throws -> [[Int: [UInt8]]] {
        try names.map { name in
            let pid = try #require(backend.pid(name))
            let mm = try backend.kernel.mm(pid)
            var pages: [Int: [UInt8]] = [:]
            for v in mm.vmas {
                try mm.pageTable.forEachPresent(in: v.range) { page, _ in
                    pages[page] = try backend.kernel.withPage(pid, page) { Array($0) }
                }
            }
            return pages
        }
    }

    /// The counters the kernel's rules give mergeable pages of these contents once converged
    /// (use_zero_pages and smart_scan off, fewer than max_page_sharing copies each): a distinct content seen c
    /// times is one KSM page and c - 1 sharers when c > 1, an unshared page when c = 1.
    static func expected(_ contents: [[UInt8]]) -> [Int] {
        var counts: [[UInt8]: Int] = [:]
        for c in contents { counts[c, default: 0] += 1 }
        let shared = counts.values.filter { $0 > 1 }
        return [shared.count, shared.reduce(0) { $0 + $1 - 1 }, counts.values.filter { $0 == 1 }.count, 0]
    }

    /// The clone tests' scenarios, with smart_scan off (it would skip unique pages in later scans).
    static let header = #"{"ksm":{"smart_scan":0},"steps":["#

    static let source = #"""
        {"op":"spawn","process":"src"},
        {"op":"prctl","process":"src","memory_merge":true},
        {"op":"mmap","process":"src","at":0,"pages":40,"prot":"rw","map":"private-anon"},
        {"op":"write","process":"src","at":0,"pages":24,"fill":{"classes":6,"namespace":"img"}},
        {"op":"write","process":"src","at":24,"pages":10,"fill":{"unique":true}},
        {"op":"mmap","process":"src","at":100,"pages":8,"prot":"r","map":"private-anon"},
        {"op":"write","process":"src","at":100,"pages":4,"fill":{"byte":7}},
        {"op":"brk","process":"src","pages":3},
        {"op":"write","process":"src","at":1048576,"pages":2,"fill":{"unique":true}}
        """#

    /// With drift 0, N clones and the source merge exactly as their page multiset says, and each
    /// clone's pages are its own (resident pages grow by N × present pages).
    @Test(arguments: [1, 5])
    func clonesWithoutDriftMergeAsTheirPagesSay(count: Int) throws {
        let (backend, reports) = try Self.run(
            Self.header + #"\#(Self.source),{"op":"clone","process":"src","prefix":"c","count":\#(count)},"#
                + #"{"op":"scan","full_scans":20}]}"#)
        let names = ["src"] + (1...count).map { "c\($0)" }
        let pages = try Self.presentPages(backend, names)
        #expect(pages[0].count == 40)
        for p in pages.dropFirst() { #expect(p == pages[0]) }
        #expect(Self.key(try #require(reports.last).ksm) == Self.expected(pages.flatMap(\.values)))
        for name in names.dropFirst() {
            let pid = try #require(backend.pid(name))
            #expect(try backend.kernel.memoryMerge(pid))
            #expect(try backend.kernel.brk(pid) == SimulatedKernel.heapBase + 3)
            #expect(try backend.kernel.vmas(pid).map(\.range) == backend.kernel.vmas(backend.pid("src")!).map(\.range))
        }
        // Copies, not fork's shared pages: before any scan, every clone holds its own.
        let (fresh, _) = try Self.run(
            Self.header + #"\#(Self.source),{"op":"clone","process":"src","prefix":"c","count":\#(count)}]}"#)
        #expect(fresh.kernel.residentPages == 40 * (count + 1))
    }

    /// With drift d, each clone differs from the source in exactly round(d × pages) pages, each
    /// unique in the whole machine; clones pick different pages; the same seed repeats them.
    @Test(arguments: [0.05, 0.25, 1.0])
    func driftRewritesExactlyItsShareWithUniquePages(drift: Double) throws {
        let text =
            Self.header + #"\#(Self.source),{"op":"clone","process":"src","into":["x","y","z"],"drift":\#(drift),"seed":7},"#
            + #"{"op":"scan","full_scans":20}]}"#
        let (backend, reports) = try Self.run(text)
        let pages = try Self.presentPages(backend, ["src", "x", "y", "z"])
        let rewritten = Int((drift * 40).rounded())
        var all: [[UInt8]: Int] = [:]
        for p in pages { for c in p.values { all[c, default: 0] += 1 } }
        var sets: [Set<Int>] = []
        for clone in pages.dropFirst() {
            #expect(Set(clone.keys) == Set(pages[0].keys))
            let changed = Set(clone.keys.filter { clone[$0] != pages[0][$0] })
            #expect(changed.count == rewritten)
            for page in changed { #expect(all[clone[page]!] == 1, "page \(page) is not unique") }
            sets.append(changed)
        }
        if rewritten > 0 && rewritten < 40 { #expect(Set(sets).count > 1) }
        #expect(Self.key(try #require(reports.last).ksm) == Self.expected(pages.flatMap(\.values)))
        let (again, _) = try Self.run(text)
        #expect(try Self.presentPages(again, ["src", "x", "y", "z"]) == pages)
    }

    /// A clone with a mutation rate gets a mutator over its VMAs: pages change as time passes.
    @Test func aMutationRateKeepsRewritingTheClones() throws {
        let (backend, _) = try Self.run(
            Self.header + #"\#(Self.source),{"op":"clone","process":"src","into":["m"],"mutation_rate":1000},"#
                + #"{"op":"run_for","seconds":1}]}"#)
        let pages = try Self.presentPages(backend, ["src", "m"])
        #expect(pages[1].keys.contains { pages[1][$0] != pages[0][$0] })
    }

    // MARK: Steps as a file spells them

    @Test func loadAndCloneStepsRoundTripThroughJSON() throws {
        let text = #"""
            {"steps":[{"op":"load","process":"pg","snapshot":"pg.ksmsnap","pid":12,"layout":"captured"},
            {"op":"load","process":"k","core":"/cores/core.1"},
            {"op":"clone","process":"pg","prefix":"pg-","count":3,"drift":0.05,"seed":9,"mutation_rate":2}]}
            """#
        let s = try Scenario.parse(text, baseDirectory: "/data")
        #expect(s.steps[0].action == .load("pg", LoadSpec(.snapshot, path: "/data/pg.ksmsnap", pid: 12, layout: .captured)))
        #expect(s.steps[1].action == .load("k", LoadSpec(.core, path: "/cores/core.1")))
        #expect(s.steps[2].action == .clone("pg", into: ["pg-1", "pg-2", "pg-3"], drift: 0.05, seed: 9, mutationRate: 2))
        let again = try Scenario.decode(.object([("steps", .array(s.steps.map(\.json)))]))
        #expect(again.steps.map(\.action) == s.steps.map(\.action))
        #expect(
            try Scenario.parse(text).steps[0].action
                == .load("pg", LoadSpec(.snapshot, path: "pg.ksmsnap", pid: 12, layout: .captured)))
    }

    // MARK: Bad steps

    static func parseError(_ text: String) -> String? {
        do {
            _ = try Scenario.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        (#"{"op":"load","process":"a"}"#, "one file: \"snapshot\", \"core\" or \"trace\""),
        (#"{"op":"load","process":"a","snapshot":"x","core":"y"}"#, "one file"),
        (#"{"op":"load","process":"a","core":"x","pid":3}"#, "\"pid\" is for snapshots"),
        (#"{"op":"load","process":"a","snapshot":"x","pid":0}"#, "\"pid\" is 0"),
        (#"{"op":"load","process":"a","snapshot":"x","layout":"here"}"#, "unknown layout"),
        (#"{"op":"load","process":"a","snapshot":""}"#, "must not be empty"),
        (#"{"op":"clone","process":"nobody","into":["b"]}"#, "unknown process \"nobody\""),
        (#"{"op":"clone","process":"s","into":["b"],"drift":1.5}"#, "\"drift\" is 1.5, outside 0.0...1.0"),
        (#"{"op":"clone","process":"s","into":["b"],"drift":-0.1}"#, "\"drift\" is -0.1"),
        (#"{"op":"clone","process":"s","prefix":"c","count":0}"#, "\"count\" is 0, outside 1...10000"),
        (#"{"op":"clone","process":"s","into":[]}"#, "non-empty array"),
        (#"{"op":"clone","process":"s","into":["s"]}"#, "duplicate process name \"s\""),
        (#"{"op":"clone","process":"s","into":["b","b"]}"#, "duplicate process name \"b\""),
        (#"{"op":"clone","process":"s","into":["b"],"prefix":"c","count":2}"#, "not both"),
        (#"{"op":"clone","process":"s","into":["b"],"seed":-1}"#, "\"seed\" is -1"),
    ])
    func badStepsAreRefusedWhenParsed(step: String, message: String) throws {
        let e = try #require(Self.parseError(#"{"steps":[{"op":"spawn","process":"s"},\#(step)]}"#))
        #expect(e.contains(message), "\(e)")
        #expect(e.hasPrefix("step 1 ("))
    }

    @Test func badFilesAreOneLine() throws {
        let dir = CoreFileTests.TempDir()
        try Data("not a snapshot at all".utf8).write(to: URL(fileURLWithPath: dir.file("bad.ksmsnap")))
        try Data("\u{7F}ELF garbage".utf8).write(to: URL(fileURLWithPath: dir.file("bad.core")))
        try SnapshotTests.synthetic().write(to: dir.file("two.ksmsnap"))
        func failure(_ load: String, budget: Int? = nil) -> String {
            do {
                _ = try Self.run(#"{"steps":[{"op":"load","process":"p",\#(load)}]}"#, base: dir.path, budget: budget)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let cases: [(String, String)] = [
            (failure(#""snapshot":"missing.ksmsnap""#), "missing.ksmsnap"),
            (failure(#""core":"missing.core""#), "cannot read"),
            (failure(#""snapshot":"bad.ksmsnap""#), "bad.ksmsnap"),
            (failure(#""core":"bad.core""#), "bad.core"),
            (failure(#""snapshot":"two.ksmsnap""#), "holds 2 processes (pids: 100, 101): name one with \"pid\""),
            (failure(#""snapshot":"two.ksmsnap","pid":7"#), "holds no process 7 (pids: 100, 101)"),
            (failure(#""snapshot":"two.ksmsnap","pid":100"#, budget: 32), "memory budget"),
        ]
        for (e, part) in cases {
            #expect(e.hasPrefix("step 0 (load): "), "\(e)")
            #expect(e.contains(part), "\(e)")
            #expect(!e.contains("\n"), "\(e)")
        }
    }

    @Test func aCloneBeyondTheBudgetIsRefusedBeforeAnyCloneExists() throws {
        let text = Self.header + #"\#(Self.source),{"op":"clone","process":"src","prefix":"c","count":4}]}"#
        let s = try Scenario.parse(text)
        let backend = SimulatorBackend(rules: s.rules, memoryBudgetPages: 40 * 4)
        let e = #expect(throws: ScenarioError.self) { _ = try ScenarioRunner.run(s, on: backend) }
        #expect(e?.description.contains("4 clones of the 40 present pages of \"src\" could need") == true)
        #expect(backend.pid("c1") == nil && backend.kernel.residentPages == 40)
    }

    /// A clone the kernel refuses midway (here: vm.max_map_count) leaves no clone behind.
    @Test func aRefusedCloneLeavesNoneBehind() throws {
        let s = try Scenario.parse(Self.header + Self.source + "]}")
        let backend = SimulatorBackend(rules: s.rules)
        _ = try ScenarioRunner.run(s, on: backend)
        backend.kernel.maxMapCount = 1  // mmap refuses a third VMA (map_count 2 > 1): the source has 3
        #expect(throws: Errno.ENOMEM) {
            try backend.perform(
                .clone("src", into: ["a", "b", "c"], drift: 0, seed: 1, mutationRate: 5), fills: FillGenerator())
        }
        #expect(["a", "b", "c"].allSatisfy { backend.pid($0) == nil })
        #expect(backend.kernel.processIDs.count == 1 && backend.kernel.residentPages == 40)
    }

    @Test func cloneCopiesPrivateAnonymousMemoryOnly() throws {
        let e = #expect(throws: ScenarioError.self) {
            _ = try Self.run(
                #"{"steps":[{"op":"spawn","process":"s"},{"op":"mmap","process":"s","at":0,"pages":4,"prot":"rw","map":"shared-anon"},"#
                    + #"{"op":"clone","process":"s","into":["t"]}]}"#)
        }
        #expect(e?.description == "step 2 (clone): clone copies private anonymous memory only: pages 0..<4 of \"s\" are not")
    }
}

/// `ksmd-sim run` and `compare` on a scenario that loads a snapshot next to it, from another
/// working directory: paths are the scenario file's.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct ReplayCLITests {
    @Test func aScenarioLoadsFilesNextToIt() throws {
        let dir = CoreFileTests.TempDir()
        let file = try SnapshotTests.synthetic()
        try file.write(to: dir.file("two.ksmsnap"))
        let estimate = try KSMEstimator().estimate(snapshot: file)
        let scenario = #"""
            {"steps":[{"op":"load","process":"a","snapshot":"two.ksmsnap","pid":100},
            {"op":"load","process":"b","snapshot":"two.ksmsnap","pid":101},
            {"op":"prctl","process":"a","memory_merge":true},{"op":"prctl","process":"b","memory_merge":true},
            {"op":"scan","full_scans":\#(estimate.counters.fullScans)}]}
            """#
        try Data(scenario.utf8).write(to: URL(fileURLWithPath: dir.file("s.json")))
        let c = estimate.counters
        let r = try CLITests.ksmdSim(["run", dir.file("s.json"), "--summary"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains(
                "pages_shared \(c.pagesShared), pages_sharing \(c.pagesSharing), pages_unshared \(c.pagesUnshared),"),
            "\(r.stdout)")
        let compare = try CLITests.ksmdSim(["compare", dir.file("s.json"), "--rules", "linux-6.4,linux-6.17", "--summary"])
        #expect(compare.status == 0, "\(compare.stderr)")

        // `kernel` refuses before touching the knobs (no root needed to see it).
        let kernel = try CLITests.ksmdSim(["kernel", dir.file("s.json")])
        #expect(kernel.status == 65 && kernel.stderrLines.count == 1, "\(kernel.stderr)")
        #expect(kernel.stderr.contains("step 0 (load): load and clone steps run on the simulator only"), "\(kernel.stderr)")

        try Data(scenario.replacingOccurrences(of: "two.ksmsnap", with: "gone.ksmsnap").utf8).write(
            to: URL(fileURLWithPath: dir.file("bad.json")))
        let bad = try CLITests.ksmdSim(["run", dir.file("bad.json")])
        #expect(bad.status != 0 && bad.stderrLines.count == 1)
        #expect(bad.stderr.contains("step 0 (load): ") && bad.stderr.contains(dir.file("gone.ksmsnap")), "\(bad.stderr)")
    }
}

/// The host runner refuses captured memory with one line, before touching anything.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct ReplayHostTests {
    @Test func theHostRunnerRefusesLoadAndClone() throws {
        let host = try HostKernelBackend(rules: .linux6_17)
        defer { host.shutdown() }
        for action in [
            StepAction.load("p", LoadSpec(.snapshot, path: "/nonexistent.ksmsnap")),
            .clone("p", into: ["q"], drift: 0, seed: 1, mutationRate: 0),
        ] {
            let e = #expect(throws: ScenarioError.self) { try host.perform(action, fills: FillGenerator()) }
            #expect(
                e?.message
                    == "load and clone steps run on the simulator only: the host-kernel runner cannot put captured memory into its workers"
            )
        }
    }
}

/// Scenarios with steps only the simulator runs are refused before the host runner takes over
/// KSM (which writes run=2 and unmerges every KSM page on the host).
@Suite struct HostRefusalBeforeTakeoverTests {
    @Test(arguments: [
        ("fleet-convergence.json", "(run_for)"), ("ksmtuned-guests.json", "\"ksmtuned\""),
        ("fleet-from-snapshot.json", "(load)"), ("selftest-merge.json", nil),
    ] as [(String, String?)])
    func simulatorOnlyScenariosAreNamed(_ example: String, _ fragment: String?) throws {
        let text = try String(contentsOfFile: CLITests.example(example), encoding: .utf8)
        let why = HostKernelBackend.cannotRun(try Scenario.parse(text))
        if let fragment {
            #expect(why?.contains(fragment) == true, "\(why ?? "nil")")
        } else {
            #expect(why == nil, "\(why ?? "")")
        }
    }

    /// As root, `kernel` refuses such a scenario with one line and exit 65, before its run=2
    /// warning (which it prints once it may take over).
    @Test(.enabled(if: HostKernel.available, HostKernel.skipReason))
    func theKernelCommandRefusesBeforeTakingOver() throws {
        let out = try CLITests.ksmdSim(["kernel", CLITests.example("fleet-convergence.json")])
        #expect(out.status == 65 && out.stderrLines.count == 1, "\(out.stderr)")
        #expect(out.stderr.contains("run_for") && !out.stderr.contains("run=2"), "\(out.stderr)")
    }
}
