/// The kernel's passes next to the simulator's under a cost model (`ksmd-sim calibrate --check`):
/// per pass, the median wall and CPU time of the kernel's runs, the simulator's, and the relative
/// errors, with the targets.
public struct CalibrationComparison: Sendable {
    /// One pass of one workload.
    public struct Row: Sendable {
        /// The workload.
        public var workload: CalibrationWorkload
        /// The pass, from 1.
        public var pass: Int
        /// The kernel's median pass.
        public var kernel: HostPass
        /// The simulator's pass.
        public var simulator: SimulatedPass
        /// `simulator / kernel − 1` for wall time.
        public var wallError: Double { kernel.seconds > 0 ? simulator.seconds / kernel.seconds - 1 : .infinity }
        /// `simulator / (kernel − run-queue time) − 1` for wall time: the error with the time ksmd
        /// waited for a CPU (the machine's other load) taken out of the kernel's pass. A diagnostic,
        /// not a target.
        public var unloadedWallError: Double {
            let t = kernel.seconds - kernel.runQueueSeconds
            return t > 0 ? simulator.seconds / t - 1 : .infinity
        }
        /// `simulator / kernel − 1` for ksmd's CPU time.
        public var cpuError: Double { kernel.cpuSeconds > 0 ? simulator.cpuSeconds / kernel.cpuSeconds - 1 : .infinity }
    }

    /// Every pass of every workload, in order.
    public var rows: [Row]
    /// The kernel's measurements compared.
    public var measurements: [CalibrationMeasurement]
    /// The 1-minute load averages at the start of the kernel's runs.
    public var loadAverages: [Double]
    /// The largest wall error that meets the target (0.10: 10%).
    public var wallTarget = 0.10
    /// The largest CPU error that meets the target (0.25).
    public var cpuTarget = 0.25

    /// Compares `measurements` with the simulator under `model`.
    /// - Throws: ``ScenarioError`` when a workload cannot be simulated.
    public init(_ measurements: [CalibrationMeasurement], model: KSMDCostModel) throws(ScenarioError) {
        rows = []
        loadAverages = []
        self.measurements = measurements
        for m in measurements {
            let sim = try m.workload.simulate(model: model)
            for (i, (s, k)) in zip(sim, m.medianPasses).enumerated() {
                rows.append(Row(workload: m.workload, pass: i + 1, kernel: k, simulator: s))
            }
            loadAverages += m.loadAverages
        }
    }

    /// Whether every pass's wall error is within ``wallTarget`` and CPU error within ``cpuTarget``.
    public var targetsHold: Bool { rows.allSatisfy { abs($0.wallError) <= wallTarget && abs($0.cpuError) <= cpuTarget } }

    /// The rows that miss a target.
    public var misses: [Row] { rows.filter { abs($0.wallError) > wallTarget || abs($0.cpuError) > cpuTarget } }

    /// A table: workload, pass, kernel and simulator wall and CPU, errors, the kernel's run-queue
    /// time; then the load and a verdict line.
    public var text: String {
        func ms(_ s: Double) -> String { SVGChart.fixed(s * 1000, decimals: 1) }
        func pct(_ e: Double) -> String { e.isFinite ? (e >= 0 ? "+" : "") + SVGChart.fixed(e * 100, decimals: 1) + "%" : "n/a" }
        func two(_ v: Double) -> String { SVGChart.fixed(v, decimals: 2) }
        var lines = [
            [
                "workload", "pass", "kernel wall (ms)", "sim wall (ms)", "wall err", "kernel CPU (ms)", "sim CPU (ms)", "CPU err",
                "runqueue (ms)", "wall err w/o runqueue",
            ]
        ]
        for r in rows {
            lines.append([
                r.workload.name, "\(r.pass)", ms(r.kernel.seconds), ms(r.simulator.seconds), pct(r.wallError),
                ms(r.kernel.cpuSeconds), ms(r.simulator.cpuSeconds), pct(r.cpuError), ms(r.kernel.runQueueSeconds),
                pct(r.unloadedWallError),
            ])
        }
        var widths = [Int](repeating: 0, count: lines[0].count)
        for l in lines { for (i, c) in l.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = lines.map { l in
            l.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }.joined(separator: "  ")
        }
        let wall = rows.map { abs($0.wallError) }.max() ?? 0
        let cpu = rows.map { abs($0.cpuError) }.max() ?? 0
        if let low = loadAverages.min(), let high = loadAverages.max() {
            out.append(
                "load average (1 min) at the kernel runs' starts: \(two(low)) to \(two(high)), median \(two(BenchStatistics.median(loadAverages)))"
            )
        }
        out.append(
            "largest errors: wall \(SVGChart.fixed(wall * 100, decimals: 1))%, CPU \(SVGChart.fixed(cpu * 100, decimals: 1))%; targets (wall within \(Int(wallTarget * 100))%, CPU within \(Int(cpuTarget * 100))%): "
                + (targetsHold ? "hold" : "missed in \(misses.count) of \(rows.count) passes"))
        return out.joined(separator: "\n")
    }

    /// The comparison as JSON: `{"passes": [...], "load_averages": [...], "targets_hold": B,
    /// "workloads": [...]}`, where `workloads` holds every kernel run's passes
    /// (``CalibrationMeasurement/json``), so that `calibrate --kernel-passes FILE` can fit or check
    /// again from them without the host.
    public var json: JSON {
        func r(_ v: Double) -> JSON { v.isFinite ? .double((v * 1e6).rounded() / 1e6) : .null }
        return .object([
            (
                "passes",
                .array(
                    rows.map { row in
                        .object([
                            ("workload", .string(row.workload.name)), ("pass", .int(row.pass)),
                            ("kernel_seconds", r(row.kernel.seconds)), ("kernel_cpu_seconds", r(row.kernel.cpuSeconds)),
                            ("kernel_runqueue_seconds", r(row.kernel.runQueueSeconds)),
                            ("simulated_seconds", r(row.simulator.seconds)), ("ksmd_cpu_seconds", r(row.simulator.cpuSeconds)),
                            ("wall_error", r(row.wallError)), ("wall_error_without_runqueue", r(row.unloadedWallError)),
                            ("cpu_error", r(row.cpuError)), ("counts", row.simulator.counts.json),
                        ])
                    })
            ),
            ("load_averages", .array(loadAverages.map { .double($0) })),
            ("wall_target", .double(wallTarget)), ("cpu_target", .double(cpuTarget)), ("targets_hold", .bool(targetsHold)),
            ("workloads", .array(measurements.map(\.json))),
        ])
    }
}
