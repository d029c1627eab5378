extension KSMDCostModel {
    /// The model calibrated on this project's machine with `ksmd-sim calibrate`: see ``calibrated``
    /// and ``machine``; the load when it was measured, and how close it comes to the kernel pass by
    /// pass, are in docs/time.md. Charges rounded to whole nanoseconds; the file `calibrate` wrote is
    /// docs/cost-model-default.json.
    public static let `default` = KSMDCostModel(
        uncheckedPageNanos: [
            .newRmapItem: 0, .checksumChanged: 923, .alreadyMerged: 292, .zeroPageMerge: 3806, .stableTreeMerge: 3806,
            .unstableInsert: 4246, .unstableMerge: 5531, .smartScanSkip: 223, .stableTreeLevel: 0, .unstableTreeLevel: 0,
        ], batchNanos: 19949, fullScanNanos: 0, hz: 250, wakeLatencyNanos: 0,
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
