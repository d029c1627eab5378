extension SweepResult {
    /// The points that no other point beats: ordered by ksmd CPU time, each saving more pages than
    /// every point that costs less CPU. These are the knob settings worth choosing from.
    ///
    /// - Complexity: O(*n* log *n*) in the points.
    public var frontier: [Point] {
        let ran = points.compactMap { p in p.summary.map { (p, $0) } }.sorted {
            $0.1.ksmdCPUSeconds != $1.1.ksmdCPUSeconds
                ? $0.1.ksmdCPUSeconds < $1.1.ksmdCPUSeconds : $0.1.savedPages > $1.1.savedPages
        }
        var best = Int.min
        var out: [Point] = []
        for (p, s) in ran where s.savedPages > best {
            best = s.savedPages
            out.append(p)
        }
        return out
    }

    /// The sweep as an SVG figure of two panels against ksmd's CPU seconds: the saved pages of
    /// every point (markers, one colour per rule set, the same in both panels) with the frontier as
    /// a line drawn over them, and each point's time to 90% of its final savings (points that
    /// saved nothing are left out).
    ///
    /// - Complexity: O(*n* log *n*) in the points.
    public func chart(title: String) -> String {
        let ran = points.compactMap { p in p.summary.map { (p.point.rules, $0) } }
        func lines(_ y: (RunSummary) -> Double?) -> [SVGChart.Line] {
            grid.rules.map { rules in
                SVGChart.Line(
                    name: rules,
                    points: ran.filter { $0.0 == rules }.compactMap { r in y(r.1).map { (x: r.1.ksmdCPUSeconds, y: $0) } },
                    joined: false)
            }
        }
        let frontierLine = SVGChart.Line(
            name: "frontier", points: frontier.compactMap { $0.summary.map { (x: $0.ksmdCPUSeconds, y: Double($0.savedPages)) } },
            joined: true)
        let failed = points.count - ran.count
        let note = "\(ran.count) point\(ran.count == 1 ? "" : "s")" + (failed > 0 ? ", \(failed) failed" : "")
        let savings = SVGChart(
            title: title, subtitle: "saved pages (pages_sharing + ksm_zero_pages) at the end of each run; \(note)",
            xTitle: "ksmd CPU (s)", yTitle: "saved pages", lines: lines { Double($0.savedPages) } + [frontierLine])
        let time = SVGChart(
            title: "time to 90% of the final savings",
            subtitle: "simulated seconds until the saved pages first reached 90% of their final value",
            xTitle: "ksmd CPU (s)", yTitle: "seconds", lines: lines { $0.secondsTo90PercentSavings })
        return SVGChart.stacked([savings, time])
    }
}
