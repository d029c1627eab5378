import Testing

@testable import KSMEngine

/// The content index is a hash, but merging compares bytes: with every hash forced to collide the
/// results must not change, and no two different pages may ever merge.
@Suite struct ContentIndexTests {
    static func run(_ scenario: Scenario, keyMask: UInt64) throws -> [Report] {
        let backend = SimulatorBackend(rules: scenario.rules)
        backend.kernel.ksm.keyMask = keyMask
        return try ScenarioRunner.run(scenario, on: backend)
    }

    @Test(arguments: 1...40)
    func forcedHashCollisionsChangeNothing(seed: Int) throws {
        var options = RandomScenario.Options()
        options.steps = 80
        options.simulatorOnlyKinds = true
        let scenario = try RandomScenario.withExpectations(RandomScenario.make(seed: UInt64(seed), options: options))
        let normal = try Self.run(scenario, keyMask: ~0)
        let colliding = try Self.run(scenario, keyMask: 0)
        let diffs = ReportComparison.differences(normal, colliding, names: ("XXH3 keys", "all keys equal"))
        #expect(diffs.isEmpty, "seed \(seed):\n\(diffs.joined(separator: "\n"))")
    }

    @Test func collidingDifferentPagesNeverMerge() throws {
        let k = SimulatedKernel()
        k.ksm.keyMask = 0
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 64, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 64, advice: .mergeable)
        // 64 pages, 8 contents: every page's key is 0.
        try k.write(p, at: 0, pages: 64) { i, page in page.initializeMemory(as: UInt8.self, repeating: UInt8(i % 8 + 1)) }
        let before = k.contentDigest(p)
        try k.runKSMD(fullScans: 3)
        #expect(k.ksmCounters.pagesShared == 8 && k.ksmCounters.pagesSharing == 56)
        #expect(k.contentDigest(p) == before)
        for i in 0..<64 { #expect(k.withPage(p, i) { $0.allSatisfy { $0 == UInt8(i % 8 + 1) } } == true) }
    }
}
