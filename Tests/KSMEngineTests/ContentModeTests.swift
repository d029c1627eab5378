import CXXHash
import Testing

@testable import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Content ids against bytes: the two modes of ``PageContentMode`` give the same reports.
///
/// The one kind of difference there is, and its cause: pages that come from a snapshot, core or
/// trace load (and the clones of such pages) are named by a hash of their bytes and keep no bytes, so
/// the content digest of a process holding them is that of the pages the ids stand for
/// (``ContentDiff/loadedPages``). Everything else, stable-tree order included, is the same: the
/// ids of scenario fills are ordered as `memcmp` orders their pages, so no search passes another
/// chain and no other stale dup is pruned.
@Suite struct ContentModeTests {
    static let corpus = scenarioFiles(in: "Tests/Scenarios") + exampleFiles()

    /// Why a report may differ between the modes.
    enum ContentDiff: Hashable, CustomStringConvertible {
        /// The content digest of a process holding loaded pages (label, process).
        case loadedPages(String, String)
        var description: String {
            switch self {
            case .loadedPages(let label, let process): "\(label): \(process): content digest (loaded pages keep no bytes)"
            }
        }
    }

    /// The processes that hold loaded pages: those a `load` step fills and the clones of them.
    static func processesWithLoadedPages(_ scenario: Scenario) -> Set<String> {
        var loaded: Set<String> = []
        for step in scenario.steps {
            switch step.action {
            case .load(let name, _): loaded.insert(name)
            case .clone(let source, let into, _, _, _) where loaded.contains(source): loaded.formUnion(into)
            default: break
            }
        }
        return loaded
    }

    /// The differences between the two runs' reports: fields compared one by one, the content
    /// digests apart so that the expected kind can be told from the rest.
    static func differences(_ bytes: [Report], _ ids: [Report]) -> (digests: Set<ContentDiff>, other: [String]) {
        var digests: Set<ContentDiff> = []
        var other: [String] = []
        guard bytes.count == ids.count else { return ([], ["\(bytes.count) reports with bytes, \(ids.count) with ids"]) }
        for (a, b) in zip(bytes, ids) {
            var a2 = a
            var b2 = b
            for (i, (p, q)) in zip(a.processes, b.processes).enumerated() where p.name == q.name {
                if p.contentDigest != q.contentDigest { digests.insert(.loadedPages(a.label, p.name)) }
                a2.processes[i].contentDigest = 0
                b2.processes[i].contentDigest = 0
            }
            if a2 != b2 {
                other.append(
                    "\(a.label): " + ReportComparison.differences([a2], [b2], names: ("bytes", "ids")).joined(separator: "; ")
                        + (a2.simulatedSeconds != b2.simulatedSeconds ? " simulated seconds differ" : ""))
            }
        }
        return (digests, other)
    }

    static func run(_ scenario: Scenario, _ content: PageContentMode, budget: Int? = nil) throws -> [Report] {
        try ScenarioRunner.run(scenario, on: SimulatorBackend(rules: scenario.rules, memoryBudgetPages: budget, content: content))
    }

