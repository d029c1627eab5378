/// Makes the bytes of scenario fills, identically for the simulator and the host-kernel runner.
///
/// `classes` pages start with a 16-byte header naming (namespace, class) — namespaces numbered in
/// order of first use — then pseudo-random bytes seeded by it; `unique` pages carry (write number,
/// page index) in theirs, so a page's bytes do not depend on whether earlier writes failed midway.
/// Equal pairs give equal pages, different pairs and unique pages differ, and no generated page is
/// all zeros or a single repeated byte.
public final class FillGenerator {
    // `@exclusivity(unchecked)` as in `KSMState`: every write of a scenario asks for a filler.
    @exclusivity(unchecked) private var namespaces: [String: UInt32] = [:]
    @exclusivity(unchecked) var writes: UInt64 = 0

    /// Creates a generator with no namespaces and no writes yet: one per scenario run.
    public init() {}

    /// A filler for the pages of one write: call it with each page's index in the write, in order.
    /// - Throws: ``ScenarioError`` for `classes` outside 1...2^40, as a scenario file is refused.
    public func filler(for fill: Fill) throws(ScenarioError) -> (Int, UnsafeMutableRawBufferPointer) -> Void {
        switch fill {
        case .byte(let b):
            return { _, page in page.initializeMemory(as: UInt8.self, repeating: b) }
        case .classes(let k, let namespace):
            try ScenarioLimits.check("classes", k, ScenarioLimits.classes)
            let ns: UInt32
            if let n = namespaces[namespace] {
                ns = n
            } else {
                ns = UInt32(namespaces.count)
                namespaces[namespace] = ns
            }
            return { i, page in Self.pattern(page, tag: 0xC1A5_5E5, a: UInt64(ns), b: UInt64(i % k)) }
        case .unique:
            writes += 1
            let write = writes
            return { i, page in Self.pattern(page, tag: 0x0E1_0E1, a: write, b: UInt64(i)) }
        }
    }

    /// The content ids of the pages ``filler(for:)`` writes (``PageContentMode/ids``): call it with
    /// each page's index in the write, in order. Counts a `unique` write as ``filler(for:)`` does, so
    /// that the two kinds of filler may be mixed in one run.
    /// - Throws: ``ScenarioError`` for `classes` outside 1...2^40, and for a `unique` write or a
    ///   `classes` namespace beyond the 16,777,216 that content ids can name.
    public func idFiller(for fill: Fill) throws(ScenarioError) -> (Int) -> UInt64 {
        switch fill {
        case .byte(let b):
            let id = PageID.byte(b)
            return { _ in id }
        case .classes(let k, let namespace):
            try ScenarioLimits.check("classes", k, ScenarioLimits.classes)
            let ns = UInt64(namespaces[namespace] ?? UInt32(namespaces.count))
            guard PageID.encodable(ns, 0) else {
                throw ScenarioError("content ids name at most 16777216 classes namespaces; use --content bytes")
            }
            namespaces[namespace] = UInt32(ns)
            return { i in PageID.pattern(top: PageID.classesByte, a: ns, b: UInt64(i % k)) }
        case .unique:
            writes += 1
            let write = writes
            guard PageID.encodable(write, 0) else {
                throw ScenarioError("content ids name at most 16777215 unique writes in a run; use --content bytes")
            }
            // Page indexes stay below the window's 2^28 pages: always encodable.
            return { i in PageID.pattern(top: PageID.uniqueByte, a: write, b: UInt64(i)) }
        }
    }

    /// Header (tag, a, b) then a splitmix64 stream seeded by them.
    static func pattern(_ page: UnsafeMutableRawBufferPointer, tag: UInt32, a: UInt64, b: UInt64) {
        var state = (UInt64(tag) << 32) ^ (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F)
        let words = page.bindMemory(to: UInt64.self)
        words[0] = UInt64(tag) | (a << 32)
        words[1] = b
        for w in 2..<words.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words[w] = z ^ (z >> 31)
        }
    }
}
