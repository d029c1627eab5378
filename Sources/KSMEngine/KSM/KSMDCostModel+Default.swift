extension KSMDCostModel {
    /// The model calibrated on this project's machine with `ksmd-sim calibrate`: see ``calibrated``
    /// and ``machine``; the load when it was measured, and how close it comes to the kernel pass by
    /// pass, are in docs/time.md. Charges rounded to whole nanoseconds; the file `calibrate` wrote is
    /// docs/cost-model-default.json.
    public static let `default` = KSMDCostModel(
        uncheckedPageNanos: [
            .newRmapItem: 0, .checksumChanged: 993, .alreadyMerged: 363, .zeroPageMerge: 4774, .stableTreeMerge: 4774,
            .unstableInsert: 5370, .unstableMerge: 5775, .smartScanSkip: 215, .stableTreeLevel: 0, .unstableTreeLevel: 0,
        ], batchNanos: 5774, fullScanNanos: 915256, hz: 250, wakeLatencyNanos: 0,
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
