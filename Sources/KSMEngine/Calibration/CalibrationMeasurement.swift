/// A ``CalibrationWorkload`` measured on the host kernel several times: each pass's median wall
/// and CPU time over the runs, and the load the runs met.
public struct CalibrationMeasurement: Sendable {
    /// The workload.
    public var workload: CalibrationWorkload
    /// Every run's passes, in run order.
    public var runs: [[HostPass]]
    /// The 1-minute load average at the start of each run.
    public var loadAverages: [Double]
    /// Other processes KSM scanned during the runs ("PID (comm)"): their pages were in the passes.
    public var otherProcesses: [String]

    /// A measurement of `workload` from runs already made.
    public init(workload: CalibrationWorkload, runs: [[HostPass]], loadAverages: [Double], otherProcesses: [String] = []) {
        self.workload = workload
        self.runs = runs
        self.loadAverages = loadAverages
        self.otherProcesses = otherProcesses
    }

    /// Pass by pass, the median over the runs of wall seconds, CPU seconds and run-queue seconds
    /// (each median on its own).
    public var medianPasses: [HostPass] {
        let n = runs.map(\.count).min() ?? 0
        return (0..<n).map { i in
            HostPass(
                seconds: BenchStatistics.median(runs.map { $0[i].seconds }),
                cpuSeconds: BenchStatistics.median(runs.map { $0[i].cpuSeconds }),
                runQueueSeconds: BenchStatistics.median(runs.map { $0[i].runQueueSeconds }))
        }
    }

    /// The measurement as JSON: the workload's fields, the load averages, the other KSM users, and
    /// every run's passes (`{"seconds": S, "cpu_seconds": C, "runqueue_seconds": R}`).
    public var json: JSON {
        let w = workload
        return .object([
            ("pages", .int(w.pages)), ("duplicate_ratio", .double(w.duplicateRatio)), ("pages_to_scan", .int(w.pagesToScan)),
            ("sleep_millisecs", .int(w.sleepMillisecs)), ("smart_scan", .bool(w.smartScan)), ("passes", .int(w.passes)),
            ("load_averages", .array(loadAverages.map { .double($0) })),
            ("other_processes", .array(otherProcesses.map { .string($0) })),
            (
                "kernel_runs",
                .array(
                    runs.map { run in
                        .array(
                            run.map {
                                .object([
                                    ("seconds", .double($0.seconds)), ("cpu_seconds", .double($0.cpuSeconds)),
                                    ("runqueue_seconds", .double($0.runQueueSeconds)),
                                ])
                            })
                    })
            ),
        ])
    }

    /// The measurements in the `"workloads"` of a comparison's JSON (``CalibrationComparison/json``,
    /// `ksmd-sim calibrate --json`).
    /// - Throws: ``ScenarioError``, one line naming what is missing or wrong.
    public static func load(comparisonJSON text: String) throws(ScenarioError) -> [CalibrationMeasurement] {
        let value: JSON
        do { value = try JSON.parse(text) } catch { throw ScenarioError("kernel passes: not JSON: \(error)") }
        guard case .array(let items)? = value["workloads"], !items.isEmpty else {
            throw ScenarioError("kernel passes: no \"workloads\" (write them with ksmd-sim calibrate --json)")
        }
        func number(_ v: JSON?, _ what: String) throws(ScenarioError) -> Double {
            switch v {
            case .int(let n)?: return Double(n)
            case .double(let d)?: return d
            default: throw ScenarioError("kernel passes: \(what) must be a number")
            }
        }
        var out: [CalibrationMeasurement] = []
        for (i, item) in items.enumerated() {
            let at = "workloads[\(i)]"
            guard case .bool(let smart)? = item["smart_scan"] else {
                throw ScenarioError("kernel passes: \(at).smart_scan must be a boolean")
            }
            let w = CalibrationWorkload(
                pages: Int(try number(item["pages"], "\(at).pages")),
                duplicateRatio: try number(item["duplicate_ratio"], "\(at).duplicate_ratio"),
                pagesToScan: Int(try number(item["pages_to_scan"], "\(at).pages_to_scan")),
                sleepMillisecs: Int(try number(item["sleep_millisecs"], "\(at).sleep_millisecs")), smartScan: smart,
                passes: Int(try number(item["passes"], "\(at).passes")))
            try w.check()
            guard case .array(let runItems)? = item["kernel_runs"], !runItems.isEmpty else {
                throw ScenarioError("kernel passes: \(at).kernel_runs must be a non-empty array")
            }
            var runs: [[HostPass]] = []
            for (r, run) in runItems.enumerated() {
                guard case .array(let passes) = run else {
                    throw ScenarioError("kernel passes: \(at).kernel_runs[\(r)] must be an array")
                }
                var ps: [HostPass] = []
                for (p, pass) in passes.enumerated() {
                    let where_ = "\(at).kernel_runs[\(r)][\(p)]"
                    ps.append(
                        HostPass(
                            seconds: try number(pass["seconds"], "\(where_).seconds"),
                            cpuSeconds: try number(pass["cpu_seconds"], "\(where_).cpu_seconds"),
                            runQueueSeconds: try number(pass["runqueue_seconds"], "\(where_).runqueue_seconds")))
                }
                runs.append(ps)
            }
            var loads: [Double] = []
            if case .array(let l)? = item["load_averages"] { for v in l { loads.append(try number(v, "\(at).load_averages")) } }
            var others: [String] = []
            if case .array(let o)? = item["other_processes"] { for case .string(let s) in o { others.append(s) } }
            out.append(CalibrationMeasurement(workload: w, runs: runs, loadAverages: loads, otherProcesses: others))
        }
        return out
    }

