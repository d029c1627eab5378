import Testing

@testable import KSMEngine

/// Hashing ahead of the scan loop on several threads (`ScanAhead`) changes how long a scan takes,
/// never what it does: every report of a scenario is the same with 1, 2 and 3 threads.
@Suite struct ScanThreadsTests {
    static func reports(
        _ s: Scenario, threads: Int, sharing: UnsafeMutablePointer<Int>? = nil, ahead: UnsafeMutablePointer<(Int, Int)>? = nil
    ) throws -> [String] {
        let backend = SimulatorBackend(rules: s.rules)
        backend.kernel.scanThreads = threads
        let r = try ScenarioRunner.run(s, on: backend).map { $0.json.serialized() }
        sharing?.pointee = backend.kernel.ksmCounters.pagesSharing
        ahead?.pointee = (backend.kernel.ksm.ahead.hits, backend.kernel.ksm.ahead.chunksQueued)
        return r
    }

    @Test(arguments: 0..<4)
    func randomScenariosGiveTheSameReports(_ chunk: Int) throws {
        for seed in UInt64(chunk * 50)..<UInt64(chunk * 50 + 50) {
            var o = ModelCheck.scenarioOptions(seed: seed)
            o.simulatorOnlyKinds = true
            let s = try RandomScenario.withExpectations(RandomScenario.make(seed: seed, options: o))
            let one = try Self.reports(s, threads: 1)
            #expect(try Self.reports(s, threads: 2) == one, "seed \(seed)")
        }
    }

    /// Chunks of thousands of pages: batches that end inside a chunk (pages_to_scan 1500), and
    /// batches of whole passes in which the helpers hash two chunks ahead (pages_to_scan 100000);
    /// writes and forks between batches (which must invalidate what was hashed ahead), smart_scan
    /// on and off.
    @Test(arguments: [true, false], [1500, 100_000])
    func largeScenarioGivesTheSameReports(_ smartScan: Bool, _ pagesToScan: Int) throws {
        let s = try Scenario.parse(
            """
            {"ksm": {"pages_to_scan": \(pagesToScan), "smart_scan": \(smartScan)},
             "steps": [
              {"op": "spawn", "process": "a"},
              {"op": "mmap", "process": "a", "at": 0, "pages": 20000, "prot": "rw", "map": "private-anon"},
              {"op": "madvise", "process": "a", "at": 0, "pages": 20000, "advice": "mergeable"},
              {"op": "write", "process": "a", "at": 0, "pages": 20000, "fill": {"classes": 5000, "namespace": "x"}},
              {"op": "scan", "full_scans": 2},
              {"op": "write", "process": "a", "at": 3000, "pages": 2000, "fill": {"unique": true}},
              {"op": "fork", "process": "a", "child": "b"},
              {"op": "write", "process": "b", "at": 100, "pages": 4000, "fill": {"classes": 7, "namespace": "y"}},
              {"op": "scan", "full_scans": 3},
              {"op": "munmap", "process": "a", "at": 6000, "pages": 1000},
              {"op": "write", "process": "a", "at": 0, "pages": 500, "fill": {"byte": 0}},
              {"op": "scan", "full_scans": 4}
            ]}
            """)
        var sharing = 0
        var ahead = (0, 0)
        let one = try Self.reports(s, threads: 1, sharing: &sharing)
        #expect(try Self.reports(s, threads: 2, ahead: &ahead) == one)
        #expect(try Self.reports(s, threads: 3) == one)
        // Pages merged, and hashes computed ahead were used, so the comparison compared something.
        #expect(sharing > 1000)
        #expect(ahead.0 > 10_000)
        // Whole passes per batch: helper threads hashed chunks while the loop ran.
        if pagesToScan > 20000 { #expect(ahead.1 > 4) }
    }
}
