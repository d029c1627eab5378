/// What a simulator run ends with besides its reports: whether and when the merge counters
/// converged, the savings and when they arrived, and what ksmd cost.
public struct RunSummary: Hashable, Sendable {
    /// Whether the merge counters settled (``CounterSeries/Convergence``).
    public var convergence: CounterSeries.Convergence
    /// Full scans ksmd completed during the run.
    public var fullScansCompleted: Int
    /// The pages saved at the end: `pages_sharing + ksm_zero_pages` (``CounterSeries/savedPages``).
    public var savedPages: Int
    /// `general_profit` at the end: bytes saved less the rmap items' memory.
    public var generalProfit: Int
    /// When the saved pages first reached half their final value (`nil`: nothing saved).
    public var secondsTo50PercentSavings: Double?
    /// When the saved pages first reached 90% of their final value (`nil`: nothing saved).
    public var secondsTo90PercentSavings: Double?
    /// Simulated seconds of the whole run.
    public var simulatedSeconds: Double
    /// ksmd's CPU time over the run, in simulated seconds.
    public var ksmdCPUSeconds: Double

    /// A summary of `series`, with the run's clock and ksmd's CPU time.
    ///
    /// - Complexity: O(*n*) in the series' merge points.
    public init(series: CounterSeries, simulatedSeconds: Double, ksmdCPUSeconds: Double, generalProfit: Int) {
        convergence = series.convergence
        fullScansCompleted = series.completedScans
        savedPages = series.savedPages
        self.generalProfit = generalProfit
        secondsTo50PercentSavings = series.secondsToSave(fraction: 0.5)
        secondsTo90PercentSavings = series.secondsToSave(fraction: 0.9)
        self.simulatedSeconds = simulatedSeconds
        self.ksmdCPUSeconds = ksmdCPUSeconds
    }

    /// Simulated seconds until the merge counters converged, or `nil`
    /// (``CounterSeries/convergedAtSeconds``).
    public var convergedAtSeconds: Double? { convergence.atSeconds }

    /// ksmd's CPU time over the run's simulated time (0 for a run of no time).
    public var ksmdCPUShare: Double { simulatedSeconds > 0 ? ksmdCPUSeconds / simulatedSeconds : 0 }

    /// The summary as `--json` prints it.
    public var json: JSON {
        func seconds(_ t: Double?) -> JSON { t.map { .double($0) } ?? .null }
        var lastChange: Double?
        switch convergence {
        case .notConverged(let t): lastChange = t
        case .converged(let t): lastChange = t
        default: break
        }
        return .object([
            ("convergence", .string(convergence.name)),
            ("time_to_converge_seconds", seconds(convergedAtSeconds)),
            ("merge_counters_settled_seconds", seconds(lastChange)),
            ("full_scans_completed", .int(fullScansCompleted)),
            ("saved_pages", .int(savedPages)),
            ("general_profit", .int(generalProfit)),
            ("time_to_50_percent_savings_seconds", seconds(secondsTo50PercentSavings)),
            ("time_to_90_percent_savings_seconds", seconds(secondsTo90PercentSavings)),
            ("simulated_seconds", .double(simulatedSeconds)),
            ("ksmd_cpu_seconds", .double(ksmdCPUSeconds)),
            ("ksmd_cpu_share", .double(ksmdCPUShare)),
        ])
    }

    /// Reads a summary back from ``json``.
    /// - Throws: ``ScenarioError`` naming the first field that is missing or of the wrong type.
    public init(json: JSON) throws(ScenarioError) {
        func number(_ key: String) throws(ScenarioError) -> Double? {
            switch json[key] {
            case .double(let d)?: return d
            case .int(let n)?: return Double(n)
            case .null?: return nil
            default: throw ScenarioError("summary: \"\(key)\" must be a number or null")
            }
        }
        func required(_ key: String) throws(ScenarioError) -> Double {
            guard let v = try number(key) else { throw ScenarioError("summary: \"\(key)\" is missing") }
            return v
        }
        func integer(_ key: String) throws(ScenarioError) -> Int {
            guard case .int(let n)? = json[key] else { throw ScenarioError("summary: \"\(key)\" must be an integer") }
            return n
        }
        guard case .string(let name)? = json["convergence"] else {
            throw ScenarioError("summary: \"convergence\" must be a string")
        }
        let settled = try number("merge_counters_settled_seconds")
        switch (name, settled) {
        case ("no_full_scan", nil): convergence = .noFullScan
        case ("one_full_scan", nil): convergence = .oneFullScan
        case ("not_converged", let t?): convergence = .notConverged(lastChangeSeconds: t)
        case ("converged", let t?): convergence = .converged(atSeconds: t)
        default: throw ScenarioError("summary: convergence \"\(name)\" does not go with merge_counters_settled_seconds")
        }
        fullScansCompleted = try integer("full_scans_completed")
        savedPages = try integer("saved_pages")
        generalProfit = try integer("general_profit")
        secondsTo50PercentSavings = try number("time_to_50_percent_savings_seconds")
        secondsTo90PercentSavings = try number("time_to_90_percent_savings_seconds")
        simulatedSeconds = try required("simulated_seconds")
        ksmdCPUSeconds = try required("ksmd_cpu_seconds")
    }

    /// The summary as one line of text.
    public var text: String {
        let s = NumberText.seconds
        var out: String
        switch convergence {
        case .noFullScan: out = "no full scan completed"
        case .oneFullScan:
            out = "one full scan completed, too few to tell (a page merges at the earliest in the second full scan that sees it)"
        case .notConverged(let t):
            out =
                "not converged: the merge counters changed at \(s(t)) s, within the last two of \(fullScansCompleted) full scans"
        case .converged(let t):
            out = "converged after \(s(t)) simulated seconds (the merge counters kept their values over the last two full scans)"
        }
        out += "; saved \(savedPages) pages"
        if let a = secondsTo50PercentSavings, let b = secondsTo90PercentSavings {
            out += " (50% after \(s(a)) s, 90% after \(s(b)) s)"
        }
        out +=
            "; ksmd used \(NumberText.percent(ksmdCPUShare, decimals: 2)) of a CPU (\(s(ksmdCPUSeconds)) s) over \(s(simulatedSeconds)) simulated seconds"
        return out
    }
}
