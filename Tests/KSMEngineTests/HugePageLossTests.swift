import Testing

@testable import KSMEngine

/// Huge pages lost beside the bytes saved, read from reports alone: its numbers, its line, its
/// JSON and its chart.
@Suite struct HugePageLossTests {
    /// A report whose processes' VMAs hold `anonHugeKB` (one array per process), with the given
    /// counters; THP events only when `thp`.
    static func report(
        _ label: String, scans: Int, seconds: Double, anonHugeKB: [[Int]], sharing: Int, zero: Int, split: Int,
        thp: Bool = true
    ) -> Report {
        var ksm = KSMCounters()
        ksm.fullScans = scans
        ksm.pagesSharing = sharing
        ksm.ksmZeroPages = zero
        var events = THPEvents()
        events.splitPage = split
        let processes = anonHugeKB.enumerated().map { i, vmas in
            ProcessReport(
                name: "p\(i)", ksmStat: KSMStat(),
                vmas: vmas.enumerated().map { j, kb in
                    VMAReport(
                        start: j * 1024, end: j * 1024 + 1024, flags: ["rd", "wr"], ksmKB: 0, rssKB: thp ? 4096 : nil,
                        anonHugeKB: thp ? kb : nil)
                }, contentDigest: 0)
        }
        return Report(label: label, ksm: ksm, processes: processes, simulatedSeconds: seconds, thp: thp ? events : nil)
    }

    /// Three reports: 4, 2, then 1 huge page (two processes), savings growing to 1,024 pages.
    static let reports = [
        report("faulted", scans: 0, seconds: 0, anonHugeKB: [[4096, 2048], [2048]], sharing: 0, zero: 0, split: 0),
        report("scan 2", scans: 2, seconds: 0.5, anonHugeKB: [[2048, 0], [2048]], sharing: 600, zero: 3, split: 1),
        report("scan 5", scans: 5, seconds: 1.25, anonHugeKB: [[0, 0], [2048]], sharing: 1000, zero: 24, split: 3),
    ]

    /// AnonHugePages summed over the processes and VMAs of report `i`, and its saved pages.
    static func sums(_ i: Int) -> (kb: Int, saved: Int) {
        let r = reports[i]
        return (
            r.processes.reduce(0) { $0 + $1.vmas.reduce(0) { $0 + $1.anonHugeKB! } }, r.ksm.pagesSharing + r.ksm.ksmZeroPages
        )
    }

    @Test func numbersLineAndJSONComeFromTheReports() throws {
        let loss = try #require(HugePageLoss(Self.reports))
        let (first, last) = (Self.sums(0), Self.sums(2))
        #expect(loss.points.count == 3)
        #expect(loss.firstAnonHugeKB == first.kb && loss.lastAnonHugeKB == last.kb && first.kb == 8192 && last.kb == 2048)
        #expect(loss.hugePagesLost == (first.kb - last.kb) / 2048)
        #expect(loss.splitPage == Self.reports[2].thp!.splitPage)
        #expect(loss.savedPages == last.saved && loss.savedBytes == last.saved * 4096)
        #expect(
            loss.text
                == "huge pages: AnonHugePages 8192 kB (4 huge pages of 2 MiB) at the first report, 2048 kB (1) at the last: "
                + "3 lost, thp_split_page 3; saved 4194304 bytes")
        #expect(
            loss.json.serialized()
                == #"{"first_report":"faulted","anon_huge_kb_first":8192,"last_report":"scan 5","anon_huge_kb_last":2048,"#
                + #""huge_pages_lost":3,"thp_split_page":3,"saved_pages":1024,"saved_bytes":4194304}"#)
    }

    @Test func noneWithoutTHPOrReports() {
        #expect(HugePageLoss([]) == nil)
        let plain = Self.reports.map {
            Self.report($0.label, scans: 0, seconds: 0, anonHugeKB: [[0]], sharing: 0, zero: 0, split: 0, thp: false)
        }
        #expect(HugePageLoss(plain) == nil)
    }

    /// The chart's lines, read back from their pixels, are the reports' values in MiB; the
    /// tooltips carry them exactly, the legend the last ones.
    @Test(arguments: [SVGChart.XAxis.fullScans, .seconds])
    func chartDrawsEveryReportInMiB(xAxis: SVGChart.XAxis) throws {
        let loss = try #require(HugePageLoss(Self.reports))
        let svg = loss.chart(title: "t", xAxis: xAxis).render()
        SVGChartTests.checkDocument(svg)
        let values = SVGChartTests.plottedValues(svg)
        let huge = try #require(values["AnonHugePages"])
        let saved = try #require(values["saved"])
        #expect(huge.count == 3 && saved.count == 3)
        for (i, r) in Self.reports.enumerated() {
            let x = xAxis == .fullScans ? Double(r.ksm.fullScans) : r.simulatedSeconds!
            let (kb, pages) = Self.sums(i)
            // Coordinates are rounded to a tenth of a pixel: about 0.002 MiB on this 0-to-8 MiB axis.
            #expect(abs(huge[i].0 - x) < 0.01 && abs(huge[i].1 - Double(kb) / 1024) < 0.01, "\(huge[i])")
            #expect(abs(saved[i].0 - x) < 0.01 && abs(saved[i].1 - Double(pages) / 256) < 0.01, "\(saved[i])")
        }
        #expect(
            SVGChartTests.tooltips(svg, line: "AnonHugePages") == [
                "faulted: AnonHugePages 8,192 kB", "scan 2: AnonHugePages 4,096 kB", "scan 5: AnonHugePages 2,048 kB",
            ])
        #expect(
            SVGChartTests.tooltips(svg, line: "saved") == [
                "faulted: saved 0 pages (0 kB)", "scan 2: saved 603 pages (2,412 kB)", "scan 5: saved 1,024 pages (4,096 kB)",
            ])
        let texts = SVGChartTests.texts(svg)
        #expect(texts.contains("last 2 MiB") && texts.contains("last 4 MiB"), "\(texts)")
        #expect(texts.contains("MiB") && texts.contains(xAxis == .fullScans ? "full scans" : "simulated time (s)"))
        #expect(texts.contains { $0.hasPrefix("at each of the 3 reports: AnonHugePages summed over the processes") })
    }

    @Test func mibTextHasThreeSignificantDigits() {
        #expect(HugePageLoss.mibText(2) == "2 MiB")
        #expect(HugePageLoss.mibText(1016.0 / 256) == "3.97 MiB")
        #expect(HugePageLoss.mibText(1.0 / 256) == "0.00391 MiB")
        #expect(HugePageLoss.mibText(0) == "0 MiB")
        #expect(HugePageLoss.mibText(8192) == "8,192 MiB")
    }
}
