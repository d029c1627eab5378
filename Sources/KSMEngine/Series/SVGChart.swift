/// A line chart of a ``CounterSeries`` as a standalone SVG document: one line per counter of
/// ``CounterSeries/charted`` against full scans or simulated seconds, with nice-number ticks, light
/// gridlines, axis titles, a title and a legend to the right of the plot.
///
/// The lines join the samples with straight segments rather than steps: the kernel updates
/// `pages_shared` and friends page by page as the scan walks the mm_slots, so between two samples a
/// counter moved gradually, not at one instant. Every sample is one vertex of its counter's
/// `<polyline>`; with few samples each vertex also gets a dot, so a single sample still shows.
///
/// Pure string building, no Foundation.
public struct SVGChart: Sendable {
    /// What the horizontal axis counts.
    public enum XAxis: Sendable {
        /// The `full_scans` counter.
        case fullScans
        /// Simulated seconds since the start of the run.
        case seconds
    }

    /// One line (or set of markers) of a chart built from points rather than a counter series.
    public struct Line: Sendable {
        /// Its name, shown in the legend.
        public var name: String
        /// Its points, (x, y), drawn in order.
        public var points: [(x: Double, y: Double)]
        /// Whether the points are joined by a line; otherwise only markers show.
        public var joined: Bool
        /// Its colour and dash pattern; `nil` takes the palette's (``SVGChart/styles``) by the
        /// line's place.
        var style: (colour: String, dash: String?)?
        /// A tooltip per point (an SVG `<title>`): its points then always get dots, which carry
        /// them; `nil` for none.
        var tooltips: [String]?
        /// A line named `name` through `points`.
        public init(name: String, points: [(x: Double, y: Double)], joined: Bool) {
            self.name = name
            self.points = points
            self.joined = joined
        }
    }

    /// The chart's title.
    public var title: String
    /// The samples drawn.
    public var series: CounterSeries
    /// What the horizontal axis counts.
    public var xAxis: XAxis
    /// For a chart of points (``init(title:subtitle:xTitle:yTitle:lines:)``): its lines, axis
    /// titles and subtitle; `nil` for a chart of ``series``.
    var pointChart: (lines: [Line], xTitle: String, yTitle: String, subtitle: String)?
    /// For a chart of points: a note under each line's legend entry (its last value), where there
    /// is room; `nil` for none. A counter chart notes each counter's last value.
    var legendNotes: [String]?

    /// Colours of the Okabe-Ito palette (distinct under the common colour-vision deficiencies),
    /// with a dash pattern as a second cue, in ``CounterSeries/charted`` order.
    static let styles: [(colour: String, dash: String?)] = [
        ("#0072B2", nil),  // blue: pages_shared
        ("#D55E00", nil),  // vermillion: pages_sharing
        ("#009E73", nil),  // bluish green: pages_unshared
        ("#E69F00", "7 4"),  // orange: pages_volatile
        ("#CC79A7", "2 3"),  // reddish purple: ksm_zero_pages
    ]

    /// Samples get a dot when at least this many pixels apart on average (and a lone sample always).
    static let minDotSpacing = 12.0

    /// A chart of `series` titled `title`.
    public init(title: String, series: CounterSeries, xAxis: XAxis = .fullScans) {
        self.title = title
        self.series = series
        self.xAxis = xAxis
    }

    /// A chart of `lines` against a numeric x axis (a sweep's savings against ksmd's CPU time),
    /// with the same axes, ticks, palette and legend as a counter chart.
    public init(title: String, subtitle: String, xTitle: String, yTitle: String, lines: [Line]) {
        self.title = title
        self.series = CounterSeries()
        self.xAxis = .seconds
        pointChart = (lines, xTitle, yTitle, subtitle)
    }

