import Testing

@testable import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Model-based random testing: seeded random scenarios run step by step, every step followed by a
/// comparison of every process's memory with ``ReferenceMemory`` and by
/// ``SimulatedKernel/invariantViolations()``, and the scenario without ksmd's steps must read the
/// same at every step. A failure prints its seed and its shrunk scenario as JSON.
@Suite struct ModelBasedTests {
    static let scenarios = 2000
    static let chunks = 20

    @Test("2,000 random scenarios agree with the reference model and keep the invariants", arguments: 0..<chunks)
    func randomScenarios(chunk: Int) {
        let perChunk = Self.scenarios / Self.chunks
        let slot = CrashNote.modelSlots.lowerBound + chunk
        defer { CrashNote.clear(slot) }
        for k in 0..<perChunk {
            let seed = UInt64(chunk * perChunk + k)
            CrashNote.set(slot, "model-based test: seed \(seed) (ModelCheck.run(seed: \(seed)))")
            guard let failure = ModelCheck.run(seed: seed) else { continue }
            CrashNote.set(slot, "model-based test: shrinking the failure of seed \(seed)")
            let shrunk = ModelCheck.shrink(failure)
            print(shrunk)
            Issue.record("\(shrunk)")
            return
        }
    }

    /// The small scenario files of the repository: without mutators, loads and clones (which the
    /// model does not follow), and at most 100,000 pages checked in all (steps × pages mapped); the fleets of
    /// `examples/` would take a minute.
    static let corpus: [String] = (scenarioFiles(in: "Tests/Scenarios") + exampleFiles()).filter { path in
        guard let s = try? loadScenario(path) else { return true }
        let mapped = s.steps.reduce(0) { if case .mmap(_, _, let p, _, _) = $1.action { $0 + p } else { $0 } }
        return mapped * s.steps.count <= 100_000
            && !s.steps.contains {
                switch $0.action {
                case .mutator, .load, .clone: return true
                default: return false
                }
            }
    }

    @Test("scenario files agree with the reference model and keep the invariants", arguments: corpus)
    func scenarioFile(_ path: String) throws {
        let s = try loadScenario(path)
        let slot = CrashNote.corpusSlot
        CrashNote.set(slot, "model-based test: \(path)")
        defer { CrashNote.clear(slot) }
        if let failure = ModelCheck.check(s) {
            Issue.record("\(path): \(failure)")
        }
    }

    // MARK: The checks have teeth

    /// A small run that merges: two processes, identical pages, scanned.
    static func mergedKernel() throws -> SimulatorBackend {
        let s = try Scenario.parse(
            """
            {"steps": [
              {"op": "spawn", "process": "a"},
              {"op": "prctl", "process": "a", "memory_merge": true},
              {"op": "mmap", "process": "a", "at": 0, "pages": 8, "prot": "rw", "map": "private-anon"},
              {"op": "write", "process": "a", "at": 0, "pages": 8, "fill": {"classes": 2}},
              {"op": "fork", "process": "a", "child": "b"},
              {"op": "write", "process": "b", "at": 4, "pages": 4, "fill": {"classes": 2}},
              {"op": "scan", "full_scans": 3}
            ]}
            """)
        let backend = SimulatorBackend(rules: s.rules)
        let fills = FillGenerator()
        for step in s.steps { try backend.perform(step.action, fills: fills) }
        return backend
    }

    @Test func theInvariantsHoldAfterMerging() throws {
        let k = try Self.mergedKernel().kernel
        #expect(k.ksmCounters.pagesShared == 2 && k.ksmCounters.pagesSharing == 14)
        #expect(k.invariantViolations() == [])
    }

    @Test func aWrongCounterIsFound() throws {
        let k = try Self.mergedKernel().kernel
        k.ksm.pagesSharing += 1
        #expect(k.invariantViolations().contains { $0.hasPrefix("pages_sharing") })
        k.ksm.pagesSharing -= 1
        k.ksm.stableNodeDups += 1
        #expect(k.invariantViolations().contains { $0.hasPrefix("stable_node_dups") })
        k.ksm.stableNodeDups -= 1
        try k.mm(k.processIDs[0]).ksmMergingPages += 1
        #expect(k.invariantViolations().contains { $0.contains("ksm_merging_pages") })
    }

