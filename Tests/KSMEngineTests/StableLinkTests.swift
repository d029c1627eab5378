import Testing

@testable import KSMEngine

/// Stable nodes added without walking the tree and linked later (`KSMState.firstUnlinked`) change
/// when the stable tree's walks happen, never what they find: every report of a scenario, and the
/// red-black tree itself (node by node, links and colours), are the same as when every insert walks.
@Suite struct StableLinkTests {
    struct Run {
        var reports: [String]
        /// Each tree-level node in order: (node, left, right, parent, red).
        var tree: [[Int32]]
        /// Nodes waited to be linked between two steps at least once (the lazy path was taken).
        var deferred: Bool
    }

    static func run(_ s: Scenario, defer deferLinks: Bool) throws -> Run {
        let backend = SimulatorBackend(rules: s.rules)
        let k = backend.kernel
        k.ksm.deferStableLinks = deferLinks
        var deferred = false
        let reports = try ScenarioRunner.run(
            s, on: backend,
            onStep: { _, _ in
                deferred = deferred || k.ksm.hasUnlinkedNodes
                #expect(k.invariantViolations().isEmpty)
            }
        ).map { $0.json.serialized() }
        return Run(reports: reports, tree: Self.tree(k), deferred: deferred)
    }

    /// The stable tree with every node linked, in order, node by node; the invariants must hold.
    static func tree(_ k: SimulatedKernel) -> [[Int32]] {
        var tree: [[Int32]] = []
        func walk(_ n: Int32) {
            guard n >= 0 else { return }
            let node = k.ksm.nodes[Int(n)]
            walk(node.rbLeft)
            tree.append([n, node.rbLeft, node.rbRight, node.rbParent, node.rbRed ? 1 : 0])
            walk(node.rbRight)
        }
        walk(k.linkedStableRoot)
        #expect(k.invariantViolations().isEmpty)
        return tree
    }

    /// Where two runs differ, briefly; `nil` when they do not.
    static func difference(_ a: Run, _ b: Run) -> String? {
        if let i = a.reports.indices.first(where: { $0 < b.reports.count && a.reports[$0] != b.reports[$0] }) {
            return "report \(i): \(a.reports[i]) vs \(b.reports[i])"
        }
        if a.reports.count != b.reports.count { return "\(a.reports.count) reports vs \(b.reports.count)" }
        if let i = a.tree.indices.first(where: { $0 < b.tree.count && a.tree[$0] != b.tree[$0] }) {
            return "tree entry \(i): \(a.tree[i]) vs \(b.tree[i])"
        }
        if a.tree.count != b.tree.count { return "\(a.tree.count) tree nodes vs \(b.tree.count)" }
        return nil
    }

    @Test(arguments: 0..<4)
    func randomScenariosGiveTheSameReportsAndTree(_ chunk: Int) throws {
        var deferredRuns = 0
        for seed in UInt64(1000 + chunk * 50)..<UInt64(1000 + chunk * 50 + 50) {
            var o = ModelCheck.scenarioOptions(seed: seed)
            o.simulatorOnlyKinds = true
            let s = try RandomScenario.withExpectations(RandomScenario.make(seed: seed, options: o))
            let lazy = try Self.run(s, defer: true)
            if lazy.deferred { deferredRuns += 1 }
            let difference = Self.difference(try Self.run(s, defer: false), lazy)
            #expect(difference == nil, "seed \(seed)")
        }
        // The comparison compared something: nodes did wait to be linked in some scenarios.
        #expect(deferredRuns > 0)
    }

