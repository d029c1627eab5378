import Testing

@testable import KSMEngine

/// The SVG line chart of a counter series: a standalone, well-formed document with one line per
/// charted counter, nice ticks and escaped text, whatever the series looks like.
@Suite struct SVGChartTests {
    /// 30 full scans, two seconds each: pages_shared rises to 800 then stays, pages_sharing climbs
    /// to 12,000, pages_unshared falls as pages merge, pages_volatile spikes early, no zero pages.
    static func realisticSeries() -> CounterSeries {
        var series = CounterSeries()
        for scan in 0...30 {
            var c = KSMCounters()
            c.fullScans = scan
            c.pagesShared = min(800, scan * 100)
            c.pagesSharing = min(12_000, scan * scan * 150)
            c.pagesUnshared = max(1_500, 16_000 - scan * 1_100)
            let spike = [0, 3_000, 5_200, 2_400, 700, 150]
            c.pagesVolatile = scan < spike.count ? spike[scan] : 0
            series.append(.init(seconds: Double(scan) * 2.0, counters: c))
        }
        return series
    }

    static func series(_ values: [(fullScans: Int, shared: Int, sharing: Int)]) -> CounterSeries {
        var series = CounterSeries()
        for (i, v) in values.enumerated() {
            var c = KSMCounters()
            c.fullScans = v.fullScans
            c.pagesShared = v.shared
            c.pagesSharing = v.sharing
            series.append(.init(seconds: Double(i), counters: c))
        }
        return series
    }

    // MARK: A tiny XML checker