    @Test func aLeakedPageReferenceIsFound() throws {
        let k = try Self.mergedKernel().kernel
        let h = try k.mm(k.processIDs[0]).pageTable[0]
        k.store.retain(h)
        #expect(k.invariantViolations().contains { $0.hasPrefix("page \(h): map count") })
    }

    @Test func aBrokenStableTreeIsFound() throws {
        let k = try Self.mergedKernel().kernel
        let root = k.linkedStableRoot
        #expect(root >= 0)
        k.ksm.nodes[Int(root)].rbRed = true
        #expect(k.invariantViolations().contains { $0.contains("root") && $0.contains("red") })
    }

    /// Walks compare KSM pages themselves: a page written in place under its stable node is found
    /// by its content key, in both content modes.
    @Test(arguments: PageContentMode.allCases)
    func aKSMPageWrittenInPlaceIsFoundByItsKey(_ content: PageContentMode) throws {
        let k = SimulatedKernel(content: content)
        try k.setKSMKnob("pages_to_scan", .int(1000))
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 4, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 4, advice: .mergeable)
        try k.write(p, at: 0, pages: 4) { _, page in page.initializeMemory(as: UInt8.self, repeating: 7) }
        for _ in 0..<3 { k.ksmDoScan(1000) }
        #expect(k.ksmCounters.pagesShared == 1 && k.invariantViolations() == [])
        let h = try k.mm(p).pageTable[0]
        #expect(k.store.isKSM(h))
        if content == .ids {
            k.store.ids[Int(h)] &+= 1
        } else {
            k.store.bytes(h).storeBytes(of: 8, as: UInt8.self)
        }
        #expect(k.invariantViolations().contains { $0.contains("its key is not its page's content hash") })
    }

    @Test func aCorruptedKSMPageIsFoundByTheModel() throws {
        let s = try Scenario.parse(
            """
            {"steps": [
              {"op": "spawn", "process": "a"},
              {"op": "mmap", "process": "a", "at": 0, "pages": 4, "prot": "rw", "map": "private-anon"},
              {"op": "madvise", "process": "a", "at": 0, "pages": 4, "advice": "mergeable"},
              {"op": "write", "process": "a", "at": 0, "pages": 4, "fill": {"byte": 7}},
              {"op": "scan", "full_scans": 2}
            ]}
            """)
        let backend = SimulatorBackend(rules: s.rules)
        let model = ReferenceMemory(backend: backend)
        let fills = FillGenerator()
        for step in s.steps {
            try backend.perform(step.action, fills: fills)
            #expect(model.apply(step.action, outcome: nil) == [])
        }
        #expect(model.differences(from: backend, processes: ["a"]) == [])
        #expect(model.expectedPage(process: "a", page: 2) == [UInt8](repeating: 7, count: 4096))
        // One byte of the KSM page changes: all four pages read it.
        let k = backend.kernel
        let h = try k.mm(backend.pid("a")!).pageTable[0]
        #expect(k.store.isKSM(h))
        k.store.bytes(h).storeBytes(of: 8, as: UInt8.self)
        let d = model.differences(from: backend, processes: ["a"])
        #expect(d.count == 1 && d[0].contains("4 pages"))
    }

    // MARK: The model on its own

    /// Runs scenario text with the model alongside, returning the backend, model and the
    /// model's complaints.
    static func modelRun(_ text: String) throws -> (SimulatorBackend, ReferenceMemory, [String]) {
        let s = try Scenario.parse(text)
        let backend = SimulatorBackend(rules: s.rules)
        let model = ReferenceMemory(backend: backend)
        let fills = FillGenerator()
        var problems: [String] = []
        var live: [String] = []
        for step in s.steps {
            var outcome: Errno?
            do { try backend.perform(step.action, fills: fills) } catch let e as Errno { outcome = e }
            #expect(outcome == step.expect, "step \(step.index)")
            problems += model.apply(step.action, outcome: outcome)
            if case .spawn(let p) = step.action { live.append(p) }
            if case .fork(_, let c) = step.action { live.append(c) }
            if case .exit(let p) = step.action { live.removeAll { $0 == p } }
            problems += model.differences(from: backend, processes: live)
        }
        return (backend, model, problems)
    }

    @Test func modelFollowsCopyOnWriteFilesAndDontneed() throws {
        let (_, model, problems) = try Self.modelRun(
            """
            {"steps": [
              {"op": "spawn", "process": "a"},
              {"op": "mmap", "process": "a", "at": 0, "pages": 4, "prot": "rw", "map": "shared-file", "file": "f"},
              {"op": "mmap", "process": "a", "at": 8, "pages": 4, "prot": "r", "map": "private-file", "file": "f"},
              {"op": "write", "process": "a", "at": 0, "pages": 4, "fill": {"byte": 1}},
              {"op": "write", "process": "a", "at": 8, "pages": 2, "fill": {"byte": 2}},
              {"op": "fork", "process": "a", "child": "b"},
              {"op": "write", "process": "b", "at": 0, "pages": 1, "fill": {"byte": 3}},
              {"op": "madvise", "process": "a", "at": 8, "pages": 1, "advice": "dontneed"},
              {"op": "mprotect", "process": "a", "at": 0, "pages": 4, "prot": "r"},
              {"op": "write", "process": "a", "at": 2, "pages": 1, "fill": {"byte": 4}, "expect": "EIO"},
              {"op": "write", "process": "b", "at": 10, "pages": 4, "fill": {"byte": 5}, "expect": "EIO"}
            ]}
            """)
        #expect(problems == [])
        func first(_ p: String, _ page: Int) -> UInt8 { model.expectedPage(process: p, page: page)[0] }
        #expect(first("a", 0) == 3 && first("a", 1) == 1)  // the child's write to the shared file
        #expect(first("a", 8) == 3)  // dontneed: the file's page again
        #expect(first("a", 9) == 2 && first("b", 9) == 2)  // copied at fork
        #expect(first("b", 10) == 5 && first("b", 11) == 5 && first("a", 10) == 1)  // stopped at page 12
    }

    @Test func shrinkingKeepsWhatFails() throws {
        let s = RandomScenario.make(seed: 7)
        // "Fails" while some write of unique pages is left: shrinks to a spawn, that write's
        // process's history it needs, and the write.
        func hasUniqueWrite(_ s: Scenario) -> Bool {
            s.steps.contains { if case .write(_, _, _, .unique) = $0.action { return true } else { return false } }
        }
        try #require(hasUniqueWrite(s))
        let shrunk = ModelCheck.shrink(s, while: hasUniqueWrite)
        #expect(hasUniqueWrite(shrunk))
        #expect(shrunk.steps.count <= 3)
        #expect(shrunk.steps.enumerated().allSatisfy { $0.offset == $0.element.index })
        #expect((try? Scenario.parse(shrunk.json.serialized())) != nil)
    }

    @Test func aFailureShrinksToItsCoreAndPrintsItsSeed() throws {
        // The model does not follow mutators: a run_for with one active is an outcome failure.
        let s = try Scenario.parse(
            """
            {"steps": [
              {"op": "spawn", "process": "a"},
              {"op": "spawn", "process": "b"},
              {"op": "mmap", "process": "a", "at": 0, "pages": 8, "prot": "rw", "map": "private-anon"},
              {"op": "write", "process": "a", "at": 0, "pages": 8, "fill": {"unique": true}},
              {"op": "fork", "process": "b", "child": "c"},
              {"op": "scan", "full_scans": 2},
              {"op": "mutator", "process": "a", "at": 0, "pages": 8, "rate": 100},
              {"op": "madvise", "process": "c", "at": 0, "pages": 8, "advice": "mergeable", "expect": "ENOMEM"},
              {"op": "run_for", "seconds": 0.5},
              {"op": "scan", "full_scans": 1}
            ]}
            """)
        let failure = try #require(ModelCheck.evaluate(s, seed: 42))
        #expect(failure.kind == .outcome && failure.step == 8)
        let shrunk = ModelCheck.shrink(failure)
        #expect(shrunk.kind == .outcome)
        #expect(shrunk.scenario.steps.map(\.op) == ["spawn", "mutator", "run_for"])
        let text = shrunk.description
        #expect(text.hasPrefix("seed 42: outcome failure after step 2 (run_for)"))
        let json = String(text[text.firstIndex(of: "{")!...])
        #expect(try Scenario.parse(json).steps.count == 3)
    }

    @Test func withoutKSMStepsDropsOnlyKsmdSteps() {
        let s = RandomScenario.make(seed: 11)
        let (plain, positions) = ModelCheck.withoutKSMSteps(s)
        #expect(plain.steps.count == positions.count)
        for (step, pos) in zip(plain.steps, positions) { #expect(step.action == s.steps[pos].action) }
        #expect(!plain.steps.contains { if case .scan = $0.action { true } else { false } })
        #expect(plain.steps.count + s.steps.filter { ["scan", "ksm", "ksm_run"].contains($0.op) }.count == s.steps.count)
    }
}

