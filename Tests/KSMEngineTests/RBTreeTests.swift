import Testing

@testable import KSMEngine

/// The stable tree's red-black tree (SimulatedKernel+RBTree.swift) against lib/rbtree.c.
///
/// The simulator must visit the nodes the kernel visits on a stable-tree search, so after any
/// sequence of insertions (`rb_link_node()` + `rb_insert_color()`), erasures (`rb_erase()`) and
/// replacements (`rb_replace_node()`) the tree must have exactly the shape and colours of the
/// kernel's. These tests drive `rbInsert`, `rbErase` and `rbReplace` on integer keys (kept in a
/// side table, node index to key) and compare canonical forms with ones recorded from lib/rbtree.c
/// built in user space over the same operations.
///
/// Canonical form: preorder, each node as its key and colour (`B` or `R`), followed by
/// `(left)(right)` when it has any child; the empty tree is "". A trace hash is FNV-1a 64 over the
/// canonical forms after every operation, each followed by `|`, so it compares every intermediate
/// shape.
///
/// Operations: `+K` inserts key K (plain BST descent, linked at the leaf; nothing if K is present),
/// `-K` erases key K (nothing if absent), `=K` replaces K's node by a fresh one with the same key.
/// Generated sequences (seed, ops, range, erase percent) draw from SplitMix64: per operation
/// r = next(); if the tree is not empty and r % 100 < erase percent, erase the live key at index
/// next() % count in ascending order, else insert next() % range.
///
/// The expected values were printed by a small C program linking Linux's lib/rbtree.c (with
/// include/linux/rbtree.h, rbtree_types.h and rbtree_augmented.h, kernel macros stubbed) that runs
/// the same operations with the same generator; that program and the kernel source are not part
/// of this repository. The targeted sequences are the shortest found whose last operation takes
/// each branch of __rb_insert(), __rb_erase_augmented() and ____rb_erase_color(), left and right.
@Suite struct RBTreeTests {
    /// A SimulatedKernel's stable-tree nodes used as a red-black tree of integer keys.
    final class Tree {
        let k = SimulatedKernel()
        /// Node index to key (nil: not in the tree).
        var keyOf: [Int?] = []
        var nodeOf: [Int: Int32] = [:]

        var root: Int32 { k.ksm.stableRoot }

        private func setKey(_ node: Int32, _ key: Int?) {
            while keyOf.count <= Int(node) { keyOf.append(nil) }
            keyOf[Int(node)] = key
        }

        @discardableResult func insert(_ key: Int) -> Bool {
            var parent: Int32 = -1
            var left = false
            var n = root
            while n >= 0 {
                parent = n
                let nk = keyOf[Int(n)]!
                if key < nk {
                    left = true
                    n = k.ksm.nodes[Int(n)].rbLeft
                } else if key > nk {
                    left = false
                    n = k.ksm.nodes[Int(n)].rbRight
                } else {
                    return false
                }
            }
            let node = k.allocStableNode(.regular)
            setKey(node, key)
            nodeOf[key] = node
            k.rbInsert(node, parent: parent, left: left)
            return true
        }

        @discardableResult func erase(_ key: Int) -> Bool {
            guard let node = nodeOf.removeValue(forKey: key) else { return false }
            k.rbErase(node)
            setKey(node, nil)
            k.freeStableNode(node)
            return true
        }

        /// Replaces `key`'s node by a freshly allocated one with the same key.
        @discardableResult func replace(_ key: Int) -> Bool {
            guard let old = nodeOf[key] else { return false }
            let new = k.allocStableNode(.regular)
            k.rbReplace(old, with: new)
            setKey(old, nil)
            setKey(new, key)
            nodeOf[key] = new
            k.freeStableNode(old)
            return true
        }

        func apply(_ op: Substring) {
            let key = Int(op.dropFirst())!
            switch op.first {
            case "+": insert(key)
            case "-": erase(key)
            case "=": replace(key)
            default: Issue.record("bad op \(op)")
            }
        }

