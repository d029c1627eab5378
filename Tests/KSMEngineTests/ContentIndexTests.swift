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
        let before = try k.contentDigest(p)
        try k.runKSMD(fullScans: 3)
        #expect(k.ksmCounters.pagesShared == 8 && k.ksmCounters.pagesSharing == 56)
        #expect(try k.contentDigest(p) == before)
        for i in 0..<64 { #expect(try k.withPage(p, i) { $0.allSatisfy { $0 == UInt8(i % 8 + 1) } } == true) }
    }
}

/// The open-addressing table under both trees' indexes, against a dictionary: random keys (few
/// distinct home slots, so that probe runs wrap around the table and removals shift entries back),
/// growth from a small capacity, chains of entries with one key.
@Suite struct ContentIndexTableTests {
    @Test(arguments: [1, 2, 3])
    func agreesWithADictionary(_ seed: UInt64) {
        var rng = SplitMix64(state: seed)
        let index = ContentIndex(capacity: 8)
        var keys: [UInt64] = []  // entry -> key
        var next: [Int32] = []  // entry -> next entry with the same key
        var model: [UInt64: [Int32]] = [:]  // key -> entries, first first
        func keyOf(_ e: Int32) -> UInt64 { keys[Int(e)] }
        for _ in 0..<4000 {
            // Keys share their high bits often (tags and home slots collide, and the full keys
            // decide) and differ in them sometimes.
            let key = (rng.next() % 16) << 32 | (rng.next() % 64)
            if rng.next() % 3 != 0 || model.isEmpty {
                let e = Int32(keys.count)
                keys.append(key)
                next.append(index.push(e, key: key, keyOf: keyOf))
                model[key, default: []].insert(e, at: 0)
            } else {
                let k = Array(model.keys)[Int(rng.next() % UInt64(model.count))]
                let e = model[k]![Int(rng.next() % UInt64(model[k]!.count))]
                index.unlink(e, key: k, keyOf: keyOf, nextOf: { next[Int($0)] }, setNext: { next[Int($0)] = $1 })
                model[k]!.removeAll { $0 == e }
                if model[k]!.isEmpty { model[k] = nil }
            }
        }
        #expect(index.count == model.count)
        for (k, entries) in model {
            var chain: [Int32] = []
            var e = index.first(k, keyOf: keyOf)
            while e >= 0 && chain.count <= keys.count {
                chain.append(e)
                e = next[Int(e)]
            }
            #expect(chain == entries, "key \(k)")
        }
        for k in UInt64(0)..<64 where model[k] == nil { #expect(index.first(k, keyOf: keyOf) == -1) }
    }
}
