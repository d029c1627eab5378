/// The global KSM counters over a run: one sample per completed full scan (and one at the start of
/// each `scan` or `run_for` step), with the simulated time.
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

    /// The samples in time order, no two consecutive ones equal.
    public private(set) var samples: [Sample] = []
    /// An empty series.
    public init() {}

    /// Adds a sample unless it repeats the last one exactly.
    public mutating func append(_ s: Sample) {
        if let last = samples.last, last == s { return }
        samples.append(s)
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
    /// When the merge counters (pages_shared, pages_sharing, ksm_zero_pages) reached the values they
    /// keep to the end of the series: the simulated time of the first sample of that final stretch,
    /// or `nil` when they changed at the last sample (not converged yet) or nothing was merged.
    public var convergedAtSeconds: Double? {
        guard let last = samples.last, last.counters.pagesShared + last.counters.ksmZeroPages > 0 else { return nil }
        func key(_ s: Sample) -> [Int] { [s.counters.pagesShared, s.counters.pagesSharing, s.counters.ksmZeroPages] }
        var i = samples.count - 1
        while i > 0 && key(samples[i - 1]) == key(last) { i -= 1 }
        return i == samples.count - 1 && samples.count > 1 ? nil : samples[i].seconds
    }
}

/// What a simulator run ends with besides its reports: time to converge and ksmd's CPU share.
public struct RunSummary: Sendable {
    /// Simulated seconds until the merge counters stopped changing (see
    /// ``CounterSeries/convergedAtSeconds``).
    public var convergedAtSeconds: Double?
    /// Simulated seconds of the whole run.
    public var simulatedSeconds: Double
    /// ksmd's CPU time over the run's simulated time, as the scan-time advisor measures it.
    public var ksmdCPUShare: Double

    /// The summary as `--json` prints it (`time_to_converge_seconds`, `simulated_seconds`,
    /// `ksmd_cpu_share`).
    public var json: JSON {
        .object([
            ("time_to_converge_seconds", convergedAtSeconds.map { .double($0) } ?? .null),
            ("simulated_seconds", .double(simulatedSeconds)), ("ksmd_cpu_share", .double(ksmdCPUShare)),
        ])
    }

    /// The summary as one line of text.
    public var text: String {
        let converge =
            convergedAtSeconds.map { "converged after \($0) simulated seconds" }
            ?? "not converged (the merge counters still changed at the end)"
        let share = (ksmdCPUShare * 10000).rounded() / 100
        return "\(converge); ksmd used \(share)% of a CPU over \(simulatedSeconds) simulated seconds"
    }
}
