/// The results of a sweep, or of one shard of it: the grid and, per point, its knobs, rule set and
/// run summary (or the one-line error that ended its run).
///
/// As JSON (``json``): `{"grid": {...}, "points": [{"index": 0, "knobs": {...}, "rules": "...",
/// "summary": {...}}, ...]}`, points in index order; a failed point has `"error"` instead of
/// `"summary"`. Shards of one grid join with ``merge(_:)`` into what the whole sweep gives.
public struct SweepResult: Hashable, Sendable {
    /// What happened at one point.
    public enum Outcome: Hashable, Sendable {
        /// The run's summary.
        case summary(RunSummary)
        /// The one-line error that ended the run.
        case failed(String)
    }

    /// One point's result.
    public struct Point: Hashable, Sendable {
        /// The point (index, knobs, rule set).
        public var point: SweepPoint
        /// Its summary or error.
        public var outcome: Outcome
        /// A result for `point`.
        public init(point: SweepPoint, outcome: Outcome) {
            self.point = point
            self.outcome = outcome
        }
        /// The summary, if the point ran to its end.
        public var summary: RunSummary? {
            if case .summary(let s) = outcome { return s }
            return nil
        }
    }

    /// The grid the points belong to.
    public var grid: SweepGrid
    /// The points run, in index order.
    public private(set) var points: [Point]

    /// Results for `points` of `grid`, sorted by index.
    /// - Throws: ``SweepError`` when a point is not the grid's (index out of range, other knobs or
    ///   rule set) or appears twice.
    public init(grid: SweepGrid, points: [Point]) throws(SweepError) {
        self.grid = grid
        self.points = points.sorted { $0.point.index < $1.point.index }
        for (a, b) in zip(self.points, self.points.dropFirst()) where a.point.index == b.point.index {
            throw SweepError("point \(a.point.index) appears twice")
        }
        for p in self.points {
            guard try grid.point(p.point.index) == p.point else {
                throw SweepError("point \(p.point.index) has other knobs or rules than the grid's")
            }
        }
    }

    /// Whether every point of the grid is here.
    public var isComplete: Bool { points.count == grid.count }

    /// Whether a point failed.
    public var hasFailures: Bool { points.contains { $0.summary == nil } }

    /// Joins shards of one sweep into one result: the same grid, no point twice, every point of the
    /// grid present. The result's ``json`` is what the whole sweep prints.
    /// - Throws: ``SweepError`` for no input, different grids, a point twice, or points missing
    ///   (named, up to ten).
    public static func merge(_ parts: [SweepResult]) throws(SweepError) -> SweepResult {
        guard let first = parts.first else { throw SweepError("nothing to merge") }
        guard parts.allSatisfy({ $0.grid == first.grid }) else { throw SweepError("the files are slices of different grids") }
        let merged = try SweepResult(grid: first.grid, points: parts.flatMap(\.points))
        guard merged.isComplete else {
            let have = Set(merged.points.map(\.point.index))
            let missing = (0..<first.grid.count).lazy.filter { !have.contains($0) }
            let shown = missing.prefix(10).map(String.init).joined(separator: ", ")
            throw SweepError(
                "\(first.grid.count - have.count) of \(first.grid.count) points missing (\(shown)\(missing.count > 10 ? ", ..." : ""))"
            )
        }
        return merged
    }

    /// The result as `sweep --json` prints it.
    public var json: JSON {
        .object([
            ("grid", grid.json),
            (
                "points",
                .array(
                    points.map { p in
                        var members: [(String, JSON)] = [
                            ("index", .int(p.point.index)), ("knobs", p.point.knobsJSON), ("rules", .string(p.point.rules)),
                        ]
                        switch p.outcome {
                        case .summary(let s): members.append(("summary", s.json))
                        case .failed(let e): members.append(("error", .string(e)))
                        }
                        return .object(members)
                    })
            ),
        ])
    }

    /// Reads a result back from ``json`` (a file `sweep --json` wrote).
    /// - Throws: ``SweepError`` naming what is malformed.
    public init(json: JSON) throws(SweepError) {
        guard let g = json["grid"], case .array(let ps)? = json["points"] else {
            throw SweepError("not sweep output: expected {\"grid\": ..., \"points\": [...]}")
        }
        let grid = try SweepGrid(json: g)
        var points: [Point] = []
        for p in ps {
            guard case .int(let index)? = p["index"] else { throw SweepError("a point has no integer \"index\"") }
            let point = try grid.point(index)
            let outcome: Outcome
            if let s = p["summary"] {
                do { outcome = .summary(try RunSummary(json: s)) } catch { throw SweepError("point \(index): \(error)") }
            } else if case .string(let e)? = p["error"] {
                outcome = .failed(e)
            } else {
                throw SweepError("point \(index) has neither \"summary\" nor \"error\"")
            }
            guard p["knobs"] == point.knobsJSON, p["rules"] == .string(point.rules) else {
                throw SweepError("point \(index) has other knobs or rules than the grid's")
            }
            points.append(Point(point: point, outcome: outcome))
        }
        try self.init(grid: grid, points: points)
    }

    /// The columns of ``csv`` after the index, rule set and knobs.
    public static let csvColumns = [
        "convergence", "time_to_converge_seconds", "time_to_50_percent_savings_seconds", "time_to_90_percent_savings_seconds",
        "saved_pages", "general_profit", "full_scans_completed", "simulated_seconds", "ksmd_cpu_seconds", "ksmd_cpu_share",
        "error",
    ]

    /// One row per point: `index,rules,KNOB...,convergence,...,error` (empty cells for null, the
    /// error quoted).
    public var csv: String {
        var out = (["index", "rules"] + grid.knobs.map(\.knob) + Self.csvColumns).joined(separator: ",") + "\n"
        for p in points {
            var row = ["\(p.point.index)", Self.csvField(p.point.rules)] + p.point.knobs.map { $0.value.sysfsText }
            if let s = p.summary {
                let j = s.json
                row += Self.csvColumns.dropLast().map { name in
                    switch j[name] {
                    case .string(let t)?: t
                    case .int(let n)?: "\(n)"
                    case .double(let d)?: "\(d)"
                    default: ""
                    }
                }
                row.append("")
            } else if case .failed(let e) = p.outcome {
                row += Array(repeating: "", count: Self.csvColumns.count - 1) + [Self.csvField(e)]
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    /// `s`, quoted as RFC 4180 wants when it holds a comma, quote or line break.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A table for the terminal: one line per point.
    public var text: String {
        let header =
            ["#", "rules"] + grid.knobs.map(\.knob) + [
                "saved pages", "converged (s)", "50% (s)", "90% (s)", "ksmd CPU (s)", "CPU share",
            ]
        func t(_ d: Double?) -> String { d.map(NumberText.seconds) ?? "-" }
        let rows = points.map { p -> [String] in
            let head = ["\(p.point.index)", p.point.rules] + p.point.knobs.map { $0.value.sysfsText }
            guard let s = p.summary else {
                if case .failed(let e) = p.outcome { return head + ["error: " + e, "", "", "", "", ""] }
                return head
            }
            let converged = s.convergedAtSeconds.map { t($0) } ?? s.convergence.name.replacingAll("_", with: " ")
            return head + [
                "\(s.savedPages)", converged, t(s.secondsTo50PercentSavings), t(s.secondsTo90PercentSavings),
                t(s.ksmdCPUSeconds), NumberText.percent(s.ksmdCPUShare, decimals: 2),
            ]
        }
        return TextTable.render(header: header, rows: rows)
    }
}

extension String {
    /// `self` with every `target` replaced by `replacement` (no Foundation).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
