extension SweepResult {
    /// The points that no other point beats: ordered by ksmd CPU time, each saving more pages than
    /// every point that costs less CPU. These are the knob settings worth choosing from.
    ///
    /// - Complexity: O(*n* log *n*) in the points.
    public var frontier: [Point] {
        // Indices sorted by CPU, then by saved pages (most first). Written as plain loops: a
        // closure-heavy spelling of this getter crashed Swift 6.3.1's optimizer (CopyPropagation).
        var order: [Int] = []
        for i in points.indices where points[i].summary != nil { order.append(i) }
        order.sort { a, b in
            let x = points[a].summary!
            let y = points[b].summary!
            if x.ksmdCPUSeconds != y.ksmdCPUSeconds { return x.ksmdCPUSeconds < y.ksmdCPUSeconds }
            return x.savedPages > y.savedPages
        }
        var best = Int.min
        var out: [Point] = []
        for i in order {
            let saved = points[i].summary!.savedPages
            if saved > best {
                best = saved
                out.append(points[i])
            }
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
        // Plain loops over plain values: closures over the points' summaries crashed Swift 6.3.1's
        // optimizer (CopyPropagation) in release builds.
        var ran: [(rules: String, cpu: Double, saved: Double, to90: Double?)] = []
        for p in points {
            guard case .summary(let s) = p.outcome else { continue }
            ran.append((p.point.rules, s.ksmdCPUSeconds, Double(s.savedPages), s.secondsTo90PercentSavings))
        }
        func lines(savings: Bool) -> [SVGChart.Line] {
            var out: [SVGChart.Line] = []
            for rules in grid.rules {
                var xy: [(x: Double, y: Double)] = []
                for r in ran where r.rules == rules {
                    if savings {
                        xy.append((r.cpu, r.saved))
                    } else if let t = r.to90 {
                        xy.append((r.cpu, t))
                    }
                }
                out.append(SVGChart.Line(name: rules, points: xy, joined: false))
            }
            return out
        }
        var frontierPoints: [(x: Double, y: Double)] = []
        for p in frontier {
            guard case .summary(let s) = p.outcome else { continue }
            frontierPoints.append((s.ksmdCPUSeconds, Double(s.savedPages)))
        }
        let frontierLine = SVGChart.Line(name: "frontier", points: frontierPoints, joined: true)
        let failed = points.count - ran.count
        let note = "\(ran.count) point\(ran.count == 1 ? "" : "s")" + (failed > 0 ? ", \(failed) failed" : "")
        let savings = SVGChart(
            title: title, subtitle: "saved pages (pages_sharing + ksm_zero_pages) at the end of each run; \(note)",
            xTitle: "ksmd CPU (s)", yTitle: "saved pages", lines: lines(savings: true) + [frontierLine])
        let time = SVGChart(
            title: "time to 90% of the final savings",
            subtitle: "simulated seconds until the saved pages first reached 90% of their final value",
            xTitle: "ksmd CPU (s)", yTitle: "seconds", lines: lines(savings: false))
        return SVGChart.stacked([savings, time])
    }
}