    /// Several charts stacked in one SVG document, each `panelHeight` pixels high (nested `<svg>`
    /// elements), for a figure of related panels.
    ///
    /// With `sharedXAxis`, every panel's plot area spans the same pixels and its x axis the same
    /// range (from the smallest x of all panels to the largest), so that one vertical line meets
    /// the same x in every panel; the charts should then count x alike (``xAxis``, and for charts
    /// of points the same quantity).
    ///
    /// - Complexity: O(*n*) in the charts' points.
    public static func stacked(
        _ charts: [SVGChart], width: Int = 900, panelHeight: Int = 450, sharedXAxis: Bool = false
    ) -> String {
        let width = max(width, 200)
        let panelHeight = max(panelHeight, 150)
        let height = panelHeight * max(charts.count, 1)
        let shared =
            sharedXAxis ? charts.map { $0.layout(height: panelHeight).frame }.reduce(Frame?.none) { $0?.union($1) ?? $1 } : nil
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" "
        out += "width=\"\(width)\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(width) \(height)\">\n"
        for (i, chart) in charts.enumerated() {
            out += chart.render(width: width, height: panelHeight, y: i * panelHeight, frame: shared) + "\n"
        }
        return out + "</svg>"
    }

    /// The chart as an SVG document of `width` × `height` pixels (at least 200 × 150), with a
    /// `viewBox` of the same size.
    ///
    /// - Complexity: O(*n*) in the number of samples.
    public func render(width: Int = 900, height: Int = 500) -> String { render(width: width, height: height, y: nil) }

    /// Font sizes, in pixels.
    static let titleSize = 18.0
    static let labelSize = 12.0
    static let axisTitleSize = 13.0
    static let legendSize = 13.0
    /// The plot area's top, in pixels below the chart's.
    static let plotTop = 66.0

    /// The plot area's left edge and the legend's width (what the y labels and the legend need)
    /// and the range of the x values: the parts of a layout that stacked panels sharing their x
    /// axis make equal.
    struct Frame {
        var plotLeft: Double
        var legendWidth: Double
        /// The smallest and largest x, or `nil` with no points.
        var xRange: (lo: Double, hi: Double)?

        /// Room for both, and both ranges.
        func union(_ other: Frame) -> Frame {
            let range: (lo: Double, hi: Double)? =
                switch (xRange, other.xRange) {
                case (let a?, let b?): (lo: min(a.lo, b.lo), hi: max(a.hi, b.hi))
                case (let a?, nil): a
                case (nil, let b): b
                }
            return Frame(
                plotLeft: max(plotLeft, other.plotLeft), legendWidth: max(legendWidth, other.legendWidth), xRange: range)
        }
    }

    /// What the chart draws, and the vertical layout and room it needs before the x axis is laid
    /// out.
    struct Layout {
        var names: [String]
        /// Per line: its x and y values.
        var lineXs: [[Double]]
        var values: [[Double]]
        /// The counters' last values, exact (a Double would not hold Int.max).
        var lastCounts: [Int?]
        var joined: [Bool]
        var xs: [Double]
        var plotHeight: Double
        var yTicks: Ticks
        var frame: Frame
    }

    /// The chart's ``Layout`` in a panel `height` pixels high (at least 150).
    func layout(height: Int) -> Layout {
        let height = max(height, 150)
        let samples = series.samples
        let names = pointChart?.lines.map(\.name) ?? CounterSeries.charted
        let sampleXs: [Double] = samples.map { s in
            let x = xAxis == .fullScans ? Double(s.counters.fullScans) : s.seconds
            return x.isFinite ? x : 0
        }
        let lineXs: [[Double]] =
            pointChart?.lines.map { $0.points.map { $0.x.isFinite ? $0.x : 0 } } ?? names.map { _ in sampleXs }
        let values: [[Double]] =
            pointChart?.lines.map { $0.points.map { $0.y.isFinite ? $0.y : 0 } }
            ?? names.map { name in samples.map { s in Double(s.counters.fields.first { $0.0 == name }?.1 ?? 0) } }
        let lastCounts: [Int?] = names.map { name in samples.last.map { s in s.counters.fields.first { $0.0 == name }?.1 ?? 0 } }
        let joined = pointChart?.lines.map(\.joined) ?? names.map { _ in true }
        let xs = Array(lineXs.joined())
        let yIntegral = pointChart == nil

        // Vertical layout, then the y axis (its labels decide the left margin).
        let plotBottom = Double(height) - 58
        let plotHeight = max(plotBottom - Self.plotTop, 20)
        let allValues = values.joined()
        let yTicks = Ticks(
            lo: min(0, allValues.min() ?? 0), hi: max(0, allValues.max() ?? 0),
            target: max(2, Int(plotHeight / 48)), integral: yIntegral)
        let yLabelWidth = yTicks.labels.map { Self.textWidth($0, size: Self.labelSize) }.max() ?? 0

        let lastWidth =
            pointChart == nil
            ? lastCounts.map { Self.textWidth("last " + Self.compact($0 ?? 0), size: 11) }.max() ?? 0
            : legendNotes?.map { Self.textWidth($0, size: 11) }.max() ?? 0
        let legendWidth = 22 + 8 + max(lastWidth, names.map { Self.textWidth($0, size: Self.legendSize) }.max() ?? 0)
        let plotLeft = 18 + Self.axisTitleSize + 12 + yLabelWidth + 8
        let range: (lo: Double, hi: Double)? = xs.min().map { (lo: $0, hi: xs.max()!) }
        return Layout(
            names: names, lineXs: lineXs, values: values, lastCounts: lastCounts, joined: joined, xs: xs,
            plotHeight: plotHeight, yTicks: yTicks, frame: Frame(plotLeft: plotLeft, legendWidth: legendWidth, xRange: range))
    }

