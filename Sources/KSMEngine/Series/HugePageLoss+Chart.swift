extension HugePageLoss {
    /// A chart of ``points`` in MiB, one vertex per report: `AnonHugePages` summed over the
    /// processes, and the memory saved, `(pages_sharing + ksm_zero_pages) × 4 KiB`, on one axis, so
    /// that the huge pages lost read against the bytes saved in the same unit. Each report's dot
    /// has its exact numbers as a tooltip (`scan 2: AnonHugePages 2,048 kB`, `scan 2: saved 1,015
    /// pages (4,060 kB)`), the legend the last values.
    ///
    /// `ksmd-sim run --plot` stacks it under the counters' chart with
    /// ``SVGChart/stacked(_:width:panelHeight:sharedXAxis:)`` and a shared x axis. Between two
    /// reports the values are not known: the lines only join the reports' values (each a dot).
    /// With ``SVGChart/XAxis/seconds``, a report without a clock (``Report/simulatedSeconds`` `nil`)
    /// sits at 0.
    ///
    /// - Complexity: O(*n*) in the points.
    public func chart(title: String = "AnonHugePages against savings", xAxis: SVGChart.XAxis = .fullScans) -> SVGChart {
        func x(_ p: Point) -> Double { xAxis == .fullScans ? Double(p.fullScans) : p.seconds ?? 0 }
        func mib(kilobytes: Int) -> Double { Double(kilobytes) / 1024 }
        let pageKB = PageStore.pageSize / 1024
        // Okabe-Ito's black, which the counters' panel does not use, and vermillion, the colour of
        // pages_sharing there.
        var huge = SVGChart.Line(
            name: "AnonHugePages", points: points.map { (x($0), mib(kilobytes: $0.anonHugeKB)) }, joined: true)
        huge.style = ("#000000", nil)
        huge.tooltips = points.map { "\($0.label): AnonHugePages \(SVGChart.grouped($0.anonHugeKB)) kB" }
        var saved = SVGChart.Line(
            name: "saved", points: points.map { (x($0), mib(kilobytes: $0.savedPages * pageKB)) }, joined: true)
        saved.style = ("#D55E00", nil)
        saved.tooltips = points.map {
            "\($0.label): saved \(SVGChart.grouped($0.savedPages)) pages (\(SVGChart.grouped($0.savedPages * pageKB)) kB)"
        }
        let n = points.count
        var chart = SVGChart(
            title: title,
            subtitle:
                "at \(n == 1 ? "the report" : "each of the \(n) reports"): AnonHugePages summed over the processes; "
                + "saved = (pages_sharing + ksm_zero_pages) × 4 KiB",
            xTitle: xAxis == .fullScans ? "full scans" : "simulated time (s)", yTitle: "MiB", lines: [huge, saved])
        chart.xAxis = xAxis
        chart.legendNotes = [
            "last " + Self.mibText(mib(kilobytes: lastAnonHugeKB)), "last " + Self.mibText(mib(kilobytes: savedPages * pageKB)),
        ]
        return chart
    }

    /// `v` MiB to three significant digits (at least two decimals), trailing zeros dropped: "2 MiB",
    /// "3.97 MiB", "0.00391 MiB".
    static func mibText(_ v: Double) -> String {
        SVGChart.trimmed(v, decimals: max(2, SVGChart.significantDecimals(v, digits: 3))) + " MiB"
    }
}