    @Test(arguments: corpus)
    func scenarioReportsAreTheSameWithIDs(_ path: String) throws {
        let scenario = try loadScenario(path)
        let (digests, other) = Self.differences(try Self.run(scenario, .bytes), try Self.run(scenario, .ids))
        #expect(other.isEmpty, "\(path): \(other.joined(separator: "\n"))")
        // Exactly the processes holding loaded pages, in every report that shows them.
        let loaded = Self.processesWithLoadedPages(scenario)
        let reports = try Self.run(scenario, .bytes)
        let expected = Set(
            reports.flatMap { r in
                r.processes.filter { loaded.contains($0.name) }.map { ContentDiff.loadedPages(r.label, $0.name) }
            })
        #expect(
            digests == expected,
            "\(path): unexpected digest differences \(digests.subtracting(expected)), missing \(expected.subtracting(digests))")
    }

    @Test func theCorpusHasALoadAndChains() throws {
        // The comparison above covers both kinds of scenario this suite speaks of.
        let scenarios = try Self.corpus.map(loadScenario)
        #expect(scenarios.contains { !Self.processesWithLoadedPages($0).isEmpty })
        let chains = try scenarios.map { try Self.run($0, .ids) }.filter { $0.contains { $0.ksm.stableNodeChains > 0 } }
        #expect(chains.count >= 3)
    }

    /// The random scenarios of the kernel differential suite (same seeds and length) and more:
    /// every fill kind, forks, chains (max_page_sharing 2 to 6), zero pages, knob changes.
    @Test(arguments: 1...60)
    func randomScenarioReportsAreTheSameWithIDs(seed: Int) throws {
        var options = RandomScenario.Options()
        options.steps = 60
        options.simulatorOnlyKinds = seed > 40
        let s = try RandomScenario.withExpectations(RandomScenario.make(seed: UInt64(seed) &* 7919, options: options))
        let (digests, other) = Self.differences(try Self.run(s, .bytes), try Self.run(s, .ids))
        #expect(other.isEmpty && digests.isEmpty, "seed \(UInt64(seed) &* 7919): \(other) \(digests)")
    }

    /// The fuzzer's inputs that run (`FuzzTests`): the same reports, or the same error, in both modes.
    @Test(arguments: 0..<4)
    func fuzzedScenariosFailOrSucceedAlike(chunk: Int) throws {
        var fuzzer = FuzzTests.fuzzer(chunk: chunk)
        var compared = 0
        for _ in 0..<FuzzTests.inputsPerChunk {
            guard let parsed = try? Scenario.parse(fuzzer.next()), let s = FuzzTests.bounded(parsed) else { continue }
            let a = Result { try Self.run(s, .bytes, budget: 4096) }
            let b = Result { try Self.run(s, .ids, budget: 4096) }
            switch (a, b) {
            case (.success(let x), .success(let y)):
                let (digests, other) = Self.differences(x, y)
                #expect(other.isEmpty && digests.isEmpty, "\(other) \(digests)")
            case (.failure(let x), .failure(let y)):
                // The one difference: a refusal by the memory budget (the same pages in both modes)
                // says how much memory the pages need, `MemoryBudget.bytesPerPage(_:)` of each mode a page.
                #expect(Self.withoutMiB("\(x)") == Self.withoutMiB("\(y)"))
            default:
                Issue.record("one mode failed, the other did not: \(a) vs \(b)")
            }
            compared += 1
        }
        #expect(compared > 0)
    }

    /// An error message up to the MiB of a memory-budget refusal.
    static func withoutMiB(_ message: String) -> String {
        guard let r = message.range(of: " could need ") else { return message }
        return String(message[..<r.lowerBound])
    }

    // MARK: The ids

    /// Every fill page's id is ordered as memcmp orders the pages, and names the page back.
    @Test func fillIDsKeepMemcmpOrderAndRoundTrip() {
        var g = RandomScenario.Generator(seed: 11)
        var ids: [UInt64] = (0...255).map { PageID.byte(UInt8($0)) }
        for _ in 0..<300 {
            let a = g.next() % (1 << 24)
            let b = g.next() % (1 << 28)
            ids.append(PageID.pattern(top: PageID.uniqueByte, a: a, b: b))
            ids.append(PageID.pattern(top: PageID.classesByte, a: a & 0xFF, b: b & 0xFFF))
        }
        let page = { (id: UInt64) -> [UInt8] in
            var p = [UInt8](repeating: 0xAA, count: PageStore.pageSize)
            p.withUnsafeMutableBytes { PageID.bytes(id, into: $0) }
            return p
        }
        let pages = ids.map(page)
        for (id, p) in zip(ids, pages) {
            #expect(p.withUnsafeBytes { PageID.of($0) } == id, "id \(String(id, radix: 16)) does not round-trip")
        }
        for _ in 0..<20000 {
            let i = Int(g.next() % UInt64(ids.count))
            let j = Int(g.next() % UInt64(ids.count))
            let m = pages[i].withUnsafeBytes { a in
                pages[j].withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, PageStore.pageSize) }
            }
            let c = ids[i] == ids[j] ? 0 : ids[i] < ids[j] ? -1 : 1
            #expect(m.signum() == Int32(c), "ids \(String(ids[i], radix: 16)) and \(String(ids[j], radix: 16))")
        }
    }

    /// The bytes filler and the id filler of one generator describe the same pages.
    @Test func idFillerNamesTheFillersPages() throws {
        let bytes = FillGenerator()
        let ids = FillGenerator()
        let fills: [Fill] = [
            .byte(0), .byte(0xE1), .byte(0xE5), .byte(7), .classes(5, namespace: "a"), .unique, .classes(3, namespace: "b"),
            .unique,
        ]
        var scratch = [UInt8](repeating: 0, count: PageStore.pageSize)
        for fill in fills {
            let f = try bytes.filler(for: fill)
            let g = try ids.idFiller(for: fill)
            for i in 0..<7 {
                scratch.withUnsafeMutableBytes { f(i, $0) }
                #expect(scratch.withUnsafeBytes { PageID.of($0) } == g(i), "\(fill) page \(i)")
            }
        }
    }

    @Test func idsBeyondTheirRangeAreRefused() throws {
        let g = FillGenerator()
        g.writes = (1 << 24) - 2
        _ = try g.idFiller(for: .unique)
        #expect(throws: ScenarioError.self) { try g.idFiller(for: .unique) }
        // The bytes mode's filler goes on (its header holds 32 bits of the write number).
        _ = try g.filler(for: .unique)
    }

    /// Bytes that are no fill get a hash as their id; the page that id stands for names it back.
    @Test func otherBytesAreNamedByTheirHash() {
        var g = RandomScenario.Generator(seed: 5)
        var p = [UInt8](repeating: 0, count: PageStore.pageSize)
        for _ in 0..<200 {
            for k in stride(from: 0, to: p.count, by: 8) {
                p.withUnsafeMutableBytes { $0.storeBytes(of: g.next(), toByteOffset: k, as: UInt64.self) }
            }
            let id = p.withUnsafeBytes { PageID.of($0) }
            #expect(PageID.kind(id) == .other)
            var q = [UInt8](repeating: 1, count: PageStore.pageSize)
            q.withUnsafeMutableBytes { PageID.bytes(id, into: $0) }
            #expect(q.withUnsafeBytes { PageID.of($0) } == id)
        }
    }

    // MARK: The library

    @Test func writesByIDReadTheSameInBothModes() throws {
        var digests: [UInt64] = []
        for content in PageContentMode.allCases {
            let k = SimulatedKernel(rules: .linux6_17, content: content)
            #expect(k.content == content)
            let p = k.spawn()
            try k.mmap(p, at: 0, pages: 64, prot: .readWrite, .privateAnonymous)
            try k.madvise(p, at: 0, pages: 64, advice: .mergeable)
            try k.write(p, at: 0, pages: 64, ids: { UInt64($0 % 8) &* 0x0123_4567_89AB_CDEF })
            let first = try k.withPage(p, 9) { Array($0.prefix(16)) }
            #expect(first == [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF] + [UInt8](repeating: 0, count: 8))
            k.ksmDoScan(1000)
            k.ksmDoScan(1000)
            // Id 0 is the zero page: 8 of them; seven other contents of 8 pages each.
            #expect(k.ksmCounters.pagesShared == 8 && k.ksmCounters.pagesSharing == 56)
            digests.append(try k.contentDigest(p))
            #expect(k.invariantViolations().isEmpty, "\(k.invariantViolations())")
        }
        #expect(digests[0] == digests[1])
    }

    @Test func writesOfBytesWithIDsKeepTheirIdentity() throws {
        let k = SimulatedKernel(rules: .linux6_17, content: .ids)
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 8, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 8, advice: .mergeable)
        // Two pages of arbitrary bytes twice, two of one repeated byte, two of zeros.
        try k.write(p, at: 0, pages: 8) { i, page in
            page.initializeMemory(as: UInt8.self, repeating: 0)
            switch i / 2 {
            case 0: page.storeBytes(of: 0xDEAD, toByteOffset: 100, as: UInt32.self)
            case 1: page.storeBytes(of: 0xBEEF, toByteOffset: 200, as: UInt32.self)
            case 2: page.initializeMemory(as: UInt8.self, repeating: 9)
            default: break
            }
        }
        var knobs = k.ksmKnobs
        knobs.useZeroPages = true
        try k.setKSMKnobs(knobs)
        k.ksmDoScan(100)
        k.ksmDoScan(100)
        #expect(k.ksmCounters.pagesShared == 3 && k.ksmCounters.pagesSharing == 3 && k.ksmCounters.ksmZeroPages == 2)
        #expect(try k.withPage(p, 4) { $0.allSatisfy { $0 == 9 } } == true)
    }

    @Test func benchmarkCountersAreTheKernelsWithIDs() throws {
        for ratio in [0, 0.5] {
            let r = try ScanBenchmark(pages: 4096, duplicateRatio: ratio, content: .ids).run()
            #expect(r.countersMatch, "\(r.counters) vs \(r.expectedCounters)")
            #expect(r.content == .ids)
            let b = try ScanBenchmark(pages: 4096, duplicateRatio: ratio).run()
            #expect(b.counters == r.counters)
        }
    }
}