    /// The document, or with `y` a nested `<svg>` placed at that vertical offset; with `frame`, the
    /// plot area and x range of several panels (``stacked(_:width:panelHeight:sharedXAxis:)``)
    /// instead of the chart's own.
    func render(width: Int, height: Int, y offset: Int?, frame shared: Frame? = nil) -> String {
        let width = max(width, 200)
        let height = max(height, 150)
        let layout = layout(height: height)
        let frame = shared ?? layout.frame
        let (names, lineXs, values, lastCounts, joined, xs) =
            (layout.names, layout.lineXs, layout.values, layout.lastCounts, layout.joined, layout.xs)
        let isEmpty = xs.isEmpty
        let (titleSize, labelSize, axisTitleSize, legendSize) = (
            Self.titleSize, Self.labelSize, Self.axisTitleSize, Self.legendSize
        )
        let plotTop = Self.plotTop
        let plotHeight = layout.plotHeight
        let yTicks = layout.yTicks

        // The x axis, in the room the y labels and the legend leave.
        let legendWidth = frame.legendWidth
        let plotLeft = frame.plotLeft
        let plotRight = Double(width) - 24 - legendWidth - 24
        let plotWidth = max(plotRight - plotLeft, 20)

        var xTicks = Ticks(lo: 0, hi: 1, target: 2, integral: true)
        var target = max(2, Int(plotWidth / 70))
        while true {
            xTicks = Ticks(
                lo: frame.xRange?.lo ?? 0, hi: frame.xRange?.hi ?? 0, target: target, integral: xAxis == .fullScans)
            let widest = xTicks.labels.map { Self.textWidth($0, size: labelSize) }.max() ?? 0
            let spacing = plotWidth / Double(max(xTicks.values.count - 1, 1))
            if widest + 14 <= spacing || target <= 2 { break }
            target -= 1
        }
        func px(_ x: Double) -> Double { plotLeft + (x - xTicks.lo) / (xTicks.hi - xTicks.lo) * plotWidth }
        func py(_ y: Double) -> Double { plotTop + plotHeight - (y - yTicks.lo) / (yTicks.hi - yTicks.lo) * plotHeight }
        let c = Self.coordinate

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" " + (offset.map { "x=\"0\" y=\"\($0)\" " } ?? "")
        out += "width=\"\(width)\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(width) \(height)\" "
        out += "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"

        // Title and a one-line summary.
        out += "<text x=\"\(c(plotLeft))\" y=\"30\" font-size=\"\(c(titleSize))\" font-weight=\"bold\" fill=\"#222222\">"
        out += Self.escape(title) + "</text>\n"
        out += "<text x=\"\(c(plotLeft))\" y=\"50\" font-size=\"\(c(labelSize))\" fill=\"#666666\">"
        out += Self.escape(pointChart?.subtitle ?? summary(xs: xs)) + "</text>\n"

        // Gridlines, axes and tick labels.
        out += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for v in yTicks.values where v != yTicks.lo {
            out += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(py(v)))\" x2=\"\(c(plotLeft + plotWidth))\" y2=\"\(c(py(v)))\"/>\n"
        }
        for v in xTicks.values where v != xTicks.lo {
            out += "<line x1=\"\(c(px(v)))\" y1=\"\(c(plotTop))\" x2=\"\(c(px(v)))\" y2=\"\(c(plotTop + plotHeight))\"/>\n"
        }
        out += "</g>\n"
        out += "<g stroke=\"#444444\" stroke-width=\"1\">\n"
        out += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotTop))\" x2=\"\(c(plotLeft))\" y2=\"\(c(plotTop + plotHeight))\"/>\n"
        out += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotTop + plotHeight))\" "
        out += "x2=\"\(c(plotLeft + plotWidth))\" y2=\"\(c(plotTop + plotHeight))\"/>\n"
        for v in yTicks.values {
            out += "<line x1=\"\(c(plotLeft - 5))\" y1=\"\(c(py(v)))\" x2=\"\(c(plotLeft))\" y2=\"\(c(py(v)))\"/>\n"
        }
        for v in xTicks.values {
            let y0 = plotTop + plotHeight
            out += "<line x1=\"\(c(px(v)))\" y1=\"\(c(y0))\" x2=\"\(c(px(v)))\" y2=\"\(c(y0 + 5))\"/>\n"
        }
        out += "</g>\n"
        out += "<g font-size=\"\(c(labelSize))\" fill=\"#444444\">\n"
        for (v, label) in zip(yTicks.values, yTicks.labels) {
            out += "<text x=\"\(c(plotLeft - 8))\" y=\"\(c(py(v) + labelSize * 0.35))\" text-anchor=\"end\">"
            out += Self.escape(label) + "</text>\n"
        }
        for (v, label) in zip(xTicks.values, xTicks.labels) {
            out += "<text x=\"\(c(px(v)))\" y=\"\(c(plotTop + plotHeight + 8 + labelSize))\" text-anchor=\"middle\">"
            out += Self.escape(label) + "</text>\n"
        }
        out += "</g>\n"

        // Axis titles.
        let xTitle = pointChart?.xTitle ?? (xAxis == .fullScans ? "full scans" : "simulated time (s)")
        out += "<g font-size=\"\(c(axisTitleSize))\" fill=\"#222222\" text-anchor=\"middle\">\n"
        out += "<text x=\"\(c(plotLeft + plotWidth / 2))\" y=\"\(c(plotTop + plotHeight + 44))\">\(xTitle)</text>\n"
        let yTitleX = 18 + axisTitleSize
        let yTitleY = plotTop + plotHeight / 2
        out += "<text x=\"\(c(yTitleX))\" y=\"\(c(yTitleY))\" transform=\"rotate(-90 \(c(yTitleX)) \(c(yTitleY)))\">"
        out += Self.escape(pointChart?.yTitle ?? "pages (4 KiB)") + "</text>\n"
        out += "</g>\n"

        // The lines, then the dots on top.
        if isEmpty {
            out += "<text x=\"\(c(plotLeft + plotWidth / 2))\" y=\"\(c(plotTop + plotHeight / 2))\" "
            out += "font-size=\"16\" font-style=\"italic\" fill=\"#888888\" text-anchor=\"middle\">no samples</text>\n"
        }
        for (i, name) in names.enumerated() where !values[i].isEmpty {
            let style = self.style(i)
            let attribute = pointChart == nil ? "data-counter" : "data-line"
            out += "<g \(attribute)=\"\(Self.escape(name))\" stroke=\"\(style.colour)\" fill=\"\(style.colour)\">\n"
            if joined[i] {
                let points = zip(lineXs[i], values[i]).map { "\(c(px($0))),\(c(py($1)))" }.joined(separator: " ")
                out += "<polyline points=\"\(points)\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\""
                out += (style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>\n"
            }
            let n = values[i].count
            let tooltips = pointChart.flatMap { i < $0.lines.count ? $0.lines[i].tooltips : nil }
            if tooltips != nil || !joined[i] || n == 1 || plotWidth / Double(n - 1) >= Self.minDotSpacing {
                let r = joined[i] ? "2.5" : "4"
                for (k, (x, v)) in zip(lineXs[i], values[i]).enumerated() {
                    out += "<circle cx=\"\(c(px(x)))\" cy=\"\(c(py(v)))\" r=\"\(r)\" stroke=\"none\""
                    if let tooltips, k < tooltips.count {
                        out += "><title>\(Self.escape(tooltips[k]))</title></circle>\n"
                    } else {
                        out += "/>\n"
                    }
                }
            }
            out += "</g>\n"
        }

        // The legend, right of the plot: a swatch, the counter's name, and its last value when
        // there is room for it.
        let legendX = plotLeft + plotWidth + 24
        let rowHeight = max(18, min(40, (plotHeight + 40) / Double(names.count)))
        out += "<g font-size=\"\(c(legendSize))\">\n"
        for (i, name) in names.enumerated() {
            let style = self.style(i)
            let y = plotTop + 8 + Double(i) * rowHeight
            out += "<line x1=\"\(c(legendX))\" y1=\"\(c(y))\" x2=\"\(c(legendX + 22))\" y2=\"\(c(y))\" "
            out +=
                "stroke=\"\(style.colour)\" stroke-width=\"2.5\"" + (style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
                + "/>\n"
            out +=
                "<text x=\"\(c(legendX + 30))\" y=\"\(c(y + legendSize * 0.35))\" fill=\"#222222\">\(Self.escape(name))</text>\n"
            guard rowHeight >= 32 else { continue }
            let note: String
            if pointChart == nil {
                note = lastCounts[i].map { "last " + Self.compact($0) } ?? "no value"
            } else if let notes = legendNotes, i < notes.count {
                note = Self.escape(notes[i])
            } else {
                continue
            }
            out += "<text x=\"\(c(legendX + 30))\" y=\"\(c(y + 18))\" font-size=\"11\" fill=\"#777777\">\(note)</text>\n"
        }
        out += "</g>\n"
        out += "</svg>"
        return out
    }

    /// The colour and dash pattern of line `i`: its own (``Line``), or the palette's.
    func style(_ i: Int) -> (colour: String, dash: String?) {
        if let lines = pointChart?.lines, i < lines.count, let own = lines[i].style { return own }
        return Self.styles[i % Self.styles.count]
    }

    /// "N samples, full scans A–B, simulated time S–T s".
    func summary(xs: [Double]) -> String {
        let samples = series.samples
        guard let first = samples.first, let last = samples.last else { return "no samples" }
        func range(_ a: String, _ b: String) -> String { a == b ? a : a + "–" + b }
        let scans = range(Self.grouped(first.counters.fullScans), Self.grouped(last.counters.fullScans))
        let decimals = Self.significantDecimals(max(abs(first.seconds), abs(last.seconds)), digits: 3)
        let time = range(Self.trimmed(first.seconds, decimals: decimals), Self.trimmed(last.seconds, decimals: decimals))
        let n = samples.count
        return "\(n) sample\(n == 1 ? "" : "s"), full scan\(scans.contains("–") ? "s" : "") \(scans), simulated time \(time) s"
    }

    // MARK: Ticks

    /// An axis's domain and its ticks at 1, 2 or 5 × 10^k, with labels sharing one format.
    struct Ticks {
        var lo: Double
        var hi: Double
        var values: [Double]
        var labels: [String]

        /// About `target` intervals covering `lo...hi`; the domain ends on ticks. An `integral`
        /// axis steps by at least 1.
        init(lo: Double, hi: Double, target: Int, integral: Bool) {
            var lo = lo.isFinite ? lo : 0
            var hi = hi.isFinite ? hi : lo
            if lo > hi { swap(&lo, &hi) }
            // A span too small for the values' precision (or empty) widens around them; an axis
            // starting at 0 keeps starting there.
            if hi - lo <= max(abs(lo), abs(hi)) * 1e-9 {
                if lo >= 0 && lo < (integral ? 1 : 0.5) {
                    (lo, hi) = (0, 1)
                } else {
                    let d = max(integral ? 1 : 0, abs(lo) * 0.05)
                    (lo, hi) = (lo >= 0 ? max(0, lo - d) : lo - d, hi + d)
                }
            }
            // The nice step at or above span / target, or the one below it if that one's count of
            // intervals is nearer the target without leaving much more of the domain empty.
            let target = max(target, 1)
            let above = Self.niceStep((hi - lo) / Double(target))
            let below = above.0 == 1 ? (5, above.1 - 1) : (above.0 == 2 ? 1 : 2, above.1)
            func badness(_ s: (Int, Int)) -> Double {
                let step = Self.value(s.0, s.1)
                let intervals = (hi / step).rounded(.up) - (lo / step).rounded(.down)
                let empty = 1 - (hi - lo) / (intervals * step)
                return abs(intervals - Double(target)) / Double(target) + 2 * empty
            }
            var (m, k) = badness(below) < badness(above) ? below : above
            if integral && k < 0 { (m, k) = (1, 0) }
            let step = Self.value(m, k)
            let first = Int((lo / step).rounded(.down))
            let last = Int((hi / step).rounded(.up))
            values = (first...last).map { Self.value($0 * m, k) }
            self.lo = values.first!
            self.hi = values.last!

            // One format for the whole axis: plain with thousands separators below 10,000,
            // otherwise a k/M/G/T/P/E suffix.
            let biggest = max(abs(self.lo), abs(self.hi))
            var power = 0
            if biggest >= 10_000 {
                var scale = 1.0
                while power < 6 && scale * 1000 <= biggest {
                    scale *= 1000
                    power += 1
                }
            }
            let suffix = ["", "k", "M", "G", "T", "P", "E"][power]
            let decimals = max(0, 3 * power - k)
            labels = values.map { v in
                v == 0 ? "0" : SVGChart.fixed(v / Self.value(1, 3 * power), decimals: decimals) + suffix
            }
        }

        /// The smallest 1, 2 or 5 × 10^k at least `raw`, as (mantissa, k).
        static func niceStep(_ raw: Double) -> (Int, Int) {
            guard raw.isFinite, raw > 0 else { return (1, 0) }
            var k = 0
            var p = 1.0
            while p * 10 <= raw {
                p *= 10
                k += 1
            }
            while p > raw {
                k -= 1
                p = value(1, k)
            }
            for m in [1, 2, 5] where value(m, k) >= raw * (1 - 1e-12) { return (m, k) }
            return (1, k + 1)
        }

        /// m × 10^k, as exact as a double allows.
        static func value(_ m: Int, _ k: Int) -> Double {
            var p = 1.0
            for _ in 0..<abs(k) { p *= 10 }
            return k >= 0 ? Double(m) * p : Double(m) / p
        }
    }

    // MARK: Text

    /// `v` with `decimals` fractional digits and thousands separators.
    static func fixed(_ v: Double, decimals: Int) -> String {
        let scale = Ticks.value(1, decimals)
        let scaled = (abs(v) * scale).rounded()
        guard v.isFinite, scaled < 9e18 else { return "\(v)" }
        let n = Int(scaled)
        let unit = Int(scale)
        var s = (v < 0 && n != 0 ? "-" : "") + grouped(n / unit)
        if decimals > 0 {
            let frac = String(n % unit)
            s += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return s
    }

    /// The decimals that show `v` to `digits` significant digits (at most 9).
    static func significantDecimals(_ v: Double, digits: Int) -> Int {
        guard v.isFinite, v > 0 else { return 0 }
        var magnitude = 0  // floor(log10(v))
        var x = v
        while x >= 10 && magnitude < 400 {
            x /= 10
            magnitude += 1
        }
        while x < 1 && magnitude > -400 {
            x *= 10
            magnitude -= 1
        }
        return min(9, max(0, digits - 1 - magnitude))
    }

    /// ``fixed(_:decimals:)`` without trailing zeros after the point: 0.0600 is "0.06", 0.000 is "0".
    static func trimmed(_ v: Double, decimals: Int) -> String {
        var s = fixed(v, decimals: decimals)
        guard s.contains(".") else { return s }
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// `n` with thousands separators below ten million, else to three significant digits with a
    /// k/M/G/T/P/E suffix.
    static func compact(_ n: Int) -> String {
        guard n.magnitude >= 10_000_000 else { return grouped(n) }
        var scaled = Double(n.magnitude)
        var power = 0
        while scaled >= 999.5 && power < 6 {
            scaled /= 1000
            power += 1
        }
        let decimals = scaled < 9.995 ? 2 : (scaled < 99.95 ? 1 : 0)
        return (n < 0 ? "-" : "") + fixed(scaled, decimals: decimals) + ["", "k", "M", "G", "T", "P", "E"][power]
    }

    /// `n` with a comma every three digits.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var s = n < 0 ? "-" : ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { s.append(",") }
            s.append(d)
        }
        return s
    }

    /// A pixel coordinate with at most one decimal.
    static func coordinate(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e12 else { return "0" }
        let tenths = Int((v * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = tenths.magnitude
        return sign + String(a / 10) + (a % 10 == 0 ? "" : "." + String(a % 10))
    }

    /// An estimate of the rendered width of `s` in a sans-serif font of `size` pixels.
    static func textWidth(_ s: String, size: Double) -> Double {
        Double(s.count) * size * 0.62
    }

    /// `s` with XML's five special characters escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}
