extension KSMDCostModel {
    /// The model calibrated on this project's machine with `ksmd-sim calibrate`: see ``calibrated``
    /// and ``machine``; the load when it was measured, and how close it comes to the kernel pass by
    /// pass, are in docs/time.md. Charges rounded to whole nanoseconds; the file `calibrate` wrote is
    /// docs/cost-model-default.json.
    public static let `default` = KSMDCostModel(
        uncheckedPageNanos: [
            .newRmapItem: 0, .checksumChanged: 1091, .alreadyMerged: 364, .zeroPageMerge: 4280, .stableTreeMerge: 4280,
            .unstableInsert: 5533, .unstableMerge: 5606, .smartScanSkip: 256, .stableTreeLevel: 0, .unstableTreeLevel: 0,
        ], batchNanos: 35700, fullScanNanos: 0, hz: 250, wakeLatencyNanos: 1_500_000,
        calibrated: "2026-11-29", machine: "AMD EPYC, 2 CPUs, Linux 6.18.44-fc-v595")

    /// A model from constants known to be in range (for ``default``).
    init(
        uncheckedPageNanos pageNanos: [Path: Double], batchNanos: Double, fullScanNanos: Double, hz: Int,
        wakeLatencyNanos: Double, calibrated: String, machine: String
    ) {
        var nanos = [Double](repeating: 0, count: Path.allCases.count)
        for (path, value) in pageNanos { nanos[path.index] = value }
        self.pageNanos = nanos
        self.batchNanos = batchNanos
        self.fullScanNanos = fullScanNanos
        self.hz = hz
        self.wakeLatencyNanos = wakeLatencyNanos
        self.calibrated = calibrated
        self.machine = machine
    }
}
