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
                if let low, key <= low { problem = "BST order: \(key) under the right of \(low)"; return -1 }
                if let high, key >= high { problem = "BST order: \(key) under the left of \(high)"; return -1 }
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

    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
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
        Self.generate(t, seed: 0xabc_0000 + UInt64(run), ops: 2500, range: ranges[run % 4], erasePercent: [30, 45, 55][run % 3]) { t, i in
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
                if mismatches <= 5 { Issue.record("G \(f.seed) \(f.ops) \(f.range) \(f.erasePercent): shapes differ from Linux's") }
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
        ("insert case 1 (uncle red), parent is left child",
         "+51 +37 +56 +50",
         "51B(37B()(50R))(56B)", 0xd1235cc007c66c74),
        ("insert case 2 (left rotate at parent)",
         "+57 +42 +48",
         "48B(42R)(57R)", 0x800c0391bfc27c25),
        ("insert case 3 (right rotate at gparent)",
         "+50 +48 +11",
         "48B(11R)(50R)", 0x1c482e205d756230),
        ("insert case 1 mirror (parent is right child); insert case 1 recolouring up to the root",
         "+4 +10 +31 +14",
         "10B(4B)(31B(14R)())", 0xa45775a888d82e03),
        ("insert case 2 mirror (right rotate at parent)",
         "+2 +26 +20",
         "20B(2R)(26R)", 0x60337ad83913bfc5),
        ("insert case 3 mirror (left rotate at gparent)",
         "+7 +25 +59",
         "25B(7R)(59R)", 0x6007205727a5dc5a),
        ("erase the only node",
         "+40 -40",
         "", 0x21c602033a4b4b51),
        ("erase: no left child, right child takes its place",
         "+28 +48 -28",
         "48B", 0x130416d200ee1e5d),
        ("erase: black leaf, rebalance; erase colour case 3 (right rotate at sibling); erase colour case 4 (left rotate at parent)",
         "+17 +59 +32 +47 -17",
         "47B(32B)(59B)", 0xfb6eda54012e156c),
        ("erase: red leaf",
         "+55 +6 -6",
         "55B", 0xbdb811ab5e144fad),
        ("erase: only a left child",
         "+24 +1 -24",
         "1B", 0x3a8b74eb93ead367),
        ("erase: successor is the right child; erase: red successor without child2",
         "+51 +1 +9 -9",
         "51B(1R)()", 0x42a10afc6baaa955),
        ("erase: successor is leftmost of the right subtree",
         "+54 +15 +6 +44 -15",
         "44B(6B)(54B)", 0x044c2ec90dd119c8),
        ("erase: successor has a right child (child2)",
         "+43 +13 +3 +52 -13",
         "43B(3B)(52B)", 0x7b5358ca45d9a6a1),
        ("erase: black successor without child2, rebalance",
         "+36 +34 +51 +3 -36",
         "34B(3B)(51B)", 0x19ea0fe1943dfda1),
        ("erase colour case 1 (red sibling, left rotate)",
         "+30 +5 +54 +55 +53 +37 -5",
         "54B(37R(30B)(53B))(55B)", 0x506501656a66dd10),
        ("erase colour case 2, red parent",
         "+8 +21 +40 +59 +27 +45 -8",
         "40B(21B()(27R))(59B(45R)())", 0xf2befa66ad6ab9a6),
        ("erase colour case 2, recurse upward",
         "+57 +40 +29 -29 +9 +25 +26 +13 +4 +37 +12 +56 +36 -4 +30 -9",
         "36B(25B(12B()(13R))(26B()(30R)))(40B(37B)(57B(56R)()))", 0x5415ae54169beee1),
        ("erase colour case 2 up to the root",
         "+27 +21 +11 +36 -11 -21",
         "27B()(36R)", 0xd2ca964771aa326c),
        ("erase colour case 4 with sibling's left child moved",
         "+4 +12 +53 +15 +16 -4",
         "16B(12B()(15R))(53B)", 0x7542efaa15154010),
        ("erase colour case 1 mirror (right rotate); erase colour case 2 mirror, red parent",
         "+37 +15 +34 +24 +7 +2 -34",
         "15B(7B(2R)())(37B(24R)())", 0x8ae5fea695127166),
        ("erase colour case 2 mirror, recurse upward",
         "+25 +18 +23 +34 +58 +45 +19 +47 +7 +11 +53 +54 +41 -7 -18",
         "34B(23B(19B(11R)())(25B))(47B(45B(41R)())(54B(53R)(58R)))", 0x993ed3bfceb41bf1),
        ("erase colour case 2 mirror up to the root",
         "+4 +36 +25 +53 -25 -36",
         "53B(4R)()", 0x16fe2413353740d1),
        ("erase colour case 3 mirror (left rotate at sibling); erase colour case 4 mirror (right rotate at parent)",
         "+36 +9 +45 +22 -45",
         "22B(9B)(36B)", 0x64f842de2701db5e),
        ("erase colour case 4 mirror with sibling's right child moved",
         "+44 +22 +53 +26 +35 -53",
         "26B(22B)(44B(35R)())", 0x5fe5fc1d026a029f),
        ("ascending inserts",
         "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 +17 +18 +19 +20 +21 +22 +23 +24 +25 +26 +27 +28 +29 +30 +31 +32",
         "8B(4B(2B(1B)(3B))(6B(5B)(7B)))(16R(12B(10B(9B)(11B))(14B(13B)(15B)))(20B(18B(17B)(19B))(24R(22B(21B)(23B))(28B(26R(25B)(27B))(30R(29B)(31B()(32R)))))))", 0x71730367a6f0870a),
        ("descending inserts",
         "+32 +31 +30 +29 +28 +27 +26 +25 +24 +23 +22 +21 +20 +19 +18 +17 +16 +15 +14 +13 +12 +11 +10 +9 +8 +7 +6 +5 +4 +3 +2 +1",
         "25B(17R(13B(9R(5B(3R(2B(1R)())(4B))(7R(6B)(8B)))(11B(10B)(12B)))(15B(14B)(16B)))(21B(19B(18B)(20B))(23B(22B)(24B))))(29B(27B(26B)(28B))(31B(30B)(32B)))", 0xc9579babeaf49109),
        ("ascending inserts, ascending erases",
         "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 -1 -2 -3 -4 -5 -6 -7 -8 -9 -10 -11 -12",
         "14B(13B)(15B()(16R))", 0x367da10fcf8020a9),
        ("ascending inserts, descending erases",
         "+1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11 +12 +13 +14 +15 +16 -16 -15 -14 -13 -12 -11 -10 -9 -8 -7 -6 -5",
         "2B(1B)(4B(3R)())", 0xd53cd7457360bf5a),
        ("perfect tree, erase interior nodes",
         "+16 +8 +24 +4 +12 +20 +28 +2 +6 +10 +14 +18 +22 +26 +30 +1 +3 +5 +7 +9 +11 +13 +15 +17 +19 +21 +23 +25 +27 +29 +31 -16 -17 -18 -8 -24 -4",
         "19B(9B(5R(2B(1R)(3R))(6B()(7R)))(12R(10B()(11R))(14B(13R)(15R))))(25B(22R(20B()(21R))(23B))(28R(26B()(27R))(30B(29R)(31R))))", 0x079fc57fda0bd45b),
        ("zigzag inserts and erases",
         "+50 +1 +99 +2 +98 +3 +97 +4 +96 +5 +95 +6 +94 +7 +93 +8 +92 +9 +91 +10 +90 -50 -1 -99 -2 -98",
         "90B(6R(4B(3B)(5B))(8B(7B)(9B()(10R))))(94R(92B(91B)(93B))(96B(95B)(97B)))", 0xfad28130f7fb8901),
        ("erase roots repeatedly",
         "+10 +5 +15 +3 +7 +12 +18 +1 +4 +6 +8 -10 -12 -5 -15 -3",
         "6B(4B(1R)())(8R(7B)(18B))", 0x21794dc1536f9496),
        ("replacements mixed with inserts and erases",
         "+10 +5 +15 +3 +7 +12 +18 =10 =3 =18 -10 +11 =11 -5 +4 =7 -7",
         "12B(4R(3B)(11B))(15B()(18R))", 0xd815c2bd9102fd06),
        ("erase all leaves of a perfect tree",
         "+8 +4 +12 +2 +6 +10 +14 +1 +3 +5 +7 +9 +11 +13 +15 -1 -3 -5 -7 -9 -11 -13 -15",
         "8B(4R(2B)(6B))(12R(10B)(14B))", 0x8e55f81916d53ea9),
        ("erase everything",
         "+8 +4 +12 +2 +6 +10 +14 +1 +3 +5 +7 +9 +11 +13 +15 -15 -13 -11 -9 -7 -5 -3 -1 -2 -6 -10 -14 -4 -12 -8",
         "", 0xd70c9c6b8a4349e4),
    ]

    // Generated sequences (seed, ops, key range, erase percent) and their final shapes.
    static let generated: [(seed: UInt64, ops: Int, range: Int, erasePercent: Int, shape: String, trace: UInt64)] = [
        (1675942381751885191, 168, 40, 26,
         "32B(17R(10B(4R(3B(1R)())(7B(5R)()))(13R(12B(11R)())(14B)))(19B(18B)(23R(22B)(28B(27R)(31R)))))(37B(34B()(36R))(39B))", 0xb7b2b1e2c5c8af7a),
        (6673246749242817191, 124, 40, 37,
         "35B(16B)(37B)", 0xfe4edd5743f8ad2e),
        (5867428164980129239, 147, 40, 33,
         "17B(7B(3B(2R)(5R))(14B(9R)()))(24B(22B()(23R))(34R(29B()(31R))(37B()(39R))))", 0x6d7b3d63574d2d97),
        (6712393261475892707, 177, 20, 29,
         "8B(4B(2B(0R)())(5B))(13B(10R(9B)(11B()(12R)))(18R(14B)(19B)))", 0x6de337906404c962),
        (6493805337718067301, 104, 1000, 22,
         "310B(131B(77B(40R(27B(14R)(29R))(70B))(106B(84R)(117R)))(206R(145B(133B)(171R(155B)(180B()(184R))))(268B(228B(221R)(263R))(299R(277B(276R)(282R))(307B)))))(711B(470R(402B(374R(357B(326R)(359R))(385B))(419B()(451R)))(618B(566R(491B(483R)(505R))(581B))(676B(650R)(694R))))(883R(829B(734R(724B)(771B()(788R)))(863B(838R)(865R)))(938B(915B(890R)(934R))(955R(941B()(949R))(983B)))))", 0xccf69d2c1ccdc5e1),
        (7142339279891098119, 72, 100, 49,
         "47B(5R)()", 0x30a3abae32c25c60),
        (7669274927417216845, 187, 20, 37,
         "7B(5B)(12B)", 0x07a150667e4c5737),
        (8000916318308904385, 125, 10, 44,
         "9B", 0x39a791c5335fe909),
        (5798467809746172108, 126, 100, 23,
         "60B(34B(14R(6B(3R(1B()(2R))(4B()(5R)))(12R(9B(7R)(11R))(13B)))(21B(17R(16B(15R)())(20B(18R)()))(29R(24B()(28R))(32B(31R)(33R)))))(50R(44B(41R(36B()(40R))(43B))(46R(45B)(48B()(49R))))(56B(52B(51R)(55R))(59B))))(83B(75B(66R(62B(61R)(65R))(67B()(74R)))(81R(76B()(79R))(82B)))(87B(85B)(94B(93R)())))", 0xbd2ecd7b10742996),
        (6857610234067573904, 55, 40, 32,
         "28B(13B(11R(7B()(9R))(12B))(20R(14B)(23B()(26R))))(38B(35R(34B(31R)())(37B))(39B))", 0x5923c90205c9f222),
        (3184797180018886416, 71, 40, 33,
         "21B(8R(6B(3R(2B)(5B(4R)()))(7B))(10B(9B)(15B(12R)())))(37B(30R(27B(22R)(29R))(31B()(33R)))(38B))", 0x40f5f10adbba08c2),
        (2918774237572698181, 165, 20, 48,
         "8B(4R(0B)(6B))(13B(9R)(15R))", 0x0c6b185c7051efb2),
        (3753683252995960154, 78, 20, 21,
         "5B(3B(2B(0R)())(4B))(12B(8R(7B)(11B(9R)()))(17B()(19R)))", 0xb2f3bd678c35f430),
        (2077284966273255286, 24, 40, 47,
         "22B(16B()(20R))(29B()(36R))", 0xc7185ad7498f975e),
        (2944320441448244420, 165, 100, 39,
         "52B(16B(11B(4B(1R)(5R))(12B()(13R)))(39R(22B(17B()(18R))(28R(27B)(29B)))(50B(42B(40R)(47R))(51B))))(87B(77B(56R(53B)(65B()(66R)))(82B()(84R)))(91B(89B)(94R(92B)(99B(96R)()))))", 0x833f865af4acff81),
        (3054109467519897190, 187, 1000, 44,
         "410B(217R(63B(62B(12R)())(148B(119R)(182R)))(290B(261B)(292B()(386R))))(657R(476B(421R(417B)(460B(441R)()))(567B(478R)()))(920B(839R(814B(688R)())(859B))(963R(922B)(982B(965R)()))))", 0xd1d1066ca5ecae4d),
        (2177456031020925272, 138, 40, 24,
         "17B(6B(2B()(5R))(10R(9B)(13B(11R)(14R))))(32R(23B(20B(18R)())(28R(24B()(26R))(30B()(31R))))(36B(35B)(39B(37R)())))", 0x8d623a70579bface),
        (3401387372275686618, 146, 1000, 46,
         "416B(162B(21B)(306B()(313R)))(713B(691R(487B()(494R))(694B))(836R(735B(718R)(739R))(986B)))", 0x1168e9a64df697cd),
        (1304158313797847832, 87, 100, 39,
         "44B(22B)(88B)", 0xf3df8457542efc7b),
        (3094452122068363051, 139, 20, 41,
         "8B(5B(1B)(6B()(7R)))(15B(12B()(14R))(16B))", 0x6b298c8cf1cbc873),
        (7081904094835780372, 53, 40, 49,
         "9B", 0xa80b07af10872c43),
        (5358972597532366998, 195, 10, 23,
         "4B(1R(0B)(2B))(7R(6B)(9B(8R)()))", 0x65d602bd0b9d696b),
        (7780441652835773197, 64, 10, 48,
         "7B(0B)(9B)", 0xb8a652a79e1f984f),
        (4041109981851915421, 200, 20, 31,
         "10B(3R(2B)(8B))(16B(12R)(19R))", 0x22130a353cea1baf),
        (751140698165733900, 70, 40, 27,
         "24B(6B(3R(1B()(2R))(5B))(21B(15R)()))(30B(25B)(34B()(38R)))", 0xacfdca5bd9ac540d),
        (4253492487729859083, 174, 40, 35,
         "26B(10B(8R(2B(1R)(4R))(9B))(20R(15B()(16R))(23B()(25R))))(35B(30R(27B)(34B))(39B(37R)()))", 0x812e31862d7b2024),
        (8112260052553898926, 131, 100, 26,
         "45B(29B(15R(7B(2R(1B)(5B))(9B(8R)(10R)))(24B(18B)(25B)))(41B(30B()(34R))(43B)))(72B(62B(54B)(71B(66R)()))(88R(77B(73B)(82R(78B)(86B)))(91B(89B)(95R(93B)(96B)))))", 0x59aede089e2fd297),
        (653454852226879942, 97, 40, 28,
         "15B(9B(1R(0B)(7B(6R)()))(11B))(25B(20R(16B()(19R))(22B(21R)()))(31R(30B(26R)())(33B(32R)(37R))))", 0xe68a690495852f96),
        (5206959161862103611, 189, 40, 36,
         "22B(12B(5R(0B)(8B(6R)()))(18B()(20R)))(33B(24B(23R)(29R))(37R(35B)(38B)))", 0xd0aa7996a64ed0a3),
        (4567591767179898246, 75, 20, 45,
         "1B(0B)(17B(8R)(19R))", 0x10fb502d4a5458b0),
    ]

    // Longer generated sequences: only the trace hash (every intermediate shape) is kept.
    static let bulk: [(seed: UInt64, ops: Int, range: Int, erasePercent: Int, trace: UInt64)] = [
        (1624402563396483254, 563, 64, 30, 0x909e292fe24409b3),
        (6918704450043891022, 659, 16, 47, 0x253dd214e4a8a835),
        (8596492212066497413, 647, 4096, 57, 0x0273ff8f4dbc1f47),
        (8767816743036926006, 624, 16, 17, 0x1cbcd180fa0703fe),
        (514354323598323376, 565, 64, 23, 0x865075f0703abf65),
        (5856709857890770893, 614, 16, 42, 0x284796ec09375c72),
        (2179041170061752027, 549, 64, 20, 0x24c8fdf7ac76ab95),
        (1155826831312011737, 616, 16, 48, 0x510c8da9f0f55c43),
        (7493822450431033935, 609, 16, 48, 0x67290f9037077f43),
        (5165394207713737300, 392, 256, 10, 0xcc2b0608d30f2f32),
        (2591399519643241217, 314, 64, 13, 0x0979503854a8c06c),
        (5860059357702687224, 738, 64, 47, 0x4b38dc6c141769a2),
        (5944935110283756464, 397, 4096, 21, 0x88b1acb9ba4be766),
        (2893024775013471569, 439, 4096, 50, 0xdfcd4b77db6dfd51),
        (7698023916918942041, 666, 64, 35, 0xf50955a75aedb863),
        (7993864679398685940, 529, 4096, 48, 0x23396e105be1ffca),
        (1233871453493519816, 751, 64, 20, 0x474b87b6715fae28),
        (3669979363120004380, 400, 64, 32, 0x1766e091e7cb3617),
        (6333044183167690549, 307, 16, 31, 0x61c0a5e95150775f),
        (26963008718200563, 695, 64, 58, 0xf629eb21cb9f5ff4),
        (3866625966319291095, 637, 16, 23, 0xb4b80092e4719df7),
        (4285334765005411036, 583, 4096, 45, 0xaceef543f07c3305),
        (460724302103876748, 520, 256, 10, 0x8e1c2dc25e005d71),
        (3135832436194339681, 583, 256, 52, 0xd76828147edb6c3a),
        (1454097761445791006, 415, 16, 60, 0x7f751abb37593b9c),
        (3975226565203788646, 334, 64, 21, 0x5e7563505bfca318),
        (7944252517615481046, 473, 256, 26, 0xa8b0768774d3193c),
        (1488600431007959896, 485, 4096, 37, 0xb00a878838554571),
        (4537327537155510517, 614, 256, 20, 0x175182aa52f9baed),
        (7104437217020055345, 362, 16, 33, 0xd165417c22e41d21),
        (5872245834866436743, 789, 64, 42, 0x53d37c8a1927ca87),
        (878730855588152214, 327, 4096, 11, 0x358368412e9614fd),
        (8407911420459284633, 755, 256, 24, 0x95f554eabf230e4c),
        (2929309477542643477, 578, 64, 23, 0x78c16cded1e266c0),
        (5384670397739551697, 355, 4096, 16, 0xf68789de322eac21),
        (5517265265361576181, 661, 256, 37, 0x69a56883707a9acd),
        (1470030581832199536, 691, 64, 10, 0xcdae6561eab0e262),
        (1147598929939535625, 401, 4096, 44, 0x34dc994b5b3e81d3),
        (3753461064482283873, 528, 64, 51, 0x81acb81111215ef0),
        (2280985258600500086, 582, 256, 27, 0xe44ddebb52f02c23),
        (3291362866009547007, 530, 16, 35, 0x8c7fe7244fed7144),
        (7017987043094176716, 444, 256, 42, 0x86fc19160e837e6b),
        (2104616706942354320, 421, 256, 24, 0x4bb4d09fce0197d3),
        (7275563786781726341, 539, 256, 28, 0xb27069628ff5efbe),
        (6229450304300322037, 650, 64, 39, 0x931951fdbcea337f),
        (4989558747138651107, 327, 256, 34, 0x648206e9f16717e9),
        (6005769089853992006, 407, 256, 36, 0x6ed37bd89aeb8ff3),
        (1241496849305334173, 634, 256, 28, 0xcee9eec6a5635c2f),
        (4960721374825671599, 712, 64, 58, 0xe9bcd26b57317c06),
        (4659825322245989739, 412, 4096, 48, 0x207eae4f45fe8a8b),
        (2736401507476777351, 426, 4096, 57, 0x16e65a837c46c015),
        (8800664427694730246, 394, 4096, 33, 0x4af0de35bd27e93a),
        (286743368140467603, 605, 4096, 54, 0xcccd18c2c0d7a19d),
        (6970491833011362202, 670, 64, 16, 0xe3d6eef001ae47f8),
        (5647011139900114284, 465, 64, 59, 0x022bfa4b9e9b2d75),
        (8822663502187097928, 338, 256, 12, 0xad66c40c337d020a),
        (5903609517352546366, 696, 256, 52, 0x000d03981b905622),
        (4801164186576214790, 396, 4096, 20, 0x485c8d6423e94f52),
        (6584849275560868821, 541, 256, 14, 0x4ea7e3595ea4ec10),
        (1145512851214144867, 351, 256, 18, 0x0483b7c8128e8892),
        (3553930546959320452, 700, 16, 24, 0x19cd64bd448b4647),
        (5386459690501678800, 420, 64, 28, 0xb04400b5793464cf),
        (8275663080304727675, 370, 4096, 53, 0x6f4a3581488d57f0),
        (9003883441667007216, 366, 256, 36, 0xc332e06c5b24bddd),
        (5808155615198868540, 658, 256, 45, 0xe06d7cfb7c92ab85),
        (6935275874699840763, 420, 16, 48, 0xe6bcc04537a3205d),
        (3523191326560305131, 371, 256, 20, 0x9802949ae092450a),
        (7368853002255720028, 760, 256, 23, 0x7f6a501c974f6b3a),
        (8287108374566302475, 580, 64, 54, 0x094fc8d3f71f37b8),
        (6831712696689527982, 577, 64, 18, 0x50ad3531f8f659d6),
        (1204024145678426747, 645, 64, 26, 0xa6f2ff4807718737),
        (5884870004748448322, 615, 16, 37, 0x5ffab6538e87d6c3),
        (3877465540460684845, 317, 4096, 19, 0xb4cc679305737e47),
        (6575113585790628192, 484, 4096, 32, 0x13c934b62a69bbb5),
        (4447959340913600125, 754, 4096, 45, 0x7460600c9db57ade),
        (289931095783158075, 648, 256, 21, 0xaca885bf3958e30b),
        (6004790475352133884, 759, 4096, 50, 0xa3c8ca97b94d6eca),
        (4640867805904298341, 548, 256, 20, 0x73368f91db2f314f),
        (4681451908387832796, 677, 256, 22, 0xa8aafb531b1611db),
        (4054807392903391340, 538, 256, 49, 0x3a2003234d20502b),
        (1301449655644049956, 676, 16, 37, 0x69578b8ea3c8a3d1),
        (2598396618053041498, 687, 16, 55, 0x343d6a4ca793b42f),
        (757385080889615221, 643, 4096, 39, 0xa8b861fe7f1a009e),
        (1939763760717543381, 569, 64, 52, 0x393ca0f497a4fef7),
        (6110320331169723224, 460, 256, 41, 0x16f78cea08534385),
        (5342159978488181724, 328, 64, 53, 0x427ad08ee93f5cc7),
        (4978271556258304706, 542, 64, 29, 0xb29faa77438ff1ae),
        (9207985229107640547, 460, 256, 31, 0xe2d3ed03335ef04a),
        (1291765681351762082, 618, 256, 32, 0x7c0cd42cf700a6e8),
        (1391956231616430921, 327, 256, 10, 0x0b83c6d4439882af),
        (2914911628341635110, 684, 256, 22, 0x1d8b04a536f96472),
        (8625683022948351902, 445, 4096, 43, 0xbc9f6ab0dcd4d7a2),
        (9078051891624204962, 381, 16, 60, 0x363168fae35432c9),
        (5889226555254530515, 434, 4096, 13, 0x794e2ccdc89829d8),
        (1845005088982317145, 648, 64, 18, 0x9328c80e9f25ffc9),
        (122646194311729925, 531, 256, 58, 0x51e829ecf9e27df3),
        (8355094402036146801, 426, 16, 31, 0xbd321f91ff1a681c),
        (5630446780033601636, 530, 256, 10, 0x7c8952bd7b13a858),
        (6211303469511302000, 604, 4096, 55, 0x5d7f08505f466e50),
        (7147014669172116827, 526, 64, 18, 0xdd5e5f173fd491c6),
        (1070613287511270129, 560, 4096, 41, 0xe5116e979da7d513),
        (3655342212014414680, 554, 4096, 56, 0x8784e3ed24992130),
        (8526935432830933319, 322, 4096, 52, 0x396845edd68ea344),
        (4847039478693801435, 718, 16, 27, 0xc72aa90bcc349152),
        (7440227049637963052, 689, 16, 33, 0x0f95798fa7ace48b),
        (7990011337999752513, 574, 256, 14, 0x4dd1d8ea9f99c2be),
        (8204182002636046265, 705, 4096, 48, 0x8e1615575836f4f6),
        (4384631217661098061, 740, 256, 51, 0xd11af004f026c427),
        (6677921020218415155, 722, 4096, 42, 0x30b4f66429fdca12),
        (2373438104917394564, 761, 16, 11, 0x67d01bff6e2a127f),
        (7920513048923884593, 568, 4096, 20, 0x80ea15f6a7182a19),
        (1398352685214022602, 396, 16, 10, 0xe8f6642be114f8f5),
        (557553856453895254, 354, 256, 20, 0xc850172fb3d4670a),
        (2115524985226339565, 421, 256, 59, 0x57b2c1c1a306b735),
        (1431293526686038532, 794, 16, 26, 0x539c5191b1440afe),
        (8303066291354143477, 718, 256, 15, 0xeaae1ca8adf24ed5),
        (3413983683802143571, 586, 64, 16, 0xa120029f53faf8a5),
        (2331401265922568469, 701, 16, 46, 0xa218d22ab5d27d69),
        (7002871739391071089, 575, 4096, 38, 0xda45a486c1ee4420),
        (6943279871803989831, 424, 16, 53, 0xe2e801357bda3f29),
        (1308797029417250566, 690, 256, 27, 0x2ffcc2e578d6670d),
        (28045438711255871, 535, 64, 33, 0xd23c3edb534a89cd),
        (534699679067104977, 374, 64, 31, 0xa4a9681a8ea17192),
        (5440073510902624761, 698, 16, 39, 0xcc0df4041ee13f52),
        (7228384076377093721, 670, 16, 24, 0xe301d701c9f58119),
        (6981782270977514042, 341, 64, 50, 0x95cd271ce936fd36),
        (1936663273315184681, 750, 64, 24, 0x3241671d318d0e04),
        (7642270147722583981, 509, 16, 59, 0xcd3849fd4b94d234),
        (3851723684563493261, 688, 4096, 43, 0x6da953a15709285b),
        (7597601829834743324, 720, 64, 25, 0xec9395c004d8c156),
        (6840421326707848389, 400, 64, 40, 0x2084b6dbb7450320),
        (6412957085836260713, 792, 64, 27, 0x396ee69f6db69917),
        (6266590434640570826, 766, 64, 53, 0xdb3bdbd1dc90be10),
        (3678227663662036565, 724, 64, 34, 0xac13fe4beca47361),
        (4102683780733855249, 774, 16, 56, 0x9c4fb02f939b50ea),
        (5008140908649305439, 434, 64, 30, 0x55518b877516ecb6),
        (5819573887928321911, 641, 256, 15, 0xdb9b95861127dfdd),
        (4552651080252884345, 362, 64, 18, 0x2c15fbdbaf40078b),
        (1295698546324422271, 713, 4096, 16, 0x550d534908ff1406),
        (5581040554691840107, 504, 4096, 56, 0x15c03d373bcf74b1),
        (5204639564406260289, 593, 4096, 57, 0xd4afe688b81ae2b4),
        (8928864202808210039, 759, 4096, 30, 0x023738e839352baa),
        (5288062158001592734, 463, 64, 21, 0x189b1b2f27535792),
        (2050289577371058071, 614, 4096, 11, 0xa7ad052b43d2dc6e),
        (4243514560644912685, 680, 256, 12, 0x5785bab72d068539),
        (6854934970150767751, 383, 256, 24, 0xf4dab24dfba9542c),
        (5241660500813923486, 630, 4096, 50, 0x94d448dea88e3d2d),
        (7256533501907555555, 706, 4096, 32, 0x561e2b0ed93e9fb9),
        (8372783757869395225, 657, 16, 39, 0x04c8b4346ed75738),
        (4818305103877629526, 751, 256, 31, 0xe40c5375cb8ddf40),
        (151450025588907903, 792, 64, 57, 0xd39494b46f236a71),
        (8861540856897566465, 404, 256, 38, 0xa4ed230cd85736c8),
        (4740208205015499780, 793, 16, 19, 0xd11e855f1f0de12e),
        (6009703965614255813, 586, 4096, 29, 0x348a1bf18a5ea9d4),
        (4633327664006887896, 668, 256, 60, 0x66c928723d9a25bc),
        (1413973615863035402, 396, 16, 44, 0x9ed71ce37a63413f),
        (5815941659220151289, 581, 16, 47, 0x35739b08c8939320),
        (4580060424811494657, 645, 64, 51, 0x0a05927e2a992fbe),
        (1510580253644873671, 380, 16, 26, 0x34d33139c381cb59),
        (1394072838973695170, 763, 256, 29, 0xd113cf8452cc5cb8),
        (7919612340732277519, 671, 256, 52, 0x93e13ee481386436),
        (3149806027245691844, 551, 64, 38, 0xd743e816bb406d08),
        (7037329152758486326, 499, 4096, 15, 0x703d2c38081872bc),
        (6701679620119962004, 687, 16, 12, 0x337a6dc4d4721923),
        (2629036435272954527, 386, 64, 12, 0x485bbf0e332176ec),
        (8916544378573772107, 355, 64, 50, 0x4d8de8a36ba254ed),
        (8549672731938440504, 341, 64, 17, 0xab8fff1938243488),
        (3120499306708596221, 308, 16, 45, 0x4971b81da5ae955d),
        (9026086510854532226, 418, 4096, 22, 0xe16d199299759e10),
        (1851472133186785950, 305, 256, 56, 0x63478e6ed833fdd9),
        (7781865919569626778, 480, 4096, 59, 0xd47a6357fca31ff1),
        (2584672397727882123, 314, 16, 57, 0x2e2dd1142cfd2eb6),
        (7693155339891485005, 656, 4096, 33, 0xa921a800215fafcf),
        (3753174052194882468, 789, 64, 39, 0x83ba8537e97dbb97),
        (856887826353173543, 447, 16, 20, 0xb5dae67d0038630a),
        (6209273753598229813, 710, 64, 49, 0x683252cffb431f78),
        (8563392825249526104, 698, 64, 35, 0x4947bba4562c273e),
        (8011197447619494446, 481, 64, 18, 0x09ba817badea7c4e),
        (6171849623546731683, 665, 16, 21, 0xa391b678d1ede51b),
        (7735983386813731040, 712, 16, 29, 0x420fc09d99223abe),
        (1017629081221777858, 657, 64, 41, 0x8437e22d5c3e9916),
        (6139811297629247522, 644, 4096, 23, 0x99af1bfb98139705),
        (9128310460753625376, 630, 16, 27, 0x91f0b2bc54b1eb02),
        (6895084543097164668, 460, 4096, 49, 0xa450e49dc77c2f17),
        (8009921630284541771, 411, 16, 46, 0x12eea7a52790bd97),
        (775891267561549753, 573, 64, 41, 0x2a6024dc188ee6d7),
        (6960783068842950874, 547, 64, 50, 0xff125abcb085275c),
        (3388614866759949848, 327, 16, 38, 0xb51afc607d29a876),
        (3787283524236654161, 463, 4096, 35, 0xb95b25c5e669017e),
        (743685020773810496, 388, 256, 52, 0x2bc9bdef26e46e98),
        (5194008223020686527, 435, 64, 52, 0xc3a093f030759851),
        (5601221283803091700, 666, 16, 45, 0xa696a168cf1f9456),
        (8389400265078531148, 641, 256, 41, 0xf25503da889cf560),
        (2111287858111187041, 308, 4096, 50, 0xe0e48a809b0729c2),
        (6282006497204250520, 492, 256, 18, 0x871f90951ca5a0ec),
        (3545665837217369555, 750, 64, 54, 0x5b25f6eb556da100),
        (3328924108685942618, 607, 16, 24, 0x7b5e11997b9e6ae4),
        (6078043336685859441, 785, 256, 18, 0x6efda1dc0a8a1fd4),
        (6634714718230421101, 303, 4096, 33, 0x2ff1012a3fc4bf46),
        (3885231437918041537, 483, 16, 10, 0xeb47a10580d1b150),
        (378378103055317335, 551, 16, 22, 0xa649d97aa7409308),
        (1741232172693747503, 613, 64, 42, 0x0b33440124a690e2),
        (1674433314941159024, 596, 16, 57, 0x6c1f0167b8526063),
        (692467762493061916, 350, 16, 17, 0x771bf70434e6f389),
        (6490927468876304398, 326, 256, 59, 0x31ab916cbd27b18e),
        (7419441840551742876, 494, 16, 58, 0x16df335476c9711b),
        (4635427953056362873, 319, 16, 25, 0x4c9c5f308c6738ac),
        (6766944148096783568, 747, 4096, 14, 0x12ca0b3e82df5a8b),
        (582760056521893121, 475, 16, 16, 0x29f36959edf99056),
        (3935666876372647987, 430, 16, 52, 0xebddff235a1d6dc4),
        (7409486483544460546, 727, 4096, 42, 0xc4e6f2cc89887bae),
        (8102230111078344848, 692, 16, 40, 0xc1e6bb98feb7f7a4),
        (9156058326434740244, 537, 16, 34, 0xb2a97e957776ab16),
        (4768507774407489607, 372, 64, 58, 0x5c47a431c4c80aba),
        (1621589291062199366, 555, 64, 22, 0x68c294d8095b488c),
        (1945997239930677043, 324, 256, 42, 0x58af55fc9f36923e),
        (2755004778834256726, 501, 16, 38, 0xc1377c6e0aa1ef00),
        (6815336724827287696, 314, 4096, 13, 0x37156b140586df01),
        (9202178687593463564, 306, 256, 30, 0xcc135a88f1b4c34a),
        (1192401612200676250, 487, 64, 38, 0x6729f688c0904490),
        (1161704476634341759, 453, 64, 49, 0xb266cbdfe2674980),
        (2478411618597755574, 410, 4096, 23, 0x728fe9adc760bc86),
        (8471515299308196831, 413, 4096, 57, 0xc3f5f67d83054cca),
        (312393529893051573, 685, 16, 16, 0xc33142e3d1288d75),
        (5544305750041630018, 662, 16, 53, 0xe53520c48d929806),
        (7696963964380802495, 522, 64, 21, 0x7dad6d3c6b9a3bb9),
        (3962093647890459052, 607, 4096, 60, 0x3c4e3a999629e399),
        (2372193843422995312, 326, 4096, 12, 0x4d13953c181bcec5),
        (1572385989292831159, 605, 4096, 32, 0x748e4fca80f098c8),
        (984348541889373766, 555, 4096, 22, 0xb02d2f3d9265cc65),
        (1723313540174638874, 795, 16, 57, 0x7668d5d1148f3dfd),
        (2943981185795548676, 337, 256, 55, 0x2f4cdc4a062b9edd),
        (3058796034660868998, 798, 4096, 54, 0x97a707c8ea4d7e1e),
        (3700299701849998733, 707, 16, 58, 0x63244ed3bd00674f),
        (8301048882486360034, 540, 16, 32, 0x97f376f0ce02e254),
        (3914598269526765651, 549, 16, 28, 0x1b0dc31d22644df7),
        (6170566121450364423, 536, 256, 35, 0x6bf8db6b2103ce29),
        (794842015432775722, 319, 4096, 58, 0xcbb66b0baf2d681e),
        (3445162011416716941, 545, 64, 10, 0x32b92205b80e5971),
        (757898613755422378, 347, 16, 32, 0xbd156aa926b2c5e3),
        (8706044105285548012, 636, 256, 43, 0x64e174606c071277),
        (6116845392247355408, 632, 64, 16, 0xc5bc716533e026d9),
        (7514287752581816182, 301, 16, 56, 0xe622ba23af12eb6c),
        (987758017856555008, 695, 256, 11, 0x7c951b46880026da),
        (482560052287333889, 397, 256, 27, 0xf28e72369a20b51b),
        (6822020637355117687, 518, 4096, 16, 0xfa5a0546efff10ae),
        (8109597018788809726, 577, 4096, 40, 0xdfa4c12f3d1b2550),
        (6639868730577678353, 701, 256, 25, 0xc1bcbd26f079cad8),
        (8201483101598168910, 511, 16, 38, 0x9d9d5f3eff60c44c),
        (7247495396686076399, 622, 16, 40, 0xde52bbedbc132cd4),
        (1018140679720022730, 524, 16, 20, 0xbd7ec86ec3e348d6),
        (6219088700953391151, 636, 64, 21, 0x5fdfe533cc0dea6f),
        (741180746154897686, 483, 16, 24, 0x4cbadade4506b392),
        (8302202242613957476, 772, 4096, 10, 0x00dc55b3e1d536f4),
        (6693449506439169924, 354, 4096, 58, 0x59bab57bc914db68),
        (3620003917012225844, 329, 256, 33, 0xd1cf51449170d5cd),
        (2412918418307849198, 490, 64, 41, 0xbefb63d0f3beb132),
        (3803314622805556864, 636, 64, 10, 0x8cd91ba2ffba58c0),
        (6799075400704566971, 638, 64, 48, 0xa231de582ff2ac0e),
        (8244788730506535707, 798, 256, 43, 0xabd255fba6b6420b),
        (9206339447545281558, 490, 4096, 55, 0x1dce535e463f3053),
        (4775157106746496653, 769, 4096, 49, 0x283b75590f83d831),
        (6373414694951333726, 564, 256, 25, 0x8ad78970f3e08108),
        (1458971084457622738, 340, 4096, 11, 0xed9297207d2286dd),
        (2709423759822435664, 782, 4096, 14, 0x17d1d722f4e2e0b3),
        (8638475299242531954, 458, 4096, 12, 0x93f5444f8e924a2e),
        (3711921077352530192, 596, 4096, 30, 0xd5e38cc4e6e1ed97),
        (8954101377049981076, 372, 16, 29, 0xc9b7b8261dd8bab2),
        (869066110590343661, 423, 4096, 12, 0x0d8cc607f625ea96),
        (6696432573757112014, 768, 256, 38, 0xc5a1e750e751b51e),
        (1331739510615252358, 714, 256, 37, 0x299cab8ae8600b27),
        (5664701098806537705, 498, 4096, 38, 0xc41ace76416a3cb1),
        (6130850619053045404, 480, 16, 56, 0x59e59cd28ba37533),
        (3947625176493559064, 409, 256, 22, 0x799e1be0fedbd2b9),
        (2097257349818945911, 730, 256, 33, 0x7eedaa793488ffe7),
        (1974647995537187803, 378, 64, 57, 0x4b8bf92864b6adf4),
        (8448430479772591228, 622, 64, 32, 0x7c6b2d8b6365d5bc),
        (3441317140578527672, 376, 16, 39, 0x4b4f5624a947335b),
        (9161019914470553971, 304, 256, 22, 0xda9fddf12d98a3c5),
        (3924067158478932929, 460, 256, 12, 0xa410226a394ec5ea),
        (4533323745042787836, 580, 4096, 35, 0xabec590ba44ac4b6),
        (1376924347192620448, 774, 64, 55, 0xddbdeb438338d7d9),
        (4595670660951553154, 486, 64, 29, 0xea28756c40160385),
        (5412334211157982868, 476, 256, 27, 0x013d74d9c5110914),
        (1664774417527507070, 463, 256, 50, 0x632721c88d174516),
        (6499513193204709380, 714, 64, 40, 0x52aab3838673fcb8),
        (7996149155603551677, 601, 16, 15, 0x02e6621a24f0d4dd),
        (945497448935308435, 344, 16, 33, 0x41d9bf2b458f619a),
        (3085309718538967605, 534, 4096, 17, 0x98de6cf9d846483e),
        (3347538690168224188, 454, 64, 37, 0xa550dda8be84b4ec),
        (4020437624825870904, 605, 16, 18, 0x1fdb2a2c670344da),
        (5708048913357478188, 606, 16, 47, 0xd506e3df74152062),
        (7544631759377776482, 472, 256, 52, 0xa89a67fbf5c645f7),
        (1986193066202221033, 364, 16, 15, 0xaeb70558db5688b7),
        (3937545100589579118, 361, 4096, 59, 0x7b88030a33577e88),
        (7222640977458015317, 458, 16, 16, 0xd0fb317ed5b2e9bc),
        (8628203271516498417, 341, 64, 51, 0x42392f2e9e4ac4dd),
        (6299119436768725702, 473, 256, 50, 0x1d89c48b8ebdf460),
        (5851708790102845104, 319, 16, 47, 0x2cae1f23f1c958c2),
        (6441567370934073438, 643, 16, 28, 0xb0ac7ead4fba4eb6),
        (846274196394682061, 367, 16, 42, 0x207707fbb0f94632),
        (5650985586982835389, 544, 64, 42, 0x309645dfd21a4ada),
        (7976119491638986548, 484, 16, 25, 0x723aafd0f428f49c),
        (1399187537601368647, 458, 16, 16, 0xb84df9e07eaf7fd9),
        (2529321166917289653, 640, 4096, 48, 0x4f79d296f7c5aa53),
        (5367491856256912543, 428, 16, 44, 0x05e980dd89f6e1d7),
        (3132013177367439103, 744, 64, 53, 0x204d68cb59011a1d),
        (5905706501931306594, 449, 16, 39, 0x1282814c8899a18a),
        (4649254471344284538, 540, 256, 52, 0xa84c1b7f82982e8d),
        (8894074729563668409, 372, 16, 35, 0x0132339a32e2416b),
        (4306326922026503405, 737, 256, 49, 0x50a13782723772ce),
        (9146779379989784903, 396, 256, 37, 0xd54c2da94735eaba),
        (5556616120843644721, 694, 16, 43, 0xa308e0e72c53632b),
        (2827479372365826697, 621, 16, 52, 0x5aeed3c342b56072),
        (8068560178913708006, 572, 4096, 54, 0xe8d01ee42a2be177),
        (6361390458196865901, 657, 64, 37, 0x90634fe7475b4650),
        (4466652637721809012, 534, 4096, 60, 0x1e7eae6d409192fd),
        (4716129075252822501, 359, 256, 26, 0xf6a7a0bdebc51e99),
        (373240894984045952, 405, 16, 22, 0x6933381714a2bd59),
        (6822688520943238974, 515, 256, 45, 0x0ff96c84f32ba311),
        (6574047227520580850, 761, 16, 10, 0x65b5547b9e2d9e35),
        (1144592264698009886, 724, 4096, 58, 0xad264bb52858cff9),
        (3198672930595575856, 778, 4096, 19, 0x3c81e9547577074c),
        (8349965199041874742, 425, 256, 59, 0x5cf798c4834d55e2),
        (1781618133843644252, 604, 4096, 52, 0x70f349987f954ffd),
        (4025595666089348586, 622, 64, 49, 0x749dd50ceb3308ab),
        (6312214268879155945, 417, 16, 42, 0x8ae3e3d76dfe5d09),
        (1704896630374257897, 417, 4096, 20, 0xb000712375324584),
        (5864510114587787385, 457, 16, 51, 0x6e75db5cad7419bd),
        (2915755240890318299, 441, 16, 31, 0x569db0b9621c4581),
        (8068126397509141042, 420, 4096, 36, 0xf0dabb520698f0ac),
        (1903373557927920121, 402, 256, 51, 0x7edad2285d87b06f),
        (5867366467859449145, 593, 16, 14, 0x0d6bdd8082fe3e0d),
        (5310419082682051589, 588, 4096, 14, 0xd6b47337cacc11fb),
        (3949456027286505048, 728, 256, 57, 0x33405c5df28102ce),
        (949702469137230675, 778, 16, 35, 0x67c499ea0b5a3095),
        (6231740435381833967, 745, 16, 47, 0x4415b2997aa3656c),
        (1791477378572945497, 511, 256, 25, 0x67ae5bef00935959),
        (2892719092995004045, 353, 256, 44, 0x9a04f9ba24ad4784),
        (3137713664851953906, 800, 4096, 19, 0xa53945efe9ddd1e6),
        (7867131402406515450, 643, 4096, 52, 0x46568b912ca7e0b6),
        (8932003534367137398, 473, 64, 26, 0x5bcdd5ef6e6aa2de),
        (292492664135041245, 621, 4096, 27, 0x51134d6b3183345b),
        (2774571452862916663, 325, 16, 45, 0x31c1389e7eb450e4),
        (1907551740087449862, 633, 16, 16, 0xedb9cfe80a8c2c48),
        (8430174320567610364, 383, 16, 10, 0x88035d7b8648af5f),
        (9107954040902131062, 382, 4096, 16, 0xcfa56e283657170a),
        (1620394015489125015, 679, 256, 10, 0x20631712e7ffbda6),
        (7286316830693223687, 651, 256, 32, 0xf565453eabc8c03d),
        (3362886892790106524, 560, 16, 46, 0x341f30b290488bf3),
        (4964092357089123570, 344, 256, 53, 0xfd1587410e5c7500),
        (4033760399314383500, 602, 4096, 17, 0x8b92a951bee2b8e8),
        (5646511227126779828, 609, 256, 17, 0x54455c0a1fd1f5c5),
        (1696507226284888997, 630, 4096, 50, 0x21c706509fab90b3),
        (4307155948690741308, 527, 16, 47, 0x10e909d4ae490cc0),
        (1958209082555120386, 372, 64, 58, 0x3f9b7827f1399e56),
        (4911993979076343019, 308, 16, 41, 0xa2fd007319948548),
        (8308769617939687119, 769, 64, 34, 0x1e6f7351e469169f),
        (8558495126565679890, 650, 64, 33, 0x2db8445de7a686f2),
        (5928657687441539990, 301, 4096, 21, 0xd63784c7a7cc8087),
        (5494161834008730995, 384, 16, 23, 0xb4de55c6043ba6de),
        (7620113406493304380, 329, 16, 40, 0x48f0379bf36d4fd0),
        (2499485966828777260, 496, 256, 15, 0xb90a0eb7938c7a5b),
        (6527754392972872480, 689, 4096, 46, 0x5677ab69b13c089d),
        (4996865745678851510, 575, 4096, 16, 0x62352b7ca8c63382),
        (4656348439406780105, 743, 256, 57, 0x654feee5ff830709),
        (3486616728783659587, 598, 16, 47, 0xe65647f5087de2ce),
        (5013127275557312334, 726, 16, 50, 0x019776f28a550d5f),
        (1916453713672284272, 585, 16, 38, 0xbe3cc668ff3afdd4),
        (1021021941910342039, 354, 16, 44, 0x16f7dc4defb562bc),
        (7909865034462420974, 313, 64, 20, 0x6e0ab7b96f606778),
        (2500761595201787809, 447, 4096, 19, 0x44cf55f01ac990d4),
        (6432095504183997425, 483, 64, 60, 0xf79e307bbdff3321),
        (80311312542560119, 661, 16, 52, 0xf06bba19c0482f2c),
        (6546656922721068214, 511, 64, 46, 0x69e9e42bbd04d144),
        (75902945095941741, 675, 4096, 58, 0x643726a3023d8122),
        (3859280627911246736, 409, 64, 14, 0x515748cc6c9065e1),
        (525729423204813540, 517, 16, 18, 0x739c215149b80431),
        (9069306078964706109, 724, 4096, 29, 0x43c41f625658c091),
        (7370796403918871310, 785, 64, 57, 0xeb341de5289647e4),
        (1095703105445235107, 571, 16, 56, 0xa6e2340c93e7df85),
        (3132794005452836127, 313, 4096, 21, 0x170750ffafc25f26),
        (2863690199939965280, 691, 16, 36, 0x3a245af33df76efb),
        (8544743709701311471, 795, 256, 17, 0xd869f36c561e4f1a),
        (8152884538477402707, 605, 64, 55, 0x475559687275e76a),
        (4414290126908001862, 537, 64, 59, 0x0b667727fec16de1),
        (2413532766789315042, 794, 256, 16, 0x0e0e1292158f2846),
        (5992298263644430405, 534, 4096, 47, 0xda5c8e27a004e5be),
        (7138026477185902703, 650, 64, 48, 0xcf448b372385552b),
        (3954901179598761876, 750, 4096, 47, 0xb54a9c8fd707a512),
        (1231158131084733480, 704, 16, 20, 0x741d5adca5495832),
        (3493055349583768444, 798, 256, 28, 0x37a106d8545a996b),
        (801124518176917565, 644, 4096, 11, 0xeb5284e39db56055),
        (5369113476919819014, 453, 64, 14, 0x116a7538c9c10174),
        (7032557259440085482, 530, 16, 45, 0x01bf8408e18eb091),
        (4209463404857630472, 509, 16, 28, 0xa5f37522d393becc),
        (7210571779195346724, 796, 16, 54, 0x97e5ed2857e7214e),
        (6974488554566960972, 423, 64, 42, 0x8b7f7f9585e4bdd4),
        (1710502095682874815, 612, 16, 14, 0xb888c99811f7f6a8),
        (5368264430338175167, 777, 4096, 12, 0xc2604b094fe034de),
        (2522799668626636319, 20000, 3000, 45, 0x8206a8a031b0532f),
        (4049830955937067527, 20000, 500, 50, 0xb5b6a16fa36c6f51),
        (1732330727367141864, 5000, 100000, 30, 0xc68b0d1dc462355f),
    ]
}
