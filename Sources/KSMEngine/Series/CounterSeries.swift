/// The global KSM counters over a run: one sample per completed full scan (and one at the start of
/// each `scan` or `run_for` step), with the simulated time; and the merge counters each time they
/// changed, batch by batch.
public struct CounterSeries: Sendable {
    /// One sample.
    public struct Sample: Hashable, Sendable {
        /// Simulated seconds since the start of the run.
        public var seconds: Double
        /// The global counters at that time.
        public var counters: KSMCounters
        /// Creates a sample.
        public init(seconds: Double, counters: KSMCounters) {
            self.seconds = seconds
            self.counters = counters
        }
    }

    /// The merge counters (`pages_shared`, `pages_sharing`, `ksm_zero_pages`) at a moment they
    /// changed.
    public struct MergePoint: Hashable, Sendable {
        /// Simulated seconds since the start of the run.
        public var seconds: Double
        /// `pages_shared`.
        public var pagesShared: Int
        /// `pages_sharing`.
        public var pagesSharing: Int
        /// `ksm_zero_pages`.
        public var ksmZeroPages: Int
        /// How many full scans the series had seen complete when the change was noted: a change
        /// with value `k` happened during the full scan `k + 1` (or between scans).
        public var completedScans: Int

        /// The pages saved: `pages_sharing + ksm_zero_pages` (each is a page of memory the
        /// kernel no longer needs; ``CounterSeries/savedPages`` explains the choice).
        public var savedPages: Int { pagesSharing + ksmZeroPages }

        func sameCounters(_ c: KSMCounters) -> Bool {
            pagesShared == c.pagesShared && pagesSharing == c.pagesSharing && ksmZeroPages == c.ksmZeroPages
        }
    }

    /// The samples in time order, no two consecutive ones equal.
    public private(set) var samples: [Sample] = []
    /// The merge counters when the series began, then at every change, in time order.
    public private(set) var mergePoints: [MergePoint] = []
    /// Full scans completed: samples whose `full_scans` is above the previous sample's (a run=2
    /// resets the counter to 0, so counting the counter itself would not do).
    public private(set) var completedScans = 0

    /// An empty series.
    public init() {}

    /// Adds a sample unless it repeats the last one exactly; notes its merge counters (as part of
    /// the full scan it completes, if it completes one).
    public mutating func append(_ s: Sample) {
        if let last = samples.last, last == s { return }
        noteMergeCounters(seconds: s.seconds, counters: s.counters)
        if let last = samples.last, s.counters.fullScans > last.counters.fullScans { completedScans += 1 }
        samples.append(s)
    }

    /// Notes the merge counters at `seconds` (between samples: after every ksmd batch, after every
    /// step); a ``MergePoint`` is added when they differ from the last one noted.
    public mutating func noteMergeCounters(seconds: Double, counters: KSMCounters) {
        if let last = mergePoints.last, last.sameCounters(counters) { return }
        mergePoints.append(
            MergePoint(
                seconds: seconds, pagesShared: counters.pagesShared, pagesSharing: counters.pagesSharing,
                ksmZeroPages: counters.ksmZeroPages, completedScans: completedScans))
    }

    /// The counters a chart of the series shows, by sysfs name.
    public static let charted = ["pages_shared", "pages_sharing", "pages_unshared", "pages_volatile", "ksm_zero_pages"]

    /// The series as CSV: a header, then one row per sample (full_scans, simulated_seconds and
    /// every counter).
    public var csv: String {
        var out = "simulated_seconds," + KSMCounters().fields.map(\.0).joined(separator: ",") + "\n"
        for s in samples {
            out += "\(s.seconds)," + s.counters.fields.map { "\($0.1)" }.joined(separator: ",") + "\n"
        }
        return out
    }
}

extension CounterSeries {
    /// Whether the merge counters have settled, as far as the run shows.
    ///
    /// The definition: the merge counters (`pages_shared`, `pages_sharing`, `ksm_zero_pages`) did
    /// not change over the last two full scans ksmd completed, nor after them. Two, because a page
    /// visited for the first time (or rewritten since its last visit) only has its checksum taken:
    /// it can merge at the earliest in the next full scan, so one quiet full scan may be followed by
    /// merges, while two quiet ones show that every page has been seen unchanged. It is an
    /// observation of the run, not a promise: a later write, or smart_scan, which skips a page that
    /// has not merged for up to 8 full scans, can still change the counters.
    public enum Convergence: Hashable, Sendable {
        /// When the merge counters reached the values they kept to the end, or `nil` when they did
        /// not converge.
        public var atSeconds: Double? {
            if case .converged(let t) = self { return t }
            return nil
        }
        /// ksmd completed no full scan: there is nothing to judge.
        case noFullScan
        /// ksmd completed one full scan and the merge counters did not change: too few to tell.
        case oneFullScan
        /// The merge counters changed within the last two full scans (or after them), last at
        /// `lastChangeSeconds`.
        case notConverged(lastChangeSeconds: Double)
        /// The merge counters kept their final values over at least the last two full scans; they
        /// reached them at `atSeconds` (the change that made them so, or the start of the series
        /// when they never changed).
        case converged(atSeconds: Double)

        /// The name `--json` prints: `converged`, `not_converged`, `no_full_scan`,
        /// `one_full_scan`.
        public var name: String {
            switch self {
            case .noFullScan: "no_full_scan"
            case .oneFullScan: "one_full_scan"
            case .notConverged: "not_converged"
            case .converged: "converged"
            }
        }
    }

    /// ``Convergence`` of the series (see there for the definition).
    ///
    /// - Complexity: O(1).
    public var convergence: Convergence {
        guard completedScans > 0 else { return .noFullScan }
        let lastChange = mergePoints.count > 1 ? mergePoints.last : nil
        if let c = lastChange, c.completedScans >= completedScans - 2 {
            return .notConverged(lastChangeSeconds: c.seconds)
        }
        if completedScans == 1 { return .oneFullScan }
        return .converged(atSeconds: lastChange?.seconds ?? mergePoints.first?.seconds ?? samples.first?.seconds ?? 0)
    }

    /// When the merge counters reached the values they kept to the end (``Convergence``), or `nil`
    /// when the series has not converged.
    public var convergedAtSeconds: Double? { convergence.atSeconds }

    /// The pages the run saves at its end: `pages_sharing + ksm_zero_pages`, the mappings of KSM
    /// pages beyond the first and the empty pages mapped to the zero page. (`general_profit` takes
    /// the rmap items' memory off and is negative while ksmd has only taken checksums; a fraction
    /// of it does not measure progress.) 0 for an empty series.
    public var savedPages: Int { mergePoints.last?.savedPages ?? 0 }

    /// The first time the saved pages reached `fraction` of their final value (rounded up to a
    /// whole page), at the resolution of ksmd's batches; `nil` when the run ends with nothing
    /// saved. The first time counts even if the savings fell back later.
    ///
    /// - Complexity: O(*n*) in the number of merge points.
    public func secondsToSave(fraction: Double) -> Double? {
        let final = savedPages
        guard final > 0, fraction.isFinite else { return nil }
        let target = min(final, max(0, Int((Double(final) * fraction).rounded(.up))))
        return mergePoints.first { $0.savedPages >= target }?.seconds
    }
}
