/// Huge pages lost beside the bytes KSM saved, for a run of a scenario with transparent huge pages
/// (``Scenario/thp``), read from its reports' own fields and nothing else: at every report the
/// processes' smaps `AnonHugePages` summed (``VMAReport/anonHugeKB``) and the pages saved
/// (`pages_sharing + ksm_zero_pages`), and at the last report `thp_split_page` (``THPEvents``, an
/// event count since the scenario began).
///
/// `ksmd-sim run` and `compare` print it as a line or a table (``text``), with `--json` as a
/// `"huge_pages"` object (``json``), and `run --plot` draws ``points`` as a panel under the
/// counters (``chart(title:xAxis:)``). Merging one subpage of a PMD-mapped huge page splits it
/// (`try_to_merge_one_page()` calls `split_huge_page()` in mm/ksm.c), so the two pull against each
/// other; docs/thp.md has the kernel's rules.
public struct HugePageLoss: Hashable, Sendable {
    /// 2 MiB, a PMD-mapped huge page, in kilobytes.
    public static let hugePageKB = 2048

    /// One report's numbers.
    public struct Point: Hashable, Sendable {
        /// The report's label.
        public var label: String
        /// The report's `simulated_seconds` (`nil` when the backend keeps no clock).
        public var seconds: Double?
        /// The report's `full_scans`.
        public var fullScans: Int
        /// smaps `AnonHugePages` summed over the report's processes and their VMAs, in kilobytes.
        public var anonHugeKB: Int
        /// The pages saved: `pages_sharing + ksm_zero_pages` of the report's counters.
        public var savedPages: Int
        /// The report's `thp_split_page`: huge pages split since the scenario began.
        public var splitPage: Int

        /// The numbers of `report`, or `nil` when it carries no THP events (a scenario without
        /// `"thp"`).
        public init?(_ report: Report) {
            guard let thp = report.thp else { return nil }
            label = report.label
            seconds = report.simulatedSeconds
            fullScans = report.ksm.fullScans
            anonHugeKB = report.processes.reduce(0) { $0 + $1.vmas.reduce(0) { $0 + ($1.anonHugeKB ?? 0) } }
            savedPages = report.ksm.pagesSharing + report.ksm.ksmZeroPages
            splitPage = thp.splitPage
        }
    }

    /// One point per report, in the run's order.
    public var points: [Point]

    /// The loss over `reports`, or `nil` when there are none or they carry no THP events (the
    /// scenario has no `"thp"`).
    ///
    /// - Complexity: O(VMAs) of all the reports.
    public init?(_ reports: [Report]) {
        var points: [Point] = []
        for r in reports {
            guard let p = Point(r) else { return nil }
            points.append(p)
        }
        guard !points.isEmpty else { return nil }
        self.points = points
    }

    /// `AnonHugePages` summed over the processes at the first report, in kilobytes.
    public var firstAnonHugeKB: Int { points[0].anonHugeKB }
    /// `AnonHugePages` summed over the processes at the last report, in kilobytes.
    public var lastAnonHugeKB: Int { points[points.count - 1].anonHugeKB }
    /// The last report's `thp_split_page`.
    public var splitPage: Int { points[points.count - 1].splitPage }
    /// The pages saved at the last report: `pages_sharing + ksm_zero_pages`.
    public var savedPages: Int { points[points.count - 1].savedPages }
    /// ``savedPages`` in bytes (4 KiB pages).
    public var savedBytes: Int { savedPages * PageStore.pageSize }

    /// Huge pages fewer at the last report than at the first (negative when more were faulted
    /// than lost).
    public var hugePagesLost: Int { (firstAnonHugeKB - lastAnonHugeKB) / Self.hugePageKB }

    /// One line: `huge pages: AnonHugePages A kB (N huge pages of 2 MiB) at the first report, B kB
    /// (M) at the last: L lost, thp_split_page S; saved X bytes`.
    public var text: String {
        "huge pages: AnonHugePages \(firstAnonHugeKB) kB (\(firstAnonHugeKB / Self.hugePageKB) huge pages of 2 MiB) at the first report, "
            + "\(lastAnonHugeKB) kB (\(lastAnonHugeKB / Self.hugePageKB)) at the last: \(hugePagesLost) lost, "
            + "thp_split_page \(splitPage); saved \(savedBytes) bytes"
    }

    /// The numbers of ``text`` as `--json` prints them: `first_report` and `last_report` (the
    /// reports' labels), `anon_huge_kb_first`, `anon_huge_kb_last`, `huge_pages_lost`,
    /// `thp_split_page`, `saved_pages` and `saved_bytes`.
    public var json: JSON {
        .object([
            ("first_report", .string(points[0].label)), ("anon_huge_kb_first", .int(firstAnonHugeKB)),
            ("last_report", .string(points[points.count - 1].label)), ("anon_huge_kb_last", .int(lastAnonHugeKB)),
            ("huge_pages_lost", .int(hugePagesLost)), ("thp_split_page", .int(splitPage)), ("saved_pages", .int(savedPages)),
            ("saved_bytes", .int(savedBytes)),
        ])
    }
}