    /// Runs `workload` `repeat` times on the host kernel (``HostCalibrationRun``).
    /// - Throws: what ``HostCalibrationRun/run(onLockWait:)`` throws.
    public static func measure(
        _ workload: CalibrationWorkload, repeat count: Int, workerPath: String? = nil, onLockWait: (String) -> Void = { _ in }
    ) throws(ScenarioError) -> CalibrationMeasurement {
        var runs: [[HostPass]] = []
        var loads: [Double] = []
        var others: [String] = []
        for _ in 0..<max(count, 1) {
            let r = try HostCalibrationRun(workload: workload, workerPath: workerPath).run(onLockWait: onLockWait)
            runs.append(r.passes)
            loads.append(r.loadAverage)
            for o in r.otherProcesses where !others.contains(o) { others.append(o) }
        }
        return CalibrationMeasurement(workload: workload, runs: runs, loadAverages: loads, otherProcesses: others)
    }
}

/// Fits a ``KSMDCostModel`` to measurements of the host kernel (`ksmd-sim calibrate`).
///
/// **CPU**: every pass of every workload is one equation: the pass's path counts on the simulator
/// (which reproduces the kernel's counters, so its paths are the kernel's) times the unknown
/// charges equals the kernel's median CPU time of the pass. The charges are the non-negative least
/// squares solution of the equations each divided by its CPU time (relative errors, so that short
/// passes weigh as much as long ones). Two charges cannot be told apart by these workloads and are
/// set by rule: every first visit is also a changed checksum (a new item's old checksum is 0), so
/// the two always count alike; the fit charges them together to
/// ``KSMDCostModel/Path/checksumChanged`` and ``KSMDCostModel/Path/newRmapItem`` is 0 (a volatile
/// page's later visits are charged as a first visit). The workloads have no zero-filled pages:
/// ``KSMDCostModel/Path/zeroPageMerge`` is charged as ``KSMDCostModel/Path/stableTreeMerge``, the
/// closest path (a page replaced by a mapping of an existing page). The tree-level charges are 0:
/// measured on Linux 6.18, a page's search and insert in the unstable tree cost the same (about
/// 5 µs) in trees of 5,000 and of 200,000 pages (docs/time.md), and with them in the fit the
/// charges trade off against the per-visit ones from run to run. Other charges whose counts are zero
/// in every pass keep the prior model's value.
///
/// **Wall**: ``KSMDCostModel/hz`` is the host's (from `CONFIG_HZ`), and
/// ``KSMDCostModel/wakeLatencyNanos`` the candidate (0 to 2 ms) whose simulated passes come closest
/// to the kernel's wall time less the time ksmd waited on the run queue (the smallest mean
/// relative error): waiting behind other tasks is the machine's load, not ksmd's, and the model
/// describes an idle machine.
public enum CostModelFit {
    /// The fitted model; `prior` supplies the charges no pass exercised, and `hz`, `calibrated` and
    /// `machine` come from the arguments.
    /// - Throws: ``ScenarioError`` when a workload cannot be simulated, or there is no pass to fit.
    public static func fit(
        _ measurements: [CalibrationMeasurement], prior: KSMDCostModel, hz: Int, calibrated: String, machine: String
    ) throws(ScenarioError) -> KSMDCostModel {
        var model = prior
        model.hz = hz
        model.calibrated = calibrated
        model.machine = machine
        // The counts do not depend on the model: simulate once.
        var rows: [(counts: KSMDPathCounts, cpu: Double)] = []
        for m in measurements {
            let sim = try m.workload.simulate(model: model)
            for (s, k) in zip(sim, m.medianPasses) where k.cpuSeconds > 0 { rows.append((s.counts, k.cpuSeconds * 1e9)) }
        }
        guard !rows.isEmpty else { throw ScenarioError("calibrate: no pass with a CPU time to fit") }
        // Columns: batch, full_scan, then the paths.
        func features(_ c: KSMDPathCounts) -> [Double] {
            var c = c
            c[.newRmapItem] = 0  // charged with checksum_changed
            c[.stableTreeLevel] = 0  // not fitted (above)
            c[.unstableTreeLevel] = 0
            return [Double(c.batches), Double(c.fullScans)] + KSMDCostModel.Path.allCases.map { Double(c[$0]) }
        }
        let x = rows.map { features($0.counts) }
        let y = rows.map(\.cpu)
        let columns = x[0].count
        let used = (0..<columns).filter { j in x.contains { $0[j] > 0 } }
        let weighted = zip(x, y).map { row, v in used.map { row[$0] / v } }
        let solution = nonNegativeLeastSquares(weighted, [Double](repeating: 1, count: rows.count))
        for (k, j) in used.enumerated() {
            let v = solution[k]
            switch j {
            case 0: model.batchNanos = v
            case 1: model.fullScanNanos = v
            default: model.pageNanos[j - 2] = v
            }
        }
        model[.newRmapItem] = 0
        model[.stableTreeLevel] = 0
        model[.unstableTreeLevel] = 0
        if !used.contains(2 + KSMDCostModel.Path.zeroPageMerge.index) { model[.zeroPageMerge] = model[.stableTreeMerge] }
        // Wall: the wake latency, against the kernel's passes without their run-queue wait.
        var best = (error: Double.infinity, latency: 0.0)
        // Sleeps end on ticks, so the latency shifts every batch alike and a pass's length hardly
        // depends on it: it shows in the first pass (run=1 is not on a tick) and where it moves a
        // batch's end past a tick.
        for latency in [0.0, 20_000, 50_000, 100_000, 200_000, 400_000, 700_000, 1_000_000, 1_500_000, 2_000_000] {
            model.wakeLatencyNanos = latency
            var errors: [Double] = []
            for m in measurements {
                let sim = try m.workload.simulate(model: model)
                for (s, k) in zip(sim, m.medianPasses) where k.seconds - k.runQueueSeconds > 0 {
                    errors.append(abs(s.seconds / (k.seconds - k.runQueueSeconds) - 1))
                }
            }
            let e = errors.reduce(0, +) / Double(max(errors.count, 1))
            if e < best.error { best = (e, latency) }
        }
        model.wakeLatencyNanos = best.latency
        return model
    }