    /// Thousands of KSM pages made in one pass, then freed (munmap, writes that break COW) while
    /// nodes still wait to be linked, then a chain (max_page_sharing 2 and a fork): the first KSM
    /// page freed links the waiting nodes, and the walks that follow prune the stale nodes.
    @Test(arguments: [2, 256])
    func freesAndChainsWhileNodesWait(_ maxPageSharing: Int) throws {
        let s = try Scenario.parse(
            """
            {"ksm": {"pages_to_scan": 100000, "max_page_sharing": \(maxPageSharing)},
             "steps": [
              {"op": "spawn", "process": "a"},
              {"op": "mmap", "process": "a", "at": 0, "pages": 8000, "prot": "rw", "map": "private-anon"},
              {"op": "madvise", "process": "a", "at": 0, "pages": 8000, "advice": "mergeable"},
              {"op": "write", "process": "a", "at": 0, "pages": 8000, "fill": {"classes": 3000, "namespace": "x"}},
              {"op": "scan", "full_scans": 2},
              {"op": "munmap", "process": "a", "at": 1000, "pages": 2500},
              {"op": "write", "process": "a", "at": 5000, "pages": 1000, "fill": {"unique": true}},
              {"op": "fork", "process": "a", "child": "b"},
              {"op": "scan", "full_scans": 1},
              {"op": "write", "process": "b", "at": 0, "pages": 800, "fill": {"classes": 100, "namespace": "y"}},
              {"op": "scan", "full_scans": 3},
              {"op": "exit", "process": "a"},
              {"op": "scan", "full_scans": 2}
            ]}
            """)
        let lazy = try Self.run(s, defer: true)
        #expect(lazy.deferred)
        let eager = try Self.run(s, defer: false)
        #expect(Self.difference(eager, lazy) == nil)
        #expect(!eager.tree.isEmpty)
    }

    /// Pages alike in their first 1,000 bytes, so that the stable tree's order is decided past the
    /// pages' first 16 bytes, by reading the whole frames. Two passes make 1,500 KSM pages whose nodes
    /// wait to be linked; every mapping of a third of them goes (their frames freed: the first
    /// free must link the waiting nodes), new pages are mapped and written (taking the freed
    /// frames), and passes walk the tree.
    @Test func linkingReadsFramesFreedSinceTheirNodesWereAdded() throws {
        func contents(_ page: UnsafeMutableRawBufferPointer, _ value: Int) {
            page.initializeMemory(as: UInt8.self, repeating: 7)
            page.storeBytes(of: UInt64(value) &* 0x9E37_79B9_7F4A_7C15, toByteOffset: 1000, as: UInt64.self)
        }
        func run(defer deferLinks: Bool) throws -> (KSMCounters, [[Int32]], Bool) {
            let k = SimulatedKernel()
            k.ksm.deferStableLinks = deferLinks
            try k.setKSMKnob("pages_to_scan", .int(100_000))
            let p = k.spawn()
            _ = try k.mmap(p, at: 0, pages: 4500, prot: .readWrite, .privateAnonymous)
            try k.madvise(p, at: 0, pages: 4500, advice: .mergeable)
            // Page i and page i + 1500 hold content i (i < 1500); pages 3000..<4500 are unique.
            try k.write(p, at: 0, pages: 4500) { i, page in contents(page, i < 3000 ? i % 1500 : 10_000 + i) }
            try k.runKSMD(fullScans: 2)
            let waited = k.ksm.hasUnlinkedNodes
            // Both mappings of contents 0..<500 go: 500 KSM pages freed.
            try k.munmap(p, at: 0, pages: 500)
            try k.munmap(p, at: 1500, pages: 500)
            _ = try k.mmap(p, at: 5000, pages: 1000, prot: .readWrite, .privateAnonymous)
            try k.write(p, at: 5000, pages: 1000) { i, page in contents(page, 20_000 + i) }
            try k.runKSMD(fullScans: 2)
            return (k.ksmCounters, Self.tree(k), waited)
        }
        let lazy = try run(defer: true)
        let eager = try run(defer: false)
        #expect(lazy.2, "nodes waited to be linked")
        #expect(lazy.0 == eager.0)
        #expect(lazy.1 == eager.1)
        #expect(lazy.1.count == 1000)
    }
}