/// Notes of what each test case is running, printed to stderr if the process crashes (a trap in
/// the simulator) or an input runs too long (the watchdog then aborts): the seed or input that
/// crashed, which the crash itself cannot tell.
enum CrashNote {
    static let modelSlots = 0..<32
    static let fuzzSlots = 32..<62
    static let corpusSlot = 62
    static let slotCount = 64
    static let slotSize = 512
    /// Seconds an input may run before the watchdog calls it a hang.
    static let timeoutSeconds = 60

    nonisolated(unsafe) static let notes: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotSize)
        p.initialize(repeating: 0, count: slotCount * slotSize)
        return p
    }()
    /// When each slot's note was set (monotonic seconds), 0 when idle.
    nonisolated(unsafe) static let started: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
        p.initialize(repeating: 0, count: slotCount)
        return p
    }()
    nonisolated(unsafe) static let previous: UnsafeMutablePointer<sigaction> = .allocate(capacity: 65)

    static let installed: Bool = {
        _ = notes
        _ = started
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                CrashNote.printNotes()
                // Back to the previous handler: the faulting instruction (or abort) signals again.
                _ = sigaction(sig, CrashNote.previous + Int(sig), nil)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(sig, &action, previous + Int(sig))
        }
        var thread = pthread_t()
        _ = pthread_create(
            &thread, nil,
            { _ in
                while true {
                    sleep(1)
                    let now = CrashNote.now()
                    for slot in 0..<CrashNote.slotCount {
                        let t = CrashNote.started[slot]
                        if t != 0 && now - t > CrashNote.timeoutSeconds {
                            let line = "watchdog: a test input ran for more than \(CrashNote.timeoutSeconds) s (a hang): \n  "
                            _ = line.withCString { write(2, $0, strlen($0)) }
                            _ = write(
                                2, CrashNote.notes + slot * CrashNote.slotSize,
                                strlen(CrashNote.notes + slot * CrashNote.slotSize))
                            _ = write(2, "\n", 1)
                            abort()
                        }
                    }
                }
            }, nil)
        pthread_detach(thread)
        return true
    }()

    static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec
    }

    static func printNotes() {
        let header = "the test process crashed; the test inputs running at the time (one of them crashed it):\n"
        _ = header.withCString { write(2, $0, strlen($0)) }
        for slot in 0..<slotCount {
            let p = notes + slot * slotSize
            guard p.pointee != 0 else { continue }
            let prefix = "  "
            _ = prefix.withCString { write(2, $0, strlen($0)) }
            _ = write(2, p, strlen(p))
            _ = write(2, "\n", 1)
        }
    }

    static func set(_ slot: Int, _ text: String) {
        _ = installed
        started[slot] = 0
        var bytes = Array(text.utf8.prefix(slotSize - 1))
        bytes.append(0)
        bytes.withUnsafeBytes {
            (notes + slot * slotSize).update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: bytes.count)
        }
        started[slot] = now()
    }

    static func clear(_ slot: Int) {
        started[slot] = 0
        notes[slot * slotSize] = 0
    }
}
