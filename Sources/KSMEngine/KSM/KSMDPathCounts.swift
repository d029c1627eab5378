/// How many page visits of ksmd took each path through `cmp_and_merge_page()`, and the batches and
/// full scans around them: what ``KSMDCostModel`` charges for.
///
/// The counts are cumulative since the simulated kernel started (``SimulatedKernel/ksmdPathCounts``);
/// the difference of two readings is what happened between them. A visit is counted once, at the
/// path it left by (``KSMDCostModel/Path``); a first visit is also counted in
/// ``KSMDCostModel/Path/newRmapItem``, and the two tree-level paths count the levels of the trees a
/// visit searched, not visits.
public struct KSMDPathCounts: Equatable, Sendable {
    /// ksmd wake-ups that ran `ksm_do_scan()`.
    public var batches = 0
    /// Full scans completed (`ksm_scan.seqnr` increments).
    public var fullScans = 0
    /// Counts by path, indexed by ``KSMDCostModel/Path/index``.
    var counts = [Int](repeating: 0, count: KSMDCostModel.Path.allCases.count)

    /// No visits, batches or scans.
    public init() {}

    /// The count of `path`.
    public subscript(path: KSMDCostModel.Path) -> Int {
        get { counts[path.index] }
        set { counts[path.index] = newValue }
    }

    /// What happened from `earlier` to `self`: every count minus `earlier`'s.
    public func since(_ earlier: KSMDPathCounts) -> KSMDPathCounts {
        var d = KSMDPathCounts()
        d.batches = batches &- earlier.batches
        d.fullScans = fullScans &- earlier.fullScans
        for i in counts.indices { d.counts[i] = counts[i] &- earlier.counts[i] }
        return d
    }

    /// The counts as JSON: `{"batches": B, "full_scans": F, "new_rmap_item": ..., ...}`.
    public var json: JSON {
        .object(
            [("batches", .int(batches)), ("full_scans", .int(fullScans))]
                + KSMDCostModel.Path.allCases.map { ($0.rawValue, .int(self[$0])) })
    }
}

/// The per-path counters the scan loop increments: plain integers in `KSMState`, one increment at
/// each path's exit (no allocation, no branch).
struct KSMDPathCounters {
    var fullScans = 0
    var newRmapItem = 0
    var checksumChanged = 0
    var alreadyMerged = 0
    var zeroPageMerge = 0
    var stableTreeMerge = 0
    var unstableInsert = 0
    var unstableMerge = 0
    var stableTreeLevels = 0
    var unstableTreeLevels = 0
    var batches = 0

    /// The count of `path`; smart_scan's skips are `pages_skipped`, counted apart (`skipped`).
    @inline(__always) func count(_ path: KSMDCostModel.Path, skipped: Int) -> Int {
        switch path {
        case .newRmapItem: newRmapItem
        case .checksumChanged: checksumChanged
        case .alreadyMerged: alreadyMerged
        case .zeroPageMerge: zeroPageMerge
        case .stableTreeMerge: stableTreeMerge
        case .unstableInsert: unstableInsert
        case .unstableMerge: unstableMerge
        case .smartScanSkip: skipped
        case .stableTreeLevel: stableTreeLevels
        case .unstableTreeLevel: unstableTreeLevels
        }
    }

    /// The levels of a red-black tree of `n` nodes a search walks, as charged: the bit length of `n`
    /// (0 for an empty tree, about log2 `n` + 1).
    @inline(__always) static func levels(_ n: Int) -> Int { Int.bitWidth &- n.leadingZeroBitCount }
}