/// `--content` on the command line.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct ContentOptionCLITests {
    @Test func runAndEstimatePrintTheSameWithIDs() throws {
        for args in [
            ["run", "--json", CLITests.example("fork-cow.json")],
            ["compare", CLITests.example("fleet-vmas.json"), "--rules", "linux-6.4,linux-6.17", "--summary"],
            ["estimate", "--snapshot", CLITests.example("python3.ksmsnap"), "--json"],
        ] {
            let bytes = try CLITests.ksmdSim(args)
            let ids = try CLITests.ksmdSim(args + ["--content", "ids"])
            #expect(bytes.status == 0 && ids.status == 0, "\(args): \(bytes.stderr) \(ids.stderr)")
            #expect(bytes.stdout == ids.stdout, "\(args)")
        }
    }

    @Test func benchWithIDsSaysWhatItSkips() throws {
        let r = try CLITests.ksmdSim(["bench", "--content", "ids", "--pages", "2048"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("content ids"))
        #expect(r.stdout.contains("bare XXH3-64  not measured: content ids have no bytes to hash"))
        #expect(r.stdout.contains("counters      as the kernel reports them"))
    }

    @Test(arguments: [
        (["run", "x.json", "--content", "pages"], "The value 'pages' is invalid for '--content <content>'"),
        (["bench", "--kernel", "--content", "ids"], "bench: --kernel measures pages of bytes: it goes with --content bytes"),
    ])
    func badContentIsOneLine(args: [String], message: String) throws {
        let r = try CLITests.ksmdSim(args)
        #expect(r.status == 64)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}