    /// Nil when every tag of `svg` is closed in order, the text holds no raw `<` and every `&`
    /// starts one of XML's five entities; otherwise what is wrong.
    static func wellFormednessProblem(_ svg: String) -> String? {
        var stack: [String] = []
        var i = svg.startIndex
        while i < svg.endIndex {
            let ch = svg[i]
            if ch == "&" {
                let rest = svg[i...]
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(where: { rest.hasPrefix($0) }) {
                    return "bare & at \(svg.distance(from: svg.startIndex, to: i))"
                }
            }
            guard ch == "<" else {
                i = svg.index(after: i)
                continue
            }
            guard let close = svg[i...].firstIndex(of: ">") else { return "unterminated tag" }
            let tag = svg[svg.index(after: i)..<close]
            if tag.contains("<") { return "raw < inside \(tag)" }
            if tag.hasPrefix("/") {
                let name = String(tag.dropFirst())
                guard stack.popLast() == name else { return "</\(name)> closes nothing open" }
            } else if !tag.hasSuffix("/") {
                let name = String(tag.prefix { $0 != " " && $0 != "\n" })
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) else { return "bad tag <\(tag)>" }
                stack.append(name)
            }
            i = svg.index(after: close)
        }
        return stack.isEmpty ? nil : "unclosed \(stack)"
    }

    /// Each polyline's points, in order.
    static func polylines(_ svg: String) -> [[(Double, Double)]] {
        svg.split(separator: "<polyline points=\"").dropFirst().map { chunk in
            chunk.prefix { $0 != "\"" }.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
        }
    }

    /// The texts of the `<text>` elements.
    static func texts(_ svg: String) -> [String] {
        svg.split(separator: "<text").dropFirst().map { chunk in
            let body = chunk.drop { $0 != ">" }.dropFirst()
            return String(body.prefix { $0 != "<" })
        }
    }

    static func checkDocument(_ svg: String) {
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("viewBox=\"0 0 "))
        #expect(svg.hasSuffix("</svg>"))
        #expect(wellFormednessProblem(svg) == nil, "\(wellFormednessProblem(svg) ?? "")")
    }

    // MARK: The document

    @Test(arguments: [SVGChart.XAxis.fullScans, .seconds])
    func realisticChartIsAWellFormedDocument(xAxis: SVGChart.XAxis) {
        let svg = SVGChart(title: "merge 16k pages", series: Self.realisticSeries(), xAxis: xAxis).render()
        Self.checkDocument(svg)
        #expect(svg.contains("width=\"900\" height=\"500\" viewBox=\"0 0 900 500\""))
        let texts = Self.texts(svg)
        #expect(texts.contains("merge 16k pages"))
        #expect(texts.contains(xAxis == .fullScans ? "full scans" : "simulated time (s)"))
        #expect(texts.contains("pages (4 KiB)"))
    }

    @Test func legendNamesEveryChartedCounter() {
        let texts = Self.texts(SVGChart(title: "t", series: Self.realisticSeries()).render())
        for name in CounterSeries.charted { #expect(texts.contains(name), "\(name) missing from the legend") }
        #expect(texts.contains("last 12,000"))
        // ksm_zero_pages is 0 throughout and still has its entry.
        #expect(texts.contains("ksm_zero_pages") && texts.contains("last 0"))
    }

    @Test func onePolylinePerCounterWithOnePointPerSample() {
        let series = Self.realisticSeries()
        let svg = SVGChart(title: "t", series: series).render(width: 1200, height: 700)
        let lines = Self.polylines(svg)
        #expect(lines.count == CounterSeries.charted.count)
        for line in lines {
            #expect(line.count == series.samples.count)
            // Within the viewBox, left to right.
            #expect(line.allSatisfy { $0.0 >= 0 && $0.0 <= 1200 && $0.1 >= 0 && $0.1 <= 700 })
            #expect(zip(line, line.dropFirst()).allSatisfy { $0.0 < $1.0 })
        }
        for name in CounterSeries.charted { #expect(svg.contains("data-counter=\"\(name)\"")) }
        // Bigger values sit higher (smaller y): pages_unshared starts highest, and pages_sharing
        // ends above pages_shared.
        let line = { (name: String) in lines[CounterSeries.charted.firstIndex(of: name)!] }
        #expect(lines.joined().allSatisfy { $0.1 >= line("pages_unshared")[0].1 })
        #expect(line("pages_sharing").last!.1 < line("pages_shared").last!.1)
    }

    /// The subtitle shows the simulated time to three significant digits: a 0.06 s run is not
    /// "0.0 s".
    @Test(arguments: [
        (0.0, 0.06, "0–0.06"), (0.0, 0.100901, "0–0.101"), (0.5, 30.017, "0.5–30"), (1.25, 1.25, "1.25"),
        (2.0, 1234.5, "2–1,235"),
    ])
    func subtitleTimeHasSignificantDigits(first: Double, last: Double, shown: String) {
        var series = CounterSeries()
        for (i, t) in [first, last].enumerated() {
            var c = KSMCounters()
            c.fullScans = i
            series.append(.init(seconds: t, counters: c))
        }
        let texts = Self.texts(SVGChart(title: "t", series: series).render())
        #expect(texts.contains { $0.hasSuffix("simulated time \(shown) s") }, "\(texts)")
    }

    // MARK: Edge cases

    @Test func emptySeriesRendersAnEmptyChart() {
        let svg = SVGChart(title: "nothing yet", series: CounterSeries()).render()
        Self.checkDocument(svg)
        #expect(Self.texts(svg).contains("no samples"))
        #expect(Self.polylines(svg).isEmpty)
        for name in CounterSeries.charted { #expect(Self.texts(svg).contains(name)) }
    }

    @Test(arguments: [0, 7])
    func singleSampleRendersAPointPerCounter(fullScans: Int) {
        let svg = SVGChart(title: "one", series: Self.series([(fullScans, 10, 90)])).render()
        Self.checkDocument(svg)
        let lines = Self.polylines(svg)
        #expect(lines.count == CounterSeries.charted.count && lines.allSatisfy { $0.count == 1 })
        #expect(svg.contains("<circle"), "a lone sample needs a dot to be seen")
    }

    @Test func allZeroValuesGetAUnitRange() {
        let ticks = SVGChart.Ticks(lo: 0, hi: 0, target: 6, integral: true)
        #expect(ticks.lo == 0 && ticks.hi == 1 && ticks.labels == ["0", "1"])
        let svg = SVGChart(title: "zeros", series: Self.series([(0, 0, 0), (1, 0, 0), (2, 0, 0)])).render()
        Self.checkDocument(svg)
        #expect(Self.polylines(svg).allSatisfy { $0.count == 3 })
    }

    @Test func hugeValuesUseSuffixes() {
        let svg = SVGChart(title: "huge", series: Self.series([(0, 0, 0), (1, Int.max / 4, Int.max)])).render()
        Self.checkDocument(svg)
        let texts = Self.texts(svg)
        #expect(texts.contains { $0.hasSuffix("E") }, "\(texts)")
        #expect(texts.contains("last 9.22E"))
        #expect(Self.polylines(svg).allSatisfy { $0.count == 2 })
    }

    @Test func smallCanvasStillRenders() {
        Self.checkDocument(SVGChart(title: "tiny", series: Self.realisticSeries()).render(width: 10, height: 10))
    }

    @Test func textIsEscaped() {
        let svg = SVGChart(title: "a <b> & \"c\" 'd'", series: Self.realisticSeries()).render()
        Self.checkDocument(svg)
        #expect(svg.contains("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"))
        #expect(!svg.contains("<b>"))
    }

    // MARK: Charts of points

    static func pointChart() -> SVGChart {
        SVGChart(
            title: "savings & CPU", subtitle: "3 points", xTitle: "ksmd CPU (s)", yTitle: "saved pages",
            lines: [
                .init(name: "linux-6.17", points: [(0.2, 100), (0.9, 400), (8.1, 400)], joined: false),
                .init(name: "frontier", points: [(0.2, 100), (0.9, 400)], joined: true),
            ])
    }

    @Test func pointChartDrawsMarkersAndJoinedLines() {
        let svg = Self.pointChart().render()
        Self.checkDocument(svg)
        let texts = Self.texts(svg)
        for t in ["savings &amp; CPU", "3 points", "ksmd CPU (s)", "saved pages", "linux-6.17", "frontier"] {
            #expect(texts.contains(t), "\(t) missing")
        }
        // Only the joined line is a polyline; the markers are circles, one per point.
        let lines = Self.polylines(svg)
        #expect(lines.count == 1 && lines[0].count == 2)
        #expect(svg.contains("data-line=\"linux-6.17\"") && svg.contains("data-line=\"frontier\""))
        #expect(svg.ranges(of: "<circle").count == 3 + 2)
        // Fractional x ticks: CPU seconds are not whole.
        #expect(!texts.contains { $0.hasPrefix("last ") })
    }

    @Test func stackedChartsAreOneDocumentWithAPanelEach() {
        let svg = SVGChart.stacked(
            [Self.pointChart(), SVGChart(title: "t", series: Self.realisticSeries())], width: 800, panelHeight: 400)
        Self.checkDocument(svg)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"800\""))
        #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" x=\"0\" y=\"0\" width=\"800\" height=\"400\""))
        #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" x=\"0\" y=\"400\" width=\"800\" height=\"400\""))
        #expect(Self.polylines(svg).count == 1 + CounterSeries.charted.count)
    }

    /// Stacked panels sharing their x axis: the plot areas span the same pixels and carry the same x
    /// ticks, from the smallest x of all panels to the largest, though the panels' y labels,
    /// legends and x ranges differ; without sharing they do not.
    @Test func stackedPanelsCanShareTheirXAxis() {
        var below = SVGChart(
            title: "b", subtitle: "s", xTitle: "full scans", yTitle: "y",
            lines: [.init(name: "a much longer legend entry", points: [(0, 1), (40, 2_000_000)], joined: true)])
        below.xAxis = .fullScans
        let top = SVGChart(title: "t", series: Self.realisticSeries())
        let shared = SVGChart.stacked([top, below], sharedXAxis: true)
        Self.checkDocument(shared)
        let panels = Self.panels(shared)
        #expect(panels.count == 2)
        let frames = panels.map(Self.plotFrame)
        #expect(frames[0].count == 2 && frames[0] == frames[1], "\(frames)")
        let ticks = panels.map { Self.axisTicks($0).x.map(\.label) }
        #expect(ticks[0] == ticks[1] && ticks[0].first == "0" && ticks[0].last == "40", "\(ticks)")
        // Each panel alone: different frames and ranges (scans 0 to 30 above).
        let apart = Self.panels(SVGChart.stacked([top, below])).map { (Self.plotFrame($0), Self.axisTicks($0).x.last?.label) }
        #expect(apart[0].0 != apart[1].0 && apart[0].1 == "30" && apart[1].1 == "40")
        // The counters keep their values: read back from the pixels, pages_sharing ends at 12,000.
        let sharing = Self.plottedValues(panels[0])["pages_sharing"] ?? []
        #expect(sharing.count == 31 && abs(sharing.last!.1 - 12_000) < 100 && abs(sharing.last!.0 - 30) < 0.1)
    }

    // MARK: Unchanged output

    /// Charts without a shared x axis are byte for byte what they were before panels could share
    /// one: the files in Tests/Charts were rendered by the SVGChart.swift of commit 448247c,
    /// compiled alone with these series. (A deliberate change of style regenerates them.)
    @Test(arguments: ["counters-scans", "counters-seconds", "stacked-points-and-counters"])
    func chartsAreByteIdenticalToTheirGoldenFiles(name: String) throws {
        let svg =
            switch name {
            case "counters-scans": SVGChart(title: "merge 16k pages", series: Self.realisticSeries()).render()
            case "counters-seconds":
                SVGChart(title: "merge 16k pages", series: Self.realisticSeries(), xAxis: .seconds).render()
            default: SVGChart.stacked([Self.pointChart(), SVGChart(title: "t", series: Self.realisticSeries())])
            }
        let golden = try ProcFiles.read(packageRoot + "/Tests/Charts/\(name).svg").get()
        #expect(svg == golden)
    }

    // MARK: Reading a chart back

    /// The nested `<svg>` panels of a stacked figure, each from its opening tag on.
    static func panels(_ svg: String) -> [String] {
        // The document's own tag comes first.
        svg.split(separator: "<svg xmlns=").dropFirst().map(String.init)
    }

    /// The plot area's left and right edges: the x axis line's ends.
    static func plotFrame(_ panel: String) -> [Double] {
        guard let axes = panel.split(separator: "<g stroke=\"#444444\" stroke-width=\"1\">\n").dropFirst().first,
            let xAxisLine = axes.split(separator: "\n").dropFirst().first
        else { return [] }
        return ["x1", "x2"].compactMap { attribute(String(xAxisLine), $0).flatMap(Double.init) }
    }

    /// The value of `name="..."` in a tag.
    static func attribute(_ tag: String, _ name: String) -> String? {
        guard let r = tag.firstRange(of: " \(name)=\"") else { return nil }
        return String(tag[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The tick labels of both axes with their pixel positions (x ticks at their centre, y ticks
    /// at their value's height).
    static func axisTicks(_ panel: String) -> (x: [(pixel: Double, label: String)], y: [(pixel: Double, label: String)]) {
        guard let group = panel.split(separator: "<g font-size=\"12\" fill=\"#444444\">\n").dropFirst().first else {
            return ([], [])
        }
        var x: [(Double, String)] = []
        var y: [(Double, String)] = []
        for line in group.split(separator: "\n") {
            guard line.hasPrefix("<text") else { break }
            let tag = String(line.prefix { $0 != ">" })
            let label = String(line.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" })
            if tag.contains("text-anchor=\"middle\""), let px = attribute(tag, "x").flatMap(Double.init) {
                x.append((px, label))
            } else if let py = attribute(tag, "y").flatMap(Double.init) {
                y.append((py - 12 * 0.35, label))
            }
        }
        return (x, y)
    }

    /// A tick label's number: thousands separators dropped, k/M/G suffixes applied.
    static func number(_ label: String) -> Double? {
        var text = label.filter { $0 != "," }
        var scale = 1.0
        if let last = text.last, let i = ["k", "M", "G", "T"].firstIndex(of: String(last)) {
            text.removeLast()
            for _ in 0...i { scale *= 1000 }
        }
        return Double(text).map { $0 * scale }
    }

    /// Every line's points read back from its pixels through the axes' first and last ticks, by its
    /// `data-counter` or `data-line` name (to within a tenth of a pixel's worth of the values).
    static func plottedValues(_ panel: String) -> [String: [(Double, Double)]] {
        let ticks = axisTicks(panel)
        func scale(_ t: [(pixel: Double, label: String)]) -> ((Double) -> Double)? {
            guard let a = t.first, let b = t.last, let va = number(a.label), let vb = number(b.label), a.pixel != b.pixel
            else { return nil }
            return { va + ($0 - a.pixel) / (b.pixel - a.pixel) * (vb - va) }
        }
        guard let fx = scale(ticks.x), let fy = scale(ticks.y) else { return [:] }
        var out: [String: [(Double, Double)]] = [:]
        for chunk in panel.split(separator: "<g data-").dropFirst() {
            let tag = String(chunk.prefix { $0 != ">" })
            guard let name = attribute(" " + tag, tag.hasPrefix("counter") ? "counter" : "line"),
                let body = chunk.split(separator: "</g>").first
            else { continue }
            out[name] = polylines(String(body)).first?.map { (fx($0.0), fy($0.1)) } ?? []
        }
        return out
    }

    /// The tooltips (`<title>` inside a `<circle>`) of the line named `name`, in order.
    static func tooltips(_ panel: String, line name: String) -> [String] {
        guard let chunk = panel.split(separator: "<g data-line=\"\(name)\"").dropFirst().first,
            let body = chunk.split(separator: "</g>").first
        else { return [] }
        return body.split(separator: "<circle").dropFirst().compactMap { c in
            guard let t = c.split(separator: "<title>").dropFirst().first else { return nil }
            return String(t.prefix { $0 != "<" })
        }
    }

    // MARK: Ticks and numbers

    @Test(arguments: [
        (0.0, 12_000.0, true), (0, 1, true), (0, 30, true), (3, 4, true), (0, 7, true), (0, 61.5, false),
        (0.2, 0.9, false), (1_000_000, 1_000_003, true), (-250, 4_000, true), (0, 9.3e18, true), (5, 5, false),
        (1e-6, 3e-6, false),
    ])
    func ticksAreNiceAndCoverTheRange(lo: Double, hi: Double, integral: Bool) {
        let t = SVGChart.Ticks(lo: lo, hi: hi, target: 6, integral: integral)
        #expect(t.values.count >= 2 && t.values.count <= 12, "\(t.values)")
        #expect(t.lo <= lo && t.hi >= hi && t.lo == t.values.first && t.hi == t.values.last)
        let step = t.values[1] - t.values[0]
        // step = m × 10^k with m in 1, 2, 5.
        var mantissa = step
        while mantissa >= 10 * (1 - 1e-9) { mantissa /= 10 }
        while mantissa < 1 * (1 - 1e-9) { mantissa *= 10 }
        #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-6 }, "step \(step)")
        if integral { #expect(step >= 1) }
        for (a, b) in zip(t.values, t.values.dropFirst()) { #expect(abs((b - a) - step) <= step * 1e-9) }
        #expect(t.values.allSatisfy { abs($0 / step - ($0 / step).rounded()) < 1e-6 })
        #expect(Set(t.labels).count == t.labels.count, "labels must differ: \(t.labels)")
    }

    @Test func tickLabels() {
        #expect(
            SVGChart.Ticks(lo: 0, hi: 12_000, target: 6, integral: true).labels == ["0", "2k", "4k", "6k", "8k", "10k", "12k"])
        #expect(
            SVGChart.Ticks(lo: 0, hi: 3_000, target: 6, integral: true).labels == [
                "0", "500", "1,000", "1,500", "2,000", "2,500", "3,000",
            ])
        #expect(SVGChart.Ticks(lo: 0, hi: 1_500_000, target: 3, integral: true).labels == ["0", "0.5M", "1.0M", "1.5M"])
        #expect(
            SVGChart.Ticks(lo: 0, hi: 1.1, target: 6, integral: false).labels == ["0", "0.2", "0.4", "0.6", "0.8", "1.0", "1.2"])
        #expect(SVGChart.Ticks(lo: 0, hi: 60, target: 6, integral: true).labels == ["0", "10", "20", "30", "40", "50", "60"])
    }

    @Test func numberFormatting() {
        #expect(SVGChart.grouped(0) == "0")
        #expect(SVGChart.grouped(999) == "999")
        #expect(SVGChart.grouped(1_234_567) == "1,234,567")
        #expect(SVGChart.grouped(-1_000) == "-1,000")
        #expect(SVGChart.grouped(Int.min) == "-9,223,372,036,854,775,808")
        #expect(SVGChart.fixed(1234.56, decimals: 1) == "1,234.6")
        #expect(SVGChart.fixed(-0.04, decimals: 1) == "0.0")
        #expect(SVGChart.fixed(0.05, decimals: 2) == "0.05")
        #expect(SVGChart.compact(9_999_999) == "9,999,999" && SVGChart.compact(12_345_678) == "12.3M")
        #expect(SVGChart.compact(-Int.max) == "-9.22E" && SVGChart.compact(999_600_000) == "1.00G")
        #expect(SVGChart.coordinate(12.34) == "12.3" && SVGChart.coordinate(-3) == "-3")
    }
}
