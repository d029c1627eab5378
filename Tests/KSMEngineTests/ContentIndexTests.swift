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
            // decide) and differ in them sometimes. The home slot comes from the tag's high bits
            // (multiply-shift), so those spread the keys over the table, and tags of all ones
            // start at its last slot, so that runs wrap around.
            let key = (rng.next() % 16) << 60 | (rng.next() % 2) * 0x0FFF_FFFF << 32 | (rng.next() % 64)
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

/// The index is allocated for the keys a pass can add, and gives back memory when it holds far
/// fewer keys than it has room for.
@Suite struct ContentIndexCapacityTests {
    static let keys: [UInt64] = (0..<20000).map { UInt64($0 + 1) &* 0x9E37_79B9_7F4A_7C15 }
    static func keyOf(_ e: Int32) -> UInt64 { keys[Int(e)] }

    /// Adds entries `0..<n`, one key each.
    static func fill(_ index: ContentIndex, _ n: Int) {
        for e in 0..<n { #expect(index.push(Int32(e), key: keys[e], keyOf: keyOf) == -1) }
    }

    static func findsAll(_ index: ContentIndex, _ entries: some Sequence<Int>) -> Bool {
        entries.allSatisfy { index.first(keys[$0], keyOf: keyOf) == Int32($0) }
    }

    @Test func emptyingAllocatesForThePassToCome() {
        let index = ContentIndex()
        // Reserved for 20000 keys: they go in without the index growing.
        index.removeAll(reservingFor: 20000)
        let reserved = index.capacity
        #expect(reserved == ContentIndex.fitted(20000))
        Self.fill(index, 20000)
        #expect(index.capacity == reserved && index.count == 20000 && Self.findsAll(index, 0..<20000))
        // A pass that may add as many: kept, emptied.
        index.removeAll(reservingFor: 19000)
        #expect(index.capacity == reserved && index.count == 0 && index.first(Self.keys[0], keyOf: Self.keyOf) == -1)
        // A pass that may add far fewer: reallocated for them.
        index.removeAll(reservingFor: 1000)
        #expect(index.capacity == ContentIndex.fitted(1000))
        // More keys than reserved for: it grows, at most four fifths full.
        Self.fill(index, 5000)
        #expect(index.capacity > ContentIndex.fitted(1000) && index.capacity * 4 >= 5000 * 5)
        #expect(Self.findsAll(index, 0..<5000))
    }

    @Test func removingMostKeysShrinksIt() {
        let index = ContentIndex()
        Self.fill(index, 20000)
        let grown = index.capacity
        for e in 1000..<20000 {
            index.unlink(
                Int32(e), key: Self.keys[e], keyOf: Self.keyOf, nextOf: { _ in -1 }, setNext: { _, _ in })
            // At least a quarter full after every removal, unless it is near its smallest size.
            #expect(index.count * 4 >= index.capacity || index.capacity * 2 <= ContentIndex.minimumCapacity * 3)
        }
        #expect(index.count == 1000 && index.capacity < grown / 4)
        #expect(Self.findsAll(index, 0..<1000))
        #expect(Self.keys[1000..<20000].allSatisfy { index.first($0, keyOf: Self.keyOf) == -1 })
    }

    @Test func shrinkingToTheLastPeakKeepsTheKeys() {
        let index = ContentIndex()
        // Growth by doubling leaves it between two fifths and four fifths full.
        Self.fill(index, 1700)
        let grown = index.capacity
        #expect(grown > ContentIndex.fitted(1700))
        // The peak since the last call was 1700: reallocated at what that needs.
        #expect(index.shrinkToFit() && index.capacity == ContentIndex.fitted(1700))
        // Again: it already fits.
        #expect(!index.shrinkToFit() && index.capacity == ContentIndex.fitted(1700))
        #expect(index.count == 1700 && Self.findsAll(index, 0..<1700))
    }

    @Test func largeTablesFillWholeHugePages() {
        let index = ContentIndex()
        let keys = ContentIndex.mappedTableBytes / 8
        index.removeAll(reservingFor: keys)
        #expect(index.capacity >= ContentIndex.fitted(keys) && index.bytes % (2 << 20) == 0)
        #expect(index.capacity - ContentIndex.fitted(keys) < (2 << 20) / 8)
        #expect(index.push(0, key: Self.keys[0], keyOf: Self.keyOf) == -1 && Self.findsAll(index, 0..<1))
        index.removeAll(reservingFor: 10)
        #expect(index.capacity == ContentIndex.minimumCapacity && Self.findsAll(index, []))
    }
}