        private static func append(
            _ n: Int32, _ nodes: UnsafeBufferPointer<StableNode>, _ keys: UnsafeBufferPointer<Int?>, to out: inout [UInt8],
            budget: inout Int
        ) {
            budget -= 1
            guard budget >= 0 else { return }  // a cycle: stop, the shape differs anyway
            let node = nodes[Int(n)]
            var key = keys[Int(n)] ?? -1
            if key < 0 {
                out.append(UInt8(ascii: "-"))
                key = -key
            }
            let start = out.count
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(key % 10))
                key /= 10
            } while key > 0
            out[start...].reverse()
            out.append(node.rbRed ? UInt8(ascii: "R") : UInt8(ascii: "B"))
            if node.rbLeft >= 0 || node.rbRight >= 0 {
                out.append(UInt8(ascii: "("))
                if node.rbLeft >= 0 { append(node.rbLeft, nodes, keys, to: &out, budget: &budget) }
                out.append(UInt8(ascii: ")"))
                out.append(UInt8(ascii: "("))
                if node.rbRight >= 0 { append(node.rbRight, nodes, keys, to: &out, budget: &budget) }
                out.append(UInt8(ascii: ")"))
            }
        }

        /// Appends the canonical form of the tree.
        private func canonical(to out: inout [UInt8]) {
            let root = self.root
            guard root >= 0 else { return }
            var budget = nodeOf.count + 1
            k.ksm.nodes.withUnsafeBufferPointer { nodes in
                keyOf.withUnsafeBufferPointer { keys in Self.append(root, nodes, keys, to: &out, budget: &budget) }
            }
        }

        /// The canonical form of the tree.
        var shape: String {
            var out: [UInt8] = []
            canonical(to: &out)
            return String(decoding: out, as: UTF8.self)
        }

        private static func fold(_ byte: UInt8, _ h: inout UInt64) {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }

        /// `append` hashing the bytes instead of storing them.
        private static func fold(
            _ n: Int32, _ nodes: UnsafeBufferPointer<StableNode>, _ keys: UnsafeBufferPointer<Int?>, _ h: inout UInt64,
            budget: inout Int
        ) {
            budget -= 1
            guard budget >= 0 else { return }
            var key = keys[Int(n)] ?? -1
            if key < 0 {
                fold(UInt8(ascii: "-"), &h)
                key = -key
            }
            var scale = 1
            while scale <= key / 10 { scale *= 10 }
            while scale > 0 {
                fold(UInt8(ascii: "0") + UInt8(key / scale % 10), &h)
                scale /= 10
            }
            let left = nodes[Int(n)].rbLeft
            let right = nodes[Int(n)].rbRight
            fold(nodes[Int(n)].rbRed ? UInt8(ascii: "R") : UInt8(ascii: "B"), &h)
            if left >= 0 || right >= 0 {
                fold(UInt8(ascii: "("), &h)
                if left >= 0 { fold(left, nodes, keys, &h, budget: &budget) }
                fold(UInt8(ascii: ")"), &h)
                fold(UInt8(ascii: "("), &h)
                if right >= 0 { fold(right, nodes, keys, &h, budget: &budget) }
                fold(UInt8(ascii: ")"), &h)
            }
        }

        /// Folds the canonical form and a `|` into an FNV-1a 64 hash.
        func hash(into h: inout UInt64) {
            let root = self.root
            if root >= 0 {
                var budget = nodeOf.count + 1
                k.ksm.nodes.withUnsafeBufferPointer { nodes in
                    keyOf.withUnsafeBufferPointer { keys in Self.fold(root, nodes, keys, &h, budget: &budget) }
                }
            }
            Self.fold(UInt8(ascii: "|"), &h)
        }

        /// The first violated red-black or bookkeeping invariant, or nil.
        func violation() -> String? {
            let nodes = k.ksm.nodes
            if root >= 0 {
                if nodes[Int(root)].rbParent != -1 { return "root \(keyOf[Int(root)]!) has parent \(nodes[Int(root)].rbParent)" }
                if nodes[Int(root)].rbRed { return "root \(keyOf[Int(root)]!) is red" }
            }
            var count = 0
            var problem: String?
            // Returns the black height of the subtree, or -1 after recording a problem.
            func walk(_ n: Int32, parent: Int32, low: Int?, high: Int?) -> Int {
                if n < 0 { return 1 }
                count += 1
                guard let key = keyOf[Int(n)] else {
                    problem = "node \(n) in the tree has no key (erased or replaced node still linked)"
                    return -1
                }
                if count > nodeOf.count {
                    problem = "more nodes reachable than live (cycle?)"
                    return -1
                }
                let node = nodes[Int(n)]
                if node.rbParent != parent {
                    problem = "parent of \(key) is node \(node.rbParent), linked under node \(parent)"
                    return -1
                }
                if let low, key <= low {
                    problem = "BST order: \(key) under the right of \(low)"
                    return -1
                }
                if let high, key >= high {
                    problem = "BST order: \(key) under the left of \(high)"
                    return -1
                }
                if node.rbRed && parent >= 0 && nodes[Int(parent)].rbRed {
                    problem = "red \(key) under red \(keyOf[Int(parent)]!)"
                    return -1
                }
                let l = walk(node.rbLeft, parent: n, low: low, high: key)
                if l < 0 { return -1 }
                let r = walk(node.rbRight, parent: n, low: key, high: high)
                if r < 0 { return -1 }
                if l != r {
                    problem = "black heights \(l) and \(r) under \(key)"
                    return -1
                }
                return l + (node.rbRed ? 0 : 1)
            }
            _ = walk(root, parent: -1, low: nil, high: nil)
            if let problem { return problem }
            if count != nodeOf.count { return "\(count) nodes reachable, \(nodeOf.count) live" }
            return nil
        }
    }

    /// Runs a generated sequence; `after` is called after each operation and stops the sequence by
    /// returning false (a broken tree would trap on a later operation).
    static func generate(
        _ tree: Tree, seed: UInt64, ops: Int, range: Int, erasePercent: Int, after: (Tree, Int) -> Bool
    ) {
        var rng = SplitMix64(state: seed)
        var live: [Int] = []  // ascending
        for i in 0..<ops {
            let r = rng.next()
            if !live.isEmpty && Int(r % 100) < erasePercent {
                let key = live.remove(at: Int(rng.next() % UInt64(live.count)))
                tree.erase(key)
            } else {
                let key = Int(rng.next() % UInt64(range))
                if tree.insert(key) {
                    var lo = 0
                    var hi = live.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if live[mid] < key { lo = mid + 1 } else { hi = mid }
                    }
                    live.insert(key, at: lo)
                }
            }
            if !after(tree, i) { return }
        }
    }

    static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    // MARK: Invariants

    @Test(arguments: 0..<24)
    func invariantsHoldAfterEveryOperation(_ run: Int) {
        let ranges = [8, 50, 500, 5000]
        let t = Tree()
        var rng = SplitMix64(state: 0x5eed_0000 + UInt64(run))
        Self.generate(t, seed: 0xabc_0000 + UInt64(run), ops: 2500, range: ranges[run % 4], erasePercent: [30, 45, 55][run % 3]) {
            t, i in
            if let v = t.violation() {
                Issue.record("run \(run), after operation \(i): \(v)")
                return false
            }
            // Now and then replace a random live node as well.
            if rng.next() % 8 == 0, !t.nodeOf.isEmpty {
                let keys = t.nodeOf.keys.sorted()
                let key = keys[Int(rng.next() % UInt64(keys.count))]
                t.replace(key)
                if let v = t.violation() {
                    Issue.record("run \(run), after operation \(i) and replacing \(key): \(v)")
                    return false
                }
            }
            return true
        }
        #expect((t.k.ksm.stableRoot == -1) == t.nodeOf.isEmpty)
    }

    @Test func emptyingTheTreeLeavesNoRoot() {
        let t = Tree()
        for key in 0..<300 { t.insert((key * 7919) % 1000) }
        #expect(t.nodeOf.count == 300)
        for key in t.nodeOf.keys.sorted(by: { ($0 * 389) % 1009 < ($1 * 389) % 1009 }) {
            t.erase(key)
            if let v = t.violation() {
                Issue.record("after erasing \(key): \(v)")
                return
            }
        }
        #expect(t.k.ksm.stableRoot == -1)
    }

    // MARK: Shapes against lib/rbtree.c

    @Test(arguments: 0..<RBTreeTests.targeted.count)
    func targetedSequenceMatchesLinux(_ index: Int) {
        let f = Self.targeted[index]
        let t = Tree()
        var h = Self.fnvBasis
        for op in f.ops.split(separator: " ") {
            t.apply(op)
            t.hash(into: &h)
        }
        #expect(t.shape == f.shape, "\(f.name): \(f.ops)")
        #expect(h == f.trace, "\(f.name): an intermediate shape differs: \(f.ops)")
        #expect(t.violation() == nil)
    }

    @Test(arguments: 0..<RBTreeTests.generated.count)
    func generatedSequenceMatchesLinux(_ index: Int) {
        let f = Self.generated[index]
        let t = Tree()
        var h = Self.fnvBasis
        Self.generate(t, seed: f.seed, ops: f.ops, range: f.range, erasePercent: f.erasePercent) { t, _ in
            t.hash(into: &h)
            return true
        }
        #expect(t.shape == f.shape, "G \(f.seed) \(f.ops) \(f.range) \(f.erasePercent)")
        #expect(h == f.trace, "G \(f.seed) \(f.ops) \(f.range) \(f.erasePercent): an intermediate shape differs")
    }

    @Test func bulkSequencesMatchLinux() {
        var mismatches = 0
        for f in Self.bulk {
            let t = Tree()
            var h = Self.fnvBasis
            Self.generate(t, seed: f.seed, ops: f.ops, range: f.range, erasePercent: f.erasePercent) { t, _ in
                t.hash(into: &h)
                return true
            }
            if h != f.trace {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("G \(f.seed) \(f.ops) \(f.range) \(f.erasePercent): shapes differ from Linux's")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(Self.bulk.count) sequences differ")
    }

    // MARK: rb_replace_node

    /// Replacing a node by a fresh one keeps the shape, colours and links; later operations then
    /// shape the tree exactly as without the replacement.
    @Test(arguments: 0..<RBTreeTests.generated.count)
    func replaceKeepsTheShape(_ index: Int) {
        let f = Self.generated[index]
        let t = Tree()
        var rng = SplitMix64(state: f.seed ^ 0xdead_beef)
        var h = Self.fnvBasis
        var failed = false
        Self.generate(t, seed: f.seed, ops: f.ops, range: f.range, erasePercent: f.erasePercent) { t, i in
            t.hash(into: &h)
            guard !t.nodeOf.isEmpty else { return true }
            let keys = t.nodeOf.keys.sorted()
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let before = t.shape
            let old = t.k.ksm.nodes[Int(t.nodeOf[key]!)]
            t.replace(key)
            let new = t.k.ksm.nodes[Int(t.nodeOf[key]!)]
            if t.shape != before || old.rbLeft != new.rbLeft || old.rbRight != new.rbRight
                || old.rbParent != new.rbParent || old.rbRed != new.rbRed
            {
                Issue.record("after operation \(i), replacing \(key): \(before) became \(t.shape)")
                failed = true
            } else if let v = t.violation() {
                Issue.record("after operation \(i), replacing \(key): \(v)")
                failed = true
            }
            return !failed
        }
        guard !failed else { return }
        #expect(t.shape == f.shape)
        #expect(h == f.trace)
    }

    @Test func replaceRootAndLeaves() {
        let t = Tree()
        for key in [10, 5, 15, 3, 7, 12, 18] { t.insert(key) }
        let before = t.shape
        for key in [10, 3, 18, 5, 15] {
            let old = t.nodeOf[key]!
            t.replace(key)
            #expect(t.nodeOf[key]! != old)
            #expect(t.shape == before)
            #expect(t.violation() == nil)
        }
        #expect(t.k.ksm.stableRoot == t.nodeOf[10]!)
    }

    // MARK: Fixtures, recorded from Linux's lib/rbtree.c and rbtree_augmented.h (rb_link_node,
    // rb_insert_color, rb_erase, rb_replace_node) built in user space over the same operations.

    // Targeted sequences: each reaches the named cases of lib/rbtree.c in its last operation.
    static let targeted: [(name: String, ops: String, shape: String, trace: UInt64)] = [
        (
            "insert case 1 (uncle red), parent is left child",
            "+51 +37 +56 +50",
            "51B(37B()(50R))(56B)", 0xd123_5cc0_07c6_6c74
        ),
        (
            "insert case 2 (left rotate at parent)",
            "+57 +42 +48",
            "48B(42R)(57R)", 0x800c_0391_bfc2_7c25
        ),
        (
            "insert case 3 (right rotate at gparent)",
            "+50 +48 +11",
            "48B(11R)(50R)", 0x1c48_2e20_5d75_6230
        ),
        (
            "insert case 1 mirror (parent is right child); insert case 1 recolouring up to the root",
            "+4 +10 +31 +14",
            "10B(4B)(31B(14R)())", 0xa457_75a8_88d8_2e03
        ),
        (
            "insert case 2 mirror (right rotate at parent)",
            "+2 +26 +20",
            "20B(2R)(26R)", 0x6033_7ad8_3913_bfc5
        ),
        (
            "insert case 3 mirror (left rotate at gparent)",
            "+7 +25 +59",
            "25B(7R)(59R)", 0x6007_2057_27a5_dc5a
        ),
        (
            "erase the only node",
            "+40 -40",
            "", 0x21c6_0203_3a4b_4b51
        ),
        (
            "erase: no left child, right child takes its place",
            "+28 +48 -28",
            "48B", 0x1304_16d2_00ee_1e5d
        ),
        (
            "erase: black leaf, rebalance; erase colour case 3 (right rotate at sibling); erase colour case 4 (left rotate at parent)",
            "+17 +59 +32 +47 -17",
            "47B(32B)(59B)", 0xfb6e_da54_012e_156c
        ),
        (
            "erase: red leaf",
            "+55 +6 -6",
            "55B", 0xbdb8_11ab_5e14_4fad
        ),
        (
            "erase: only a left child",
            "+24 +1 -24",
            "1B", 0x3a8b_74eb_93ea_d367
        ),
        (
            "erase: successor is the right child; erase: red successor without child2",
            "+51 +1 +9 -9",
            "51B(1R)()", 0x42a1_0afc_6baa_a955
        ),
        (
            "erase: successor is leftmost of the right subtree",
            "+54 +15 +6 +44 -15",
            "44B(6B)(54B)", 0x044c_2ec9_0dd1_19c8
        ),
        (
            "erase: successor has a right child (child2)",
            "+43 +13 +3 +52 -13",
            "43B(3B)(52B)", 0x7b53_58ca_45d9_a6a1
        ),
        (
            "erase: black successor without child2, rebalance",
            "+36 +34 +51 +3 -36",
            "34B(3B)(51B)", 0x19ea_0fe1_943d_fda1
        ),
        (
            "erase colour case 1 (red sibling, left rotate)",
            "+30 +5 +54 +55 +53 +37 -5",
            "54B(37R(30B)(53B))(55B)", 0x5065_0165_6a66_dd10
        ),
        (
            "erase colour case 2, red parent",
            "+8 +21 +40 +59 +27 +45 -8",
            "40B(21B()(27R))(59B(45R)())", 0xf2be_fa66_ad6a_b9a6
        ),
        (
            "erase colour case 2, recurse upward",
            "+57 +40 +29 -29 +9 +25 +26 +13 +4 +37 +12 +56 +36 -4 +30 -9",
            "36B(25B(12B()(13R))(26B()(30R)))(40B(37B)(57B(56R)()))", 0x5415_ae54_169b_eee1
        ),
        (
            "erase colour case 2 up to the root",
            "+27 +21 +11 +36 -11 -21",
            "27B()(36R)", 0xd2ca_9647_71aa_326c
        ),
        (
            "erase colour case 4 with sibling's left child moved",
            "+4 +12 +53 +15 +16 -4",
            "16B(12B()(15R))(53B)", 0x7542_efaa_1515_4010
        ),
        (
            "erase colour case 1 mirror (right rotate); erase colour case 2 mirror, red parent",
            "+37 +15 +34 +24 +7 +2 -34",
            "15B(7B(2R)())(37B(24R)())", 0x8ae5_fea6_9512_7166
        ),
        (
            "erase colour case 2 mirror, recurse upward",
            "+25 +18 +23 +34 +58 +45 +19 +47 +7 +11 +53 +54 +41 -7 -18",
            "34B(23B(19B(11R)())(25B))(47B(45B(41R)())(54B(53R)(58R)))", 0x993e_d3bf_ceb4_1bf1
        ),
        (
            "erase colour case 2 mirror up to the root",
            "+4 +36 +25 +53 -25 -36",
            "53B(4R)()", 0x16fe_2413_3537_40d1
        ),
        (
            "erase colour case 3 mirror (left rotate at sibling); erase colour case 4 mirror (right rotate at parent)",
            "+36 +9 +45 +22 -45",
            "22B(9B)(36B)", 0x64f8_42de_2701_db5e
        ),
        (
            "erase colour case 4 mirror with sibling's right child moved",
            "+44 +22 +53 +26 +35 -53",
            "26B(22B)(44B(35R)())", 0x5fe5_fc1d_026a_029f
        ),
        (
            "ascending inserts",
            "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 +17 +18 +19 +20 +21 +22 +23 +24 +25 +26 +27 +28 +29 +30 +31 +32",
            "8B(4B(2B(1B)(3B))(6B(5B)(7B)))(16R(12B(10B(9B)(11B))(14B(13B)(15B)))(20B(18B(17B)(19B))(24R(22B(21B)(23B))(28B(26R(25B)(27B))(30R(29B)(31B()(32R)))))))",
            0x7173_0367_a6f0_870a
        ),
        (
            "descending inserts",
            "+32 +31 +30 +29 +28 +27 +26 +25 +24 +23 +22 +21 +20 +19 +18 +17 +16 +15 +14 +13 +12 +11 +10 +9 +8 +7 +6 +5 +4 +3 +2 +1",
            "25B(17R(13B(9R(5B(3R(2B(1R)())(4B))(7R(6B)(8B)))(11B(10B)(12B)))(15B(14B)(16B)))(21B(19B(18B)(20B))(23B(22B)(24B))))(29B(27B(26B)(28B))(31B(30B)(32B)))",
            0xc957_9bab_eaf4_9109
        ),
        (
            "ascending inserts, ascending erases",
            "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 -1 -2 -3 -4 -5 -6 -7 -8 -9 -10 -11 -12",
            "14B(13B)(15B()(16R))", 0x367d_a10f_cf80_20a9
        ),
        (
            "ascending inserts, descending erases",
            "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 -16 -15 -14 -13 -12 -11 -10 -9 -8 -7 -6 -5",
            "2B(1B)(4B(3R)())", 0xd53c_d745_7360_bf5a
        ),
        (
            "perfect tree, erase interior nodes",
            "+16 +8 +24 +4 +12 +20 +28 +2 +6 +10 +14 +18 +22 +26 +30 +1 +3 +5 +7 +9 +11 +13 +15 +17 +19 +21 +23 +25 +27 +29 +31 -16 -17 -18 -8 -24 -4",
            "19B(9B(5R(2B(1R)(3R))(6B()(7R)))(12R(10B()(11R))(14B(13R)(15R))))(25B(22R(20B()(21R))(23B))(28R(26B()(27R))(30B(29R)(31R))))",
            0x079f_c57f_da0b_d45b
        ),
        (
            "zigzag inserts and erases",
            "+50 +1 +99 +2 +98 +3 +97 +4 +96 +5 +95 +6 +94 +7 +93 +8 +92 +9 +91 +10 +90 -50 -1 -99 -2 -98",
            "90B(6R(4B(3B)(5B))(8B(7B)(9B()(10R))))(94R(92B(91B)(93B))(96B(95B)(97B)))", 0xfad2_8130_f7fb_8901
        ),
        (
            "erase roots repeatedly",
            "+10 +5 +15 +3 +7 +12 +18 +1 +4 +6 +8 -10 -12 -5 -15 -3",
            "6B(4B(1R)())(8R(7B)(18B))", 0x2179_4dc1_536f_9496
        ),
        (
            "replacements mixed with inserts and erases",
            "+10 +5 +15 +3 +7 +12 +18 =10 =3 =18 -10 +11 =11 -5 +4 =7 -7",
            "12B(4R(3B)(11B))(15B()(18R))", 0xd815_c2bd_9102_fd06
        ),
        (
            "erase all leaves of a perfect tree",
            "+8 +4 +12 +2 +6 +10 +14 +1 +3 +5 +7 +9 +11 +13 +15 -1 -3 -5 -7 -9 -11 -13 -15",
            "8B(4R(2B)(6B))(12R(10B)(14B))", 0x8e55_f819_16d5_3ea9
        ),
        (
            "erase everything",
            "+8 +4 +12 +2 +6 +10 +14 +1 +3 +5 +7 +9 +11 +13 +15 -15 -13 -11 -9 -7 -5 -3 -1 -2 -6 -10 -14 -4 -12 -8",
            "", 0xd70c_9c6b_8a43_49e4
        ),
    ]

    // Generated sequences (seed, ops, key range, erase percent) and their final shapes.
    static let generated: [(seed: UInt64, ops: Int, range: Int, erasePercent: Int, shape: String, trace: UInt64)] = [
        (
            1_675_942_381_751_885_191, 168, 40, 26,
            "32B(17R(10B(4R(3B(1R)())(7B(5R)()))(13R(12B(11R)())(14B)))(19B(18B)(23R(22B)(28B(27R)(31R)))))(37B(34B()(36R))(39B))",
            0xb7b2_b1e2_c5c8_af7a
        ),
        (
            6_673_246_749_242_817_191, 124, 40, 37,
            "35B(16B)(37B)", 0xfe4e_dd57_43f8_ad2e
        ),
        (
            5_867_428_164_980_129_239, 147, 40, 33,
            "17B(7B(3B(2R)(5R))(14B(9R)()))(24B(22B()(23R))(34R(29B()(31R))(37B()(39R))))", 0x6d7b_3d63_574d_2d97
        ),
        (
            6_712_393_261_475_892_707, 177, 20, 29,
            "8B(4B(2B(0R)())(5B))(13B(10R(9B)(11B()(12R)))(18R(14B)(19B)))", 0x6de3_3790_6404_c962
        ),
        (
            6_493_805_337_718_067_301, 104, 1000, 22,
            "310B(131B(77B(40R(27B(14R)(29R))(70B))(106B(84R)(117R)))(206R(145B(133B)(171R(155B)(180B()(184R))))(268B(228B(221R)(263R))(299R(277B(276R)(282R))(307B)))))(711B(470R(402B(374R(357B(326R)(359R))(385B))(419B()(451R)))(618B(566R(491B(483R)(505R))(581B))(676B(650R)(694R))))(883R(829B(734R(724B)(771B()(788R)))(863B(838R)(865R)))(938B(915B(890R)(934R))(955R(941B()(949R))(983B)))))",
            0xccf6_9d2c_1ccd_c5e1
        ),
        (
            7_142_339_279_891_098_119, 72, 100, 49,
            "47B(5R)()", 0x30a3_abae_32c2_5c60
        ),
        (
            7_669_274_927_417_216_845, 187, 20, 37,
            "7B(5B)(12B)", 0x07a1_5066_7e4c_5737
        ),
        (
            8_000_916_318_308_904_385, 125, 10, 44,
            "9B", 0x39a7_91c5_335f_e909
        ),
        (
            5_798_467_809_746_172_108, 126, 100, 23,
            "60B(34B(14R(6B(3R(1B()(2R))(4B()(5R)))(12R(9B(7R)(11R))(13B)))(21B(17R(16B(15R)())(20B(18R)()))(29R(24B()(28R))(32B(31R)(33R)))))(50R(44B(41R(36B()(40R))(43B))(46R(45B)(48B()(49R))))(56B(52B(51R)(55R))(59B))))(83B(75B(66R(62B(61R)(65R))(67B()(74R)))(81R(76B()(79R))(82B)))(87B(85B)(94B(93R)())))",
            0xbd2e_cd7b_1074_2996
        ),
        (
            6_857_610_234_067_573_904, 55, 40, 32,
            "28B(13B(11R(7B()(9R))(12B))(20R(14B)(23B()(26R))))(38B(35R(34B(31R)())(37B))(39B))", 0x5923_c902_05c9_f222
        ),
        (
            3_184_797_180_018_886_416, 71, 40, 33,
            "21B(8R(6B(3R(2B)(5B(4R)()))(7B))(10B(9B)(15B(12R)())))(37B(30R(27B(22R)(29R))(31B()(33R)))(38B))",
            0x40f5_f10a_dbba_08c2
        ),
        (
            2_918_774_237_572_698_181, 165, 20, 48,
            "8B(4R(0B)(6B))(13B(9R)(15R))", 0x0c6b_185c_7051_efb2
        ),
        (
            3_753_683_252_995_960_154, 78, 20, 21,
            "5B(3B(2B(0R)())(4B))(12B(8R(7B)(11B(9R)()))(17B()(19R)))", 0xb2f3_bd67_8c35_f430
        ),
        (
            2_077_284_966_273_255_286, 24, 40, 47,
            "22B(16B()(20R))(29B()(36R))", 0xc718_5ad7_498f_975e
        ),
        (
            2_944_320_441_448_244_420, 165, 100, 39,
            "52B(16B(11B(4B(1R)(5R))(12B()(13R)))(39R(22B(17B()(18R))(28R(27B)(29B)))(50B(42B(40R)(47R))(51B))))(87B(77B(56R(53B)(65B()(66R)))(82B()(84R)))(91B(89B)(94R(92B)(99B(96R)()))))",
            0x833f_865a_f4ac_ff81
        ),
        (
            3_054_109_467_519_897_190, 187, 1000, 44,
            "410B(217R(63B(62B(12R)())(148B(119R)(182R)))(290B(261B)(292B()(386R))))(657R(476B(421R(417B)(460B(441R)()))(567B(478R)()))(920B(839R(814B(688R)())(859B))(963R(922B)(982B(965R)()))))",
            0xd1d1_066c_a5ec_ae4d
        ),
        (
            2_177_456_031_020_925_272, 138, 40, 24,
            "17B(6B(2B()(5R))(10R(9B)(13B(11R)(14R))))(32R(23B(20B(18R)())(28R(24B()(26R))(30B()(31R))))(36B(35B)(39B(37R)())))",
            0x8d62_3a70_579b_face
        ),
        (
            3_401_387_372_275_686_618, 146, 1000, 46,
            "416B(162B(21B)(306B()(313R)))(713B(691R(487B()(494R))(694B))(836R(735B(718R)(739R))(986B)))", 0x1168_e9a6_4df6_97cd
        ),
        (
            1_304_158_313_797_847_832, 87, 100, 39,
            "44B(22B)(88B)", 0xf3df_8457_542e_fc7b
        ),
        (
            3_094_452_122_068_363_051, 139, 20, 41,
            "8B(5B(1B)(6B()(7R)))(15B(12B()(14R))(16B))", 0x6b29_8c8c_f1cb_c873
        ),
        (
            7_081_904_094_835_780_372, 53, 40, 49,
            "9B", 0xa80b_07af_1087_2c43
        ),
        (
            5_358_972_597_532_366_998, 195, 10, 23,
            "4B(1R(0B)(2B))(7R(6B)(9B(8R)()))", 0x65d6_02bd_0b9d_696b
        ),
        (
            7_780_441_652_835_773_197, 64, 10, 48,
            "7B(0B)(9B)", 0xb8a6_52a7_9e1f_984f
        ),
        (
            4_041_109_981_851_915_421, 200, 20, 31,
            "10B(3R(2B)(8B))(16B(12R)(19R))", 0x2213_0a35_3cea_1baf
        ),
        (
            751_140_698_165_733_900, 70, 40, 27,
            "24B(6B(3R(1B()(2R))(5B))(21B(15R)()))(30B(25B)(34B()(38R)))", 0xacfd_ca5b_d9ac_540d
        ),
        (
            4_253_492_487_729_859_083, 174, 40, 35,
            "26B(10B(8R(2B(1R)(4R))(9B))(20R(15B()(16R))(23B()(25R))))(35B(30R(27B)(34B))(39B(37R)()))", 0x812e_3186_2d7b_2024
        ),
        (
            8_112_260_052_553_898_926, 131, 100, 26,
            "45B(29B(15R(7B(2R(1B)(5B))(9B(8R)(10R)))(24B(18B)(25B)))(41B(30B()(34R))(43B)))(72B(62B(54B)(71B(66R)()))(88R(77B(73B)(82R(78B)(86B)))(91B(89B)(95R(93B)(96B)))))",
            0x59ae_de08_9e2f_d297
        ),
        (
            653_454_852_226_879_942, 97, 40, 28,
            "15B(9B(1R(0B)(7B(6R)()))(11B))(25B(20R(16B()(19R))(22B(21R)()))(31R(30B(26R)())(33B(32R)(37R))))",
            0xe68a_6904_9585_2f96
        ),
        (
            5_206_959_161_862_103_611, 189, 40, 36,
            "22B(12B(5R(0B)(8B(6R)()))(18B()(20R)))(33B(24B(23R)(29R))(37R(35B)(38B)))", 0xd0aa_7996_a64e_d0a3
        ),
        (
            4_567_591_767_179_898_246, 75, 20, 45,
            "1B(0B)(17B(8R)(19R))", 0x10fb_502d_4a54_58b0
        ),
    ]

    // Longer generated sequences: only the trace hash (every intermediate shape) is kept.
    static let bulk: [(seed: UInt64, ops: Int, range: Int, erasePercent: Int, trace: UInt64)] = [
        (1_624_402_563_396_483_254, 563, 64, 30, 0x909e_292f_e244_09b3),
        (6_918_704_450_043_891_022, 659, 16, 47, 0x253d_d214_e4a8_a835),
        (8_596_492_212_066_497_413, 647, 4096, 57, 0x0273_ff8f_4dbc_1f47),
        (8_767_816_743_036_926_006, 624, 16, 17, 0x1cbc_d180_fa07_03fe),
        (514_354_323_598_323_376, 565, 64, 23, 0x8650_75f0_703a_bf65),
        (5_856_709_857_890_770_893, 614, 16, 42, 0x2847_96ec_0937_5c72),
        (2_179_041_170_061_752_027, 549, 64, 20, 0x24c8_fdf7_ac76_ab95),
        (1_155_826_831_312_011_737, 616, 16, 48, 0x510c_8da9_f0f5_5c43),
        (7_493_822_450_431_033_935, 609, 16, 48, 0x6729_0f90_3707_7f43),
        (5_165_394_207_713_737_300, 392, 256, 10, 0xcc2b_0608_d30f_2f32),
        (2_591_399_519_643_241_217, 314, 64, 13, 0x0979_5038_54a8_c06c),
        (5_860_059_357_702_687_224, 738, 64, 47, 0x4b38_dc6c_1417_69a2),
        (5_944_935_110_283_756_464, 397, 4096, 21, 0x88b1_acb9_ba4b_e766),
        (2_893_024_775_013_471_569, 439, 4096, 50, 0xdfcd_4b77_db6d_fd51),
        (7_698_023_916_918_942_041, 666, 64, 35, 0xf509_55a7_5aed_b863),
        (7_993_864_679_398_685_940, 529, 4096, 48, 0x2339_6e10_5be1_ffca),
        (1_233_871_453_493_519_816, 751, 64, 20, 0x474b_87b6_715f_ae28),
        (3_669_979_363_120_004_380, 400, 64, 32, 0x1766_e091_e7cb_3617),
        (6_333_044_183_167_690_549, 307, 16, 31, 0x61c0_a5e9_5150_775f),
        (26_963_008_718_200_563, 695, 64, 58, 0xf629_eb21_cb9f_5ff4),
        (3_866_625_966_319_291_095, 637, 16, 23, 0xb4b8_0092_e471_9df7),
        (4_285_334_765_005_411_036, 583, 4096, 45, 0xacee_f543_f07c_3305),
        (460_724_302_103_876_748, 520, 256, 10, 0x8e1c_2dc2_5e00_5d71),
        (3_135_832_436_194_339_681, 583, 256, 52, 0xd768_2814_7edb_6c3a),
        (1_454_097_761_445_791_006, 415, 16, 60, 0x7f75_1abb_3759_3b9c),
        (3_975_226_565_203_788_646, 334, 64, 21, 0x5e75_6350_5bfc_a318),
        (7_944_252_517_615_481_046, 473, 256, 26, 0xa8b0_7687_74d3_193c),
        (1_488_600_431_007_959_896, 485, 4096, 37, 0xb00a_8788_3855_4571),
        (4_537_327_537_155_510_517, 614, 256, 20, 0x1751_82aa_52f9_baed),
        (7_104_437_217_020_055_345, 362, 16, 33, 0xd165_417c_22e4_1d21),
        (5_872_245_834_866_436_743, 789, 64, 42, 0x53d3_7c8a_1927_ca87),
        (878_730_855_588_152_214, 327, 4096, 11, 0x3583_6841_2e96_14fd),
        (8_407_911_420_459_284_633, 755, 256, 24, 0x95f5_54ea_bf23_0e4c),
        (2_929_309_477_542_643_477, 578, 64, 23, 0x78c1_6cde_d1e2_66c0),
        (5_384_670_397_739_551_697, 355, 4096, 16, 0xf687_89de_322e_ac21),
        (5_517_265_265_361_576_181, 661, 256, 37, 0x69a5_6883_707a_9acd),
        (1_470_030_581_832_199_536, 691, 64, 10, 0xcdae_6561_eab0_e262),
        (1_147_598_929_939_535_625, 401, 4096, 44, 0x34dc_994b_5b3e_81d3),
        (3_753_461_064_482_283_873, 528, 64, 51, 0x81ac_b811_1121_5ef0),
        (2_280_985_258_600_500_086, 582, 256, 27, 0xe44d_debb_52f0_2c23),
        (3_291_362_866_009_547_007, 530, 16, 35, 0x8c7f_e724_4fed_7144),
        (7_017_987_043_094_176_716, 444, 256, 42, 0x86fc_1916_0e83_7e6b),
        (2_104_616_706_942_354_320, 421, 256, 24, 0x4bb4_d09f_ce01_97d3),
        (7_275_563_786_781_726_341, 539, 256, 28, 0xb270_6962_8ff5_efbe),
        (6_229_450_304_300_322_037, 650, 64, 39, 0x9319_51fd_bcea_337f),
        (4_989_558_747_138_651_107, 327, 256, 34, 0x6482_06e9_f167_17e9),
        (6_005_769_089_853_992_006, 407, 256, 36, 0x6ed3_7bd8_9aeb_8ff3),
        (1_241_496_849_305_334_173, 634, 256, 28, 0xcee9_eec6_a563_5c2f),
        (4_960_721_374_825_671_599, 712, 64, 58, 0xe9bc_d26b_5731_7c06),
        (4_659_825_322_245_989_739, 412, 4096, 48, 0x207e_ae4f_45fe_8a8b),
        (2_736_401_507_476_777_351, 426, 4096, 57, 0x16e6_5a83_7c46_c015),
        (8_800_664_427_694_730_246, 394, 4096, 33, 0x4af0_de35_bd27_e93a),
        (286_743_368_140_467_603, 605, 4096, 54, 0xcccd_18c2_c0d7_a19d),
        (6_970_491_833_011_362_202, 670, 64, 16, 0xe3d6_eef0_01ae_47f8),
        (5_647_011_139_900_114_284, 465, 64, 59, 0x022b_fa4b_9e9b_2d75),
        (8_822_663_502_187_097_928, 338, 256, 12, 0xad66_c40c_337d_020a),
        (5_903_609_517_352_546_366, 696, 256, 52, 0x000d_0398_1b90_5622),
        (4_801_164_186_576_214_790, 396, 4096, 20, 0x485c_8d64_23e9_4f52),
        (6_584_849_275_560_868_821, 541, 256, 14, 0x4ea7_e359_5ea4_ec10),
        (1_145_512_851_214_144_867, 351, 256, 18, 0x0483_b7c8_128e_8892),
        (3_553_930_546_959_320_452, 700, 16, 24, 0x19cd_64bd_448b_4647),
        (5_386_459_690_501_678_800, 420, 64, 28, 0xb044_00b5_7934_64cf),
        (8_275_663_080_304_727_675, 370, 4096, 53, 0x6f4a_3581_488d_57f0),
        (9_003_883_441_667_007_216, 366, 256, 36, 0xc332_e06c_5b24_bddd),
        (5_808_155_615_198_868_540, 658, 256, 45, 0xe06d_7cfb_7c92_ab85),
        (6_935_275_874_699_840_763, 420, 16, 48, 0xe6bc_c045_37a3_205d),
        (3_523_191_326_560_305_131, 371, 256, 20, 0x9802_949a_e092_450a),
        (7_368_853_002_255_720_028, 760, 256, 23, 0x7f6a_501c_974f_6b3a),
        (8_287_108_374_566_302_475, 580, 64, 54, 0x094f_c8d3_f71f_37b8),
        (6_831_712_696_689_527_982, 577, 64, 18, 0x50ad_3531_f8f6_59d6),
        (1_204_024_145_678_426_747, 645, 64, 26, 0xa6f2_ff48_0771_8737),
        (5_884_870_004_748_448_322, 615, 16, 37, 0x5ffa_b653_8e87_d6c3),
        (3_877_465_540_460_684_845, 317, 4096, 19, 0xb4cc_6793_0573_7e47),
        (6_575_113_585_790_628_192, 484, 4096, 32, 0x13c9_34b6_2a69_bbb5),
        (4_447_959_340_913_600_125, 754, 4096, 45, 0x7460_600c_9db5_7ade),
        (289_931_095_783_158_075, 648, 256, 21, 0xaca8_85bf_3958_e30b),
        (6_004_790_475_352_133_884, 759, 4096, 50, 0xa3c8_ca97_b94d_6eca),
        (4_640_867_805_904_298_341, 548, 256, 20, 0x7336_8f91_db2f_314f),
        (4_681_451_908_387_832_796, 677, 256, 22, 0xa8aa_fb53_1b16_11db),
        (4_054_807_392_903_391_340, 538, 256, 49, 0x3a20_0323_4d20_502b),
        (1_301_449_655_644_049_956, 676, 16, 37, 0x6957_8b8e_a3c8_a3d1),
        (2_598_396_618_053_041_498, 687, 16, 55, 0x343d_6a4c_a793_b42f),
        (757_385_080_889_615_221, 643, 4096, 39, 0xa8b8_61fe_7f1a_009e),
        (1_939_763_760_717_543_381, 569, 64, 52, 0x393c_a0f4_97a4_fef7),
        (6_110_320_331_169_723_224, 460, 256, 41, 0x16f7_8cea_0853_4385),
        (5_342_159_978_488_181_724, 328, 64, 53, 0x427a_d08e_e93f_5cc7),
        (4_978_271_556_258_304_706, 542, 64, 29, 0xb29f_aa77_438f_f1ae),
        (9_207_985_229_107_640_547, 460, 256, 31, 0xe2d3_ed03_335e_f04a),
        (1_291_765_681_351_762_082, 618, 256, 32, 0x7c0c_d42c_f700_a6e8),
        (1_391_956_231_616_430_921, 327, 256, 10, 0x0b83_c6d4_4398_82af),
        (2_914_911_628_341_635_110, 684, 256, 22, 0x1d8b_04a5_36f9_6472),
        (8_625_683_022_948_351_902, 445, 4096, 43, 0xbc9f_6ab0_dcd4_d7a2),
        (9_078_051_891_624_204_962, 381, 16, 60, 0x3631_68fa_e354_32c9),
        (5_889_226_555_254_530_515, 434, 4096, 13, 0x794e_2ccd_c898_29d8),
        (1_845_005_088_982_317_145, 648, 64, 18, 0x9328_c80e_9f25_ffc9),
        (122_646_194_311_729_925, 531, 256, 58, 0x51e8_29ec_f9e2_7df3),
        (8_355_094_402_036_146_801, 426, 16, 31, 0xbd32_1f91_ff1a_681c),
        (5_630_446_780_033_601_636, 530, 256, 10, 0x7c89_52bd_7b13_a858),
        (6_211_303_469_511_302_000, 604, 4096, 55, 0x5d7f_0850_5f46_6e50),
        (7_147_014_669_172_116_827, 526, 64, 18, 0xdd5e_5f17_3fd4_91c6),
        (1_070_613_287_511_270_129, 560, 4096, 41, 0xe511_6e97_9da7_d513),
        (3_655_342_212_014_414_680, 554, 4096, 56, 0x8784_e3ed_2499_2130),
        (8_526_935_432_830_933_319, 322, 4096, 52, 0x3968_45ed_d68e_a344),
        (4_847_039_478_693_801_435, 718, 16, 27, 0xc72a_a90b_cc34_9152),
        (7_440_227_049_637_963_052, 689, 16, 33, 0x0f95_798f_a7ac_e48b),
        (7_990_011_337_999_752_513, 574, 256, 14, 0x4dd1_d8ea_9f99_c2be),
        (8_204_182_002_636_046_265, 705, 4096, 48, 0x8e16_1557_5836_f4f6),
        (4_384_631_217_661_098_061, 740, 256, 51, 0xd11a_f004_f026_c427),
        (6_677_921_020_218_415_155, 722, 4096, 42, 0x30b4_f664_29fd_ca12),
        (2_373_438_104_917_394_564, 761, 16, 11, 0x67d0_1bff_6e2a_127f),
        (7_920_513_048_923_884_593, 568, 4096, 20, 0x80ea_15f6_a718_2a19),
        (1_398_352_685_214_022_602, 396, 16, 10, 0xe8f6_642b_e114_f8f5),
        (557_553_856_453_895_254, 354, 256, 20, 0xc850_172f_b3d4_670a),
        (2_115_524_985_226_339_565, 421, 256, 59, 0x57b2_c1c1_a306_b735),
        (1_431_293_526_686_038_532, 794, 16, 26, 0x539c_5191_b144_0afe),
        (8_303_066_291_354_143_477, 718, 256, 15, 0xeaae_1ca8_adf2_4ed5),
        (3_413_983_683_802_143_571, 586, 64, 16, 0xa120_029f_53fa_f8a5),
        (2_331_401_265_922_568_469, 701, 16, 46, 0xa218_d22a_b5d2_7d69),
        (7_002_871_739_391_071_089, 575, 4096, 38, 0xda45_a486_c1ee_4420),
        (6_943_279_871_803_989_831, 424, 16, 53, 0xe2e8_0135_7bda_3f29),
        (1_308_797_029_417_250_566, 690, 256, 27, 0x2ffc_c2e5_78d6_670d),
        (28_045_438_711_255_871, 535, 64, 33, 0xd23c_3edb_534a_89cd),
        (534_699_679_067_104_977, 374, 64, 31, 0xa4a9_681a_8ea1_7192),
        (5_440_073_510_902_624_761, 698, 16, 39, 0xcc0d_f404_1ee1_3f52),
        (7_228_384_076_377_093_721, 670, 16, 24, 0xe301_d701_c9f5_8119),
        (6_981_782_270_977_514_042, 341, 64, 50, 0x95cd_271c_e936_fd36),
        (1_936_663_273_315_184_681, 750, 64, 24, 0x3241_671d_318d_0e04),
        (7_642_270_147_722_583_981, 509, 16, 59, 0xcd38_49fd_4b94_d234),
        (3_851_723_684_563_493_261, 688, 4096, 43, 0x6da9_53a1_5709_285b),
        (7_597_601_829_834_743_324, 720, 64, 25, 0xec93_95c0_04d8_c156),
        (6_840_421_326_707_848_389, 400, 64, 40, 0x2084_b6db_b745_0320),
        (6_412_957_085_836_260_713, 792, 64, 27, 0x396e_e69f_6db6_9917),
        (6_266_590_434_640_570_826, 766, 64, 53, 0xdb3b_dbd1_dc90_be10),
        (3_678_227_663_662_036_565, 724, 64, 34, 0xac13_fe4b_eca4_7361),
        (4_102_683_780_733_855_249, 774, 16, 56, 0x9c4f_b02f_939b_50ea),
        (5_008_140_908_649_305_439, 434, 64, 30, 0x5551_8b87_7516_ecb6),
        (5_819_573_887_928_321_911, 641, 256, 15, 0xdb9b_9586_1127_dfdd),
        (4_552_651_080_252_884_345, 362, 64, 18, 0x2c15_fbdb_af40_078b),
        (1_295_698_546_324_422_271, 713, 4096, 16, 0x550d_5349_08ff_1406),
        (5_581_040_554_691_840_107, 504, 4096, 56, 0x15c0_3d37_3bcf_74b1),
        (5_204_639_564_406_260_289, 593, 4096, 57, 0xd4af_e688_b81a_e2b4),
        (8_928_864_202_808_210_039, 759, 4096, 30, 0x0237_38e8_3935_2baa),
        (5_288_062_158_001_592_734, 463, 64, 21, 0x189b_1b2f_2753_5792),
        (2_050_289_577_371_058_071, 614, 4096, 11, 0xa7ad_052b_43d2_dc6e),
        (4_243_514_560_644_912_685, 680, 256, 12, 0x5785_bab7_2d06_8539),
        (6_854_934_970_150_767_751, 383, 256, 24, 0xf4da_b24d_fba9_542c),
        (5_241_660_500_813_923_486, 630, 4096, 50, 0x94d4_48de_a88e_3d2d),
        (7_256_533_501_907_555_555, 706, 4096, 32, 0x561e_2b0e_d93e_9fb9),
        (8_372_783_757_869_395_225, 657, 16, 39, 0x04c8_b434_6ed7_5738),
        (4_818_305_103_877_629_526, 751, 256, 31, 0xe40c_5375_cb8d_df40),
        (151_450_025_588_907_903, 792, 64, 57, 0xd394_94b4_6f23_6a71),
        (8_861_540_856_897_566_465, 404, 256, 38, 0xa4ed_230c_d857_36c8),
        (4_740_208_205_015_499_780, 793, 16, 19, 0xd11e_855f_1f0d_e12e),
        (6_009_703_965_614_255_813, 586, 4096, 29, 0x348a_1bf1_8a5e_a9d4),
        (4_633_327_664_006_887_896, 668, 256, 60, 0x66c9_2872_3d9a_25bc),
        (1_413_973_615_863_035_402, 396, 16, 44, 0x9ed7_1ce3_7a63_413f),
        (5_815_941_659_220_151_289, 581, 16, 47, 0x3573_9b08_c893_9320),
        (4_580_060_424_811_494_657, 645, 64, 51, 0x0a05_927e_2a99_2fbe),
        (1_510_580_253_644_873_671, 380, 16, 26, 0x34d3_3139_c381_cb59),
        (1_394_072_838_973_695_170, 763, 256, 29, 0xd113_cf84_52cc_5cb8),
        (7_919_612_340_732_277_519, 671, 256, 52, 0x93e1_3ee4_8138_6436),
        (3_149_806_027_245_691_844, 551, 64, 38, 0xd743_e816_bb40_6d08),
        (7_037_329_152_758_486_326, 499, 4096, 15, 0x703d_2c38_0818_72bc),
        (6_701_679_620_119_962_004, 687, 16, 12, 0x337a_6dc4_d472_1923),
        (2_629_036_435_272_954_527, 386, 64, 12, 0x485b_bf0e_3321_76ec),
        (8_916_544_378_573_772_107, 355, 64, 50, 0x4d8d_e8a3_6ba2_54ed),
        (8_549_672_731_938_440_504, 341, 64, 17, 0xab8f_ff19_3824_3488),
        (3_120_499_306_708_596_221, 308, 16, 45, 0x4971_b81d_a5ae_955d),
        (9_026_086_510_854_532_226, 418, 4096, 22, 0xe16d_1992_9975_9e10),
        (1_851_472_133_186_785_950, 305, 256, 56, 0x6347_8e6e_d833_fdd9),
        (7_781_865_919_569_626_778, 480, 4096, 59, 0xd47a_6357_fca3_1ff1),
        (2_584_672_397_727_882_123, 314, 16, 57, 0x2e2d_d114_2cfd_2eb6),
        (7_693_155_339_891_485_005, 656, 4096, 33, 0xa921_a800_215f_afcf),
        (3_753_174_052_194_882_468, 789, 64, 39, 0x83ba_8537_e97d_bb97),
        (856_887_826_353_173_543, 447, 16, 20, 0xb5da_e67d_0038_630a),
        (6_209_273_753_598_229_813, 710, 64, 49, 0x6832_52cf_fb43_1f78),
        (8_563_392_825_249_526_104, 698, 64, 35, 0x4947_bba4_562c_273e),
        (8_011_197_447_619_494_446, 481, 64, 18, 0x09ba_817b_adea_7c4e),
        (6_171_849_623_546_731_683, 665, 16, 21, 0xa391_b678_d1ed_e51b),
        (7_735_983_386_813_731_040, 712, 16, 29, 0x420f_c09d_9922_3abe),
        (1_017_629_081_221_777_858, 657, 64, 41, 0x8437_e22d_5c3e_9916),
        (6_139_811_297_629_247_522, 644, 4096, 23, 0x99af_1bfb_9813_9705),
        (9_128_310_460_753_625_376, 630, 16, 27, 0x91f0_b2bc_54b1_eb02),
        (6_895_084_543_097_164_668, 460, 4096, 49, 0xa450_e49d_c77c_2f17),
        (8_009_921_630_284_541_771, 411, 16, 46, 0x12ee_a7a5_2790_bd97),
        (775_891_267_561_549_753, 573, 64, 41, 0x2a60_24dc_188e_e6d7),
        (6_960_783_068_842_950_874, 547, 64, 50, 0xff12_5abc_b085_275c),
        (3_388_614_866_759_949_848, 327, 16, 38, 0xb51a_fc60_7d29_a876),
        (3_787_283_524_236_654_161, 463, 4096, 35, 0xb95b_25c5_e669_017e),
        (743_685_020_773_810_496, 388, 256, 52, 0x2bc9_bdef_26e4_6e98),
        (5_194_008_223_020_686_527, 435, 64, 52, 0xc3a0_93f0_3075_9851),
        (5_601_221_283_803_091_700, 666, 16, 45, 0xa696_a168_cf1f_9456),
        (8_389_400_265_078_531_148, 641, 256, 41, 0xf255_03da_889c_f560),
        (2_111_287_858_111_187_041, 308, 4096, 50, 0xe0e4_8a80_9b07_29c2),
        (6_282_006_497_204_250_520, 492, 256, 18, 0x871f_9095_1ca5_a0ec),
        (3_545_665_837_217_369_555, 750, 64, 54, 0x5b25_f6eb_556d_a100),
        (3_328_924_108_685_942_618, 607, 16, 24, 0x7b5e_1199_7b9e_6ae4),
        (6_078_043_336_685_859_441, 785, 256, 18, 0x6efd_a1dc_0a8a_1fd4),
        (6_634_714_718_230_421_101, 303, 4096, 33, 0x2ff1_012a_3fc4_bf46),
        (3_885_231_437_918_041_537, 483, 16, 10, 0xeb47_a105_80d1_b150),
        (378_378_103_055_317_335, 551, 16, 22, 0xa649_d97a_a740_9308),
        (1_741_232_172_693_747_503, 613, 64, 42, 0x0b33_4401_24a6_90e2),
        (1_674_433_314_941_159_024, 596, 16, 57, 0x6c1f_0167_b852_6063),
        (692_467_762_493_061_916, 350, 16, 17, 0x771b_f704_34e6_f389),
        (6_490_927_468_876_304_398, 326, 256, 59, 0x31ab_916c_bd27_b18e),
        (7_419_441_840_551_742_876, 494, 16, 58, 0x16df_3354_76c9_711b),
        (4_635_427_953_056_362_873, 319, 16, 25, 0x4c9c_5f30_8c67_38ac),
        (6_766_944_148_096_783_568, 747, 4096, 14, 0x12ca_0b3e_82df_5a8b),
        (582_760_056_521_893_121, 475, 16, 16, 0x29f3_6959_edf9_9056),
        (3_935_666_876_372_647_987, 430, 16, 52, 0xebdd_ff23_5a1d_6dc4),
        (7_409_486_483_544_460_546, 727, 4096, 42, 0xc4e6_f2cc_8988_7bae),
        (8_102_230_111_078_344_848, 692, 16, 40, 0xc1e6_bb98_feb7_f7a4),
        (9_156_058_326_434_740_244, 537, 16, 34, 0xb2a9_7e95_7776_ab16),
        (4_768_507_774_407_489_607, 372, 64, 58, 0x5c47_a431_c4c8_0aba),
        (1_621_589_291_062_199_366, 555, 64, 22, 0x68c2_94d8_095b_488c),
        (1_945_997_239_930_677_043, 324, 256, 42, 0x58af_55fc_9f36_923e),
        (2_755_004_778_834_256_726, 501, 16, 38, 0xc137_7c6e_0aa1_ef00),
        (6_815_336_724_827_287_696, 314, 4096, 13, 0x3715_6b14_0586_df01),
        (9_202_178_687_593_463_564, 306, 256, 30, 0xcc13_5a88_f1b4_c34a),
        (1_192_401_612_200_676_250, 487, 64, 38, 0x6729_f688_c090_4490),
        (1_161_704_476_634_341_759, 453, 64, 49, 0xb266_cbdf_e267_4980),
        (2_478_411_618_597_755_574, 410, 4096, 23, 0x728f_e9ad_c760_bc86),
        (8_471_515_299_308_196_831, 413, 4096, 57, 0xc3f5_f67d_8305_4cca),
        (312_393_529_893_051_573, 685, 16, 16, 0xc331_42e3_d128_8d75),
        (5_544_305_750_041_630_018, 662, 16, 53, 0xe535_20c4_8d92_9806),
        (7_696_963_964_380_802_495, 522, 64, 21, 0x7dad_6d3c_6b9a_3bb9),
        (3_962_093_647_890_459_052, 607, 4096, 60, 0x3c4e_3a99_9629_e399),
        (2_372_193_843_422_995_312, 326, 4096, 12, 0x4d13_953c_181b_cec5),
        (1_572_385_989_292_831_159, 605, 4096, 32, 0x748e_4fca_80f0_98c8),
        (984_348_541_889_373_766, 555, 4096, 22, 0xb02d_2f3d_9265_cc65),
        (1_723_313_540_174_638_874, 795, 16, 57, 0x7668_d5d1_148f_3dfd),
        (2_943_981_185_795_548_676, 337, 256, 55, 0x2f4c_dc4a_062b_9edd),
        (3_058_796_034_660_868_998, 798, 4096, 54, 0x97a7_07c8_ea4d_7e1e),
        (3_700_299_701_849_998_733, 707, 16, 58, 0x6324_4ed3_bd00_674f),
        (8_301_048_882_486_360_034, 540, 16, 32, 0x97f3_76f0_ce02_e254),
        (3_914_598_269_526_765_651, 549, 16, 28, 0x1b0d_c31d_2264_4df7),
        (6_170_566_121_450_364_423, 536, 256, 35, 0x6bf8_db6b_2103_ce29),
        (794_842_015_432_775_722, 319, 4096, 58, 0xcbb6_6b0b_af2d_681e),
        (3_445_162_011_416_716_941, 545, 64, 10, 0x32b9_2205_b80e_5971),
        (757_898_613_755_422_378, 347, 16, 32, 0xbd15_6aa9_26b2_c5e3),
        (8_706_044_105_285_548_012, 636, 256, 43, 0x64e1_7460_6c07_1277),
        (6_116_845_392_247_355_408, 632, 64, 16, 0xc5bc_7165_33e0_26d9),
        (7_514_287_752_581_816_182, 301, 16, 56, 0xe622_ba23_af12_eb6c),
        (987_758_017_856_555_008, 695, 256, 11, 0x7c95_1b46_8800_26da),
        (482_560_052_287_333_889, 397, 256, 27, 0xf28e_7236_9a20_b51b),
        (6_822_020_637_355_117_687, 518, 4096, 16, 0xfa5a_0546_efff_10ae),
        (8_109_597_018_788_809_726, 577, 4096, 40, 0xdfa4_c12f_3d1b_2550),
        (6_639_868_730_577_678_353, 701, 256, 25, 0xc1bc_bd26_f079_cad8),
        (8_201_483_101_598_168_910, 511, 16, 38, 0x9d9d_5f3e_ff60_c44c),
        (7_247_495_396_686_076_399, 622, 16, 40, 0xde52_bbed_bc13_2cd4),
        (1_018_140_679_720_022_730, 524, 16, 20, 0xbd7e_c86e_c3e3_48d6),
        (6_219_088_700_953_391_151, 636, 64, 21, 0x5fdf_e533_cc0d_ea6f),
        (741_180_746_154_897_686, 483, 16, 24, 0x4cba_dade_4506_b392),
        (8_302_202_242_613_957_476, 772, 4096, 10, 0x00dc_55b3_e1d5_36f4),
        (6_693_449_506_439_169_924, 354, 4096, 58, 0x59ba_b57b_c914_db68),
        (3_620_003_917_012_225_844, 329, 256, 33, 0xd1cf_5144_9170_d5cd),
        (2_412_918_418_307_849_198, 490, 64, 41, 0xbefb_63d0_f3be_b132),
        (3_803_314_622_805_556_864, 636, 64, 10, 0x8cd9_1ba2_ffba_58c0),
        (6_799_075_400_704_566_971, 638, 64, 48, 0xa231_de58_2ff2_ac0e),
        (8_244_788_730_506_535_707, 798, 256, 43, 0xabd2_55fb_a6b6_420b),
        (9_206_339_447_545_281_558, 490, 4096, 55, 0x1dce_535e_463f_3053),
        (4_775_157_106_746_496_653, 769, 4096, 49, 0x283b_7559_0f83_d831),
        (6_373_414_694_951_333_726, 564, 256, 25, 0x8ad7_8970_f3e0_8108),
        (1_458_971_084_457_622_738, 340, 4096, 11, 0xed92_9720_7d22_86dd),
        (2_709_423_759_822_435_664, 782, 4096, 14, 0x17d1_d722_f4e2_e0b3),
        (8_638_475_299_242_531_954, 458, 4096, 12, 0x93f5_444f_8e92_4a2e),
        (3_711_921_077_352_530_192, 596, 4096, 30, 0xd5e3_8cc4_e6e1_ed97),
        (8_954_101_377_049_981_076, 372, 16, 29, 0xc9b7_b826_1dd8_bab2),
        (869_066_110_590_343_661, 423, 4096, 12, 0x0d8c_c607_f625_ea96),
        (6_696_432_573_757_112_014, 768, 256, 38, 0xc5a1_e750_e751_b51e),
        (1_331_739_510_615_252_358, 714, 256, 37, 0x299c_ab8a_e860_0b27),
        (5_664_701_098_806_537_705, 498, 4096, 38, 0xc41a_ce76_416a_3cb1),
        (6_130_850_619_053_045_404, 480, 16, 56, 0x59e5_9cd2_8ba3_7533),
        (3_947_625_176_493_559_064, 409, 256, 22, 0x799e_1be0_fedb_d2b9),
        (2_097_257_349_818_945_911, 730, 256, 33, 0x7eed_aa79_3488_ffe7),
        (1_974_647_995_537_187_803, 378, 64, 57, 0x4b8b_f928_64b6_adf4),
        (8_448_430_479_772_591_228, 622, 64, 32, 0x7c6b_2d8b_6365_d5bc),
        (3_441_317_140_578_527_672, 376, 16, 39, 0x4b4f_5624_a947_335b),
        (9_161_019_914_470_553_971, 304, 256, 22, 0xda9f_ddf1_2d98_a3c5),
        (3_924_067_158_478_932_929, 460, 256, 12, 0xa410_226a_394e_c5ea),
        (4_533_323_745_042_787_836, 580, 4096, 35, 0xabec_590b_a44a_c4b6),
        (1_376_924_347_192_620_448, 774, 64, 55, 0xddbd_eb43_8338_d7d9),
        (4_595_670_660_951_553_154, 486, 64, 29, 0xea28_756c_4016_0385),
        (5_412_334_211_157_982_868, 476, 256, 27, 0x013d_74d9_c511_0914),
        (1_664_774_417_527_507_070, 463, 256, 50, 0x6327_21c8_8d17_4516),
        (6_499_513_193_204_709_380, 714, 64, 40, 0x52aa_b383_8673_fcb8),
        (7_996_149_155_603_551_677, 601, 16, 15, 0x02e6_621a_24f0_d4dd),
        (945_497_448_935_308_435, 344, 16, 33, 0x41d9_bf2b_458f_619a),
        (3_085_309_718_538_967_605, 534, 4096, 17, 0x98de_6cf9_d846_483e),
        (3_347_538_690_168_224_188, 454, 64, 37, 0xa550_dda8_be84_b4ec),
        (4_020_437_624_825_870_904, 605, 16, 18, 0x1fdb_2a2c_6703_44da),
        (5_708_048_913_357_478_188, 606, 16, 47, 0xd506_e3df_7415_2062),
        (7_544_631_759_377_776_482, 472, 256, 52, 0xa89a_67fb_f5c6_45f7),
        (1_986_193_066_202_221_033, 364, 16, 15, 0xaeb7_0558_db56_88b7),
        (3_937_545_100_589_579_118, 361, 4096, 59, 0x7b88_030a_3357_7e88),
        (7_222_640_977_458_015_317, 458, 16, 16, 0xd0fb_317e_d5b2_e9bc),
        (8_628_203_271_516_498_417, 341, 64, 51, 0x4239_2f2e_9e4a_c4dd),
        (6_299_119_436_768_725_702, 473, 256, 50, 0x1d89_c48b_8ebd_f460),
        (5_851_708_790_102_845_104, 319, 16, 47, 0x2cae_1f23_f1c9_58c2),
        (6_441_567_370_934_073_438, 643, 16, 28, 0xb0ac_7ead_4fba_4eb6),
        (846_274_196_394_682_061, 367, 16, 42, 0x2077_07fb_b0f9_4632),
        (5_650_985_586_982_835_389, 544, 64, 42, 0x3096_45df_d21a_4ada),
        (7_976_119_491_638_986_548, 484, 16, 25, 0x723a_afd0_f428_f49c),
        (1_399_187_537_601_368_647, 458, 16, 16, 0xb84d_f9e0_7eaf_7fd9),
        (2_529_321_166_917_289_653, 640, 4096, 48, 0x4f79_d296_f7c5_aa53),
        (5_367_491_856_256_912_543, 428, 16, 44, 0x05e9_80dd_89f6_e1d7),
        (3_132_013_177_367_439_103, 744, 64, 53, 0x204d_68cb_5901_1a1d),
        (5_905_706_501_931_306_594, 449, 16, 39, 0x1282_814c_8899_a18a),
        (4_649_254_471_344_284_538, 540, 256, 52, 0xa84c_1b7f_8298_2e8d),
        (8_894_074_729_563_668_409, 372, 16, 35, 0x0132_339a_32e2_416b),
        (4_306_326_922_026_503_405, 737, 256, 49, 0x50a1_3782_7237_72ce),
        (9_146_779_379_989_784_903, 396, 256, 37, 0xd54c_2da9_4735_eaba),
        (5_556_616_120_843_644_721, 694, 16, 43, 0xa308_e0e7_2c53_632b),
        (2_827_479_372_365_826_697, 621, 16, 52, 0x5aee_d3c3_42b5_6072),
        (8_068_560_178_913_708_006, 572, 4096, 54, 0xe8d0_1ee4_2a2b_e177),
        (6_361_390_458_196_865_901, 657, 64, 37, 0x9063_4fe7_475b_4650),
        (4_466_652_637_721_809_012, 534, 4096, 60, 0x1e7e_ae6d_4091_92fd),
        (4_716_129_075_252_822_501, 359, 256, 26, 0xf6a7_a0bd_ebc5_1e99),
        (373_240_894_984_045_952, 405, 16, 22, 0x6933_3817_14a2_bd59),
        (6_822_688_520_943_238_974, 515, 256, 45, 0x0ff9_6c84_f32b_a311),
        (6_574_047_227_520_580_850, 761, 16, 10, 0x65b5_547b_9e2d_9e35),
        (1_144_592_264_698_009_886, 724, 4096, 58, 0xad26_4bb5_2858_cff9),
        (3_198_672_930_595_575_856, 778, 4096, 19, 0x3c81_e954_7577_074c),
        (8_349_965_199_041_874_742, 425, 256, 59, 0x5cf7_98c4_834d_55e2),
        (1_781_618_133_843_644_252, 604, 4096, 52, 0x70f3_4998_7f95_4ffd),
        (4_025_595_666_089_348_586, 622, 64, 49, 0x749d_d50c_eb33_08ab),
        (6_312_214_268_879_155_945, 417, 16, 42, 0x8ae3_e3d7_6dfe_5d09),
        (1_704_896_630_374_257_897, 417, 4096, 20, 0xb000_7123_7532_4584),
        (5_864_510_114_587_787_385, 457, 16, 51, 0x6e75_db5c_ad74_19bd),
        (2_915_755_240_890_318_299, 441, 16, 31, 0x569d_b0b9_621c_4581),
        (8_068_126_397_509_141_042, 420, 4096, 36, 0xf0da_bb52_0698_f0ac),
        (1_903_373_557_927_920_121, 402, 256, 51, 0x7eda_d228_5d87_b06f),
        (5_867_366_467_859_449_145, 593, 16, 14, 0x0d6b_dd80_82fe_3e0d),
        (5_310_419_082_682_051_589, 588, 4096, 14, 0xd6b4_7337_cacc_11fb),
        (3_949_456_027_286_505_048, 728, 256, 57, 0x3340_5c5d_f281_02ce),
        (949_702_469_137_230_675, 778, 16, 35, 0x67c4_99ea_0b5a_3095),
        (6_231_740_435_381_833_967, 745, 16, 47, 0x4415_b299_7aa3_656c),
        (1_791_477_378_572_945_497, 511, 256, 25, 0x67ae_5bef_0093_5959),
        (2_892_719_092_995_004_045, 353, 256, 44, 0x9a04_f9ba_24ad_4784),
        (3_137_713_664_851_953_906, 800, 4096, 19, 0xa539_45ef_e9dd_d1e6),
        (7_867_131_402_406_515_450, 643, 4096, 52, 0x4656_8b91_2ca7_e0b6),
        (8_932_003_534_367_137_398, 473, 64, 26, 0x5bcd_d5ef_6e6a_a2de),
        (292_492_664_135_041_245, 621, 4096, 27, 0x5113_4d6b_3183_345b),
        (2_774_571_452_862_916_663, 325, 16, 45, 0x31c1_389e_7eb4_50e4),
        (1_907_551_740_087_449_862, 633, 16, 16, 0xedb9_cfe8_0a8c_2c48),
        (8_430_174_320_567_610_364, 383, 16, 10, 0x8803_5d7b_8648_af5f),
        (9_107_954_040_902_131_062, 382, 4096, 16, 0xcfa5_6e28_3657_170a),
        (1_620_394_015_489_125_015, 679, 256, 10, 0x2063_1712_e7ff_bda6),
        (7_286_316_830_693_223_687, 651, 256, 32, 0xf565_453e_abc8_c03d),
        (3_362_886_892_790_106_524, 560, 16, 46, 0x341f_30b2_9048_8bf3),
        (4_964_092_357_089_123_570, 344, 256, 53, 0xfd15_8741_0e5c_7500),
        (4_033_760_399_314_383_500, 602, 4096, 17, 0x8b92_a951_bee2_b8e8),
        (5_646_511_227_126_779_828, 609, 256, 17, 0x5445_5c0a_1fd1_f5c5),
        (1_696_507_226_284_888_997, 630, 4096, 50, 0x21c7_0650_9fab_90b3),
        (4_307_155_948_690_741_308, 527, 16, 47, 0x10e9_09d4_ae49_0cc0),
        (1_958_209_082_555_120_386, 372, 64, 58, 0x3f9b_7827_f139_9e56),
        (4_911_993_979_076_343_019, 308, 16, 41, 0xa2fd_0073_1994_8548),
        (8_308_769_617_939_687_119, 769, 64, 34, 0x1e6f_7351_e469_169f),
        (8_558_495_126_565_679_890, 650, 64, 33, 0x2db8_445d_e7a6_86f2),
        (5_928_657_687_441_539_990, 301, 4096, 21, 0xd637_84c7_a7cc_8087),
        (5_494_161_834_008_730_995, 384, 16, 23, 0xb4de_55c6_043b_a6de),
        (7_620_113_406_493_304_380, 329, 16, 40, 0x48f0_379b_f36d_4fd0),
        (2_499_485_966_828_777_260, 496, 256, 15, 0xb90a_0eb7_938c_7a5b),
        (6_527_754_392_972_872_480, 689, 4096, 46, 0x5677_ab69_b13c_089d),
        (4_996_865_745_678_851_510, 575, 4096, 16, 0x6235_2b7c_a8c6_3382),
        (4_656_348_439_406_780_105, 743, 256, 57, 0x654f_eee5_ff83_0709),
        (3_486_616_728_783_659_587, 598, 16, 47, 0xe656_47f5_087d_e2ce),
        (5_013_127_275_557_312_334, 726, 16, 50, 0x0197_76f2_8a55_0d5f),
        (1_916_453_713_672_284_272, 585, 16, 38, 0xbe3c_c668_ff3a_fdd4),
        (1_021_021_941_910_342_039, 354, 16, 44, 0x16f7_dc4d_efb5_62bc),
        (7_909_865_034_462_420_974, 313, 64, 20, 0x6e0a_b7b9_6f60_6778),
        (2_500_761_595_201_787_809, 447, 4096, 19, 0x44cf_55f0_1ac9_90d4),
        (6_432_095_504_183_997_425, 483, 64, 60, 0xf79e_307b_bdff_3321),
        (80_311_312_542_560_119, 661, 16, 52, 0xf06b_ba19_c048_2f2c),
        (6_546_656_922_721_068_214, 511, 64, 46, 0x69e9_e42b_bd04_d144),
        (75_902_945_095_941_741, 675, 4096, 58, 0x6437_26a3_023d_8122),
        (3_859_280_627_911_246_736, 409, 64, 14, 0x5157_48cc_6c90_65e1),
        (525_729_423_204_813_540, 517, 16, 18, 0x739c_2151_49b8_0431),
        (9_069_306_078_964_706_109, 724, 4096, 29, 0x43c4_1f62_5658_c091),
        (7_370_796_403_918_871_310, 785, 64, 57, 0xeb34_1de5_2896_47e4),
        (1_095_703_105_445_235_107, 571, 16, 56, 0xa6e2_340c_93e7_df85),
        (3_132_794_005_452_836_127, 313, 4096, 21, 0x1707_50ff_afc2_5f26),
        (2_863_690_199_939_965_280, 691, 16, 36, 0x3a24_5af3_3df7_6efb),
        (8_544_743_709_701_311_471, 795, 256, 17, 0xd869_f36c_561e_4f1a),
        (8_152_884_538_477_402_707, 605, 64, 55, 0x4755_5968_7275_e76a),
        (4_414_290_126_908_001_862, 537, 64, 59, 0x0b66_7727_fec1_6de1),
        (2_413_532_766_789_315_042, 794, 256, 16, 0x0e0e_1292_158f_2846),
        (5_992_298_263_644_430_405, 534, 4096, 47, 0xda5c_8e27_a004_e5be),
        (7_138_026_477_185_902_703, 650, 64, 48, 0xcf44_8b37_2385_552b),
        (3_954_901_179_598_761_876, 750, 4096, 47, 0xb54a_9c8f_d707_a512),
        (1_231_158_131_084_733_480, 704, 16, 20, 0x741d_5adc_a549_5832),
        (3_493_055_349_583_768_444, 798, 256, 28, 0x37a1_06d8_545a_996b),
        (801_124_518_176_917_565, 644, 4096, 11, 0xeb52_84e3_9db5_6055),
        (5_369_113_476_919_819_014, 453, 64, 14, 0x116a_7538_c9c1_0174),
        (7_032_557_259_440_085_482, 530, 16, 45, 0x01bf_8408_e18e_b091),
        (4_209_463_404_857_630_472, 509, 16, 28, 0xa5f3_7522_d393_becc),
        (7_210_571_779_195_346_724, 796, 16, 54, 0x97e5_ed28_57e7_214e),
        (6_974_488_554_566_960_972, 423, 64, 42, 0x8b7f_7f95_85e4_bdd4),
        (1_710_502_095_682_874_815, 612, 16, 14, 0xb888_c998_11f7_f6a8),
        (5_368_264_430_338_175_167, 777, 4096, 12, 0xc260_4b09_4fe0_34de),
        (2_522_799_668_626_636_319, 20000, 3000, 45, 0x8206_a8a0_31b0_532f),
        (4_049_830_955_937_067_527, 20000, 500, 50, 0xb5b6_a16f_a36c_6f51),
        (1_732_330_727_367_141_864, 5000, 100000, 30, 0xc68b_0d1d_c462_355f),
    ]
}
