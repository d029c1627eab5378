import Glibc

/// What repeated benchmark runs share: medians, and a clean peak-RSS reading per run.
public enum BenchStatistics {
    /// The median (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }

    /// Resets this process's peak resident size (`VmHWM`) to its current resident size, so that a
    /// run's peak is its own: writes 5 to `/proc/self/clear_refs` (Linux 4.0 and later). False if
    /// the kernel refused.
    @discardableResult
    public static func resetPeakResident() -> Bool {
        HostKSMControl.writeFile("/proc/self/clear_refs", "5") == 0
    }
}

extension ScanBenchmark.Result {
    /// Per-field medians of several runs of one workload; the counters of the first run whose
    /// counters differ from the kernel's, else of the first run.
    /// - Throws: ``Errno/EINVAL`` for no runs.
    public static func median(of runs: [Self]) throws(Errno) -> Self {
        guard !runs.isEmpty else { throw .EINVAL }
        var m = runs.first { !$0.countersMatch } ?? runs[0]
        m.firstScanPagesPerSecond = BenchStatistics.median(runs.map(\.firstScanPagesPerSecond))
        m.mergeScanPagesPerSecond = BenchStatistics.median(runs.map(\.mergeScanPagesPerSecond))
        m.steadyScanPagesPerSecond = BenchStatistics.median(runs.map(\.steadyScanPagesPerSecond))
        m.metadataBytesPerPage = BenchStatistics.median(runs.map(\.metadataBytesPerPage))
        m.peakResidentBytes = Int(BenchStatistics.median(runs.map { Double($0.peakResidentBytes) }))
        return m
    }
}