    /// The `x` ≥ 0 minimizing |A x − b|² (Lawson and Hanson's active set, small problems): the
    /// unconstrained solution over the free columns, moving back toward the last feasible point
    /// whenever a coefficient would go negative.
    static func nonNegativeLeastSquares(_ a: [[Double]], _ b: [Double]) -> [Double] {
        let n = a.first?.count ?? 0
        var x = [Double](repeating: 0, count: n)
        var free = Set<Int>()
        func gradient() -> [Double] {
            var w = [Double](repeating: 0, count: n)
            for (row, v) in zip(a, b) {
                var r = v
                for j in 0..<n { r -= row[j] * x[j] }
                for j in 0..<n { w[j] += row[j] * r }
            }
            return w
        }
        func solve(_ cols: [Int]) -> [Double]? {
            let m = cols.count
            var ata = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: m)
            for (row, v) in zip(a, b) {
                for (p, i) in cols.enumerated() {
                    for (q, j) in cols.enumerated() { ata[p][q] += row[i] * row[j] }
                    ata[p][m] += row[i] * v
                }
            }
            // Gaussian elimination with partial pivoting; a tiny ridge keeps it regular.
            for p in 0..<m { ata[p][p] += 1e-12 * max(ata[p][p], 1e-30) }
            for c in 0..<m {
                guard let pivot = (c..<m).max(by: { abs(ata[$0][c]) < abs(ata[$1][c]) }), abs(ata[pivot][c]) > 0 else {
                    return nil
                }
                ata.swapAt(c, pivot)
                for r in 0..<m where r != c {
                    let f = ata[r][c] / ata[c][c]
                    if f != 0 { for k in c...m { ata[r][k] -= f * ata[c][k] } }
                }
            }
            return (0..<m).map { ata[$0][m] / ata[$0][$0] }
        }
        for _ in 0..<(3 * n + 3) {
            let w = gradient()
            let candidates = (0..<n).filter { !free.contains($0) && w[$0] > 1e-12 }
            guard let j = candidates.max(by: { w[$0] < w[$1] }) else { break }
            free.insert(j)
            while true {
                let cols = free.sorted()
                guard let z = solve(cols) else {
                    free.remove(j)
                    break
                }
                if z.allSatisfy({ $0 > 0 }) {
                    for (k, c) in cols.enumerated() { x[c] = z[k] }
                    break
                }
                // Step from x toward z as far as stays feasible; drop the columns that reach 0.
                var alpha = 1.0
                for (k, c) in cols.enumerated() where z[k] <= 0 { alpha = min(alpha, x[c] / (x[c] - z[k])) }
                for (k, c) in cols.enumerated() { x[c] += alpha * (z[k] - x[c]) }
                for c in cols where x[c] <= 1e-15 {
                    x[c] = 0
                    free.remove(c)
                }
                if free.isEmpty { break }
            }
        }
        return x
    }
}
