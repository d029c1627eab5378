import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Writes text to a file, or exits with one line.
func writeFile(_ path: String, _ text: String) throws {
    guard let f = fopen(path, "wb") else {
        printError("cannot write \(path): \(String(cString: strerror(errno)))")
        throw errno == EACCES ? Exit.noPermission : Exit.cannotCreate
    }
    var t = text
    let ok = t.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
    if fclose(f) != 0 || !ok {
        printError("cannot write \(path): \(String(cString: strerror(errno)))")
        throw Exit.cannotCreate
    }
}

/// A progress bar on stderr, shown only when stderr is a terminal and the run has taken more than a
/// second.
final class ProgressBar {
    private let enabled = isatty(2) == 1
    private let start = ProgressBar.now()
    private var shown = false
    private var lastDraw = 0.0

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(_ done: Int, _ total: Int, _ label: String = "steps") {
        guard enabled, total > 0 else { return }
        let t = Self.now()
        guard t - start > 1, t - lastDraw > 0.1 else { return }
        lastDraw = t
        shown = true
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        var line = "\r[\(bar)] \(done)/\(total) \(label)"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    func finish() {
        guard shown else { return }
        var clear = "\r" + String(repeating: " ", count: 60) + "\r"
        clear.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// A report without its per-process tables: the global counters and the processes' totals, for
/// `--summary`.
struct ReportSummary {
    var report: Report

    init(_ report: Report) { self.report = report }

    /// Live processes, their VMAs, and their `ksm_stat` fields summed.
    var totals: [(String, Int)] {
        let p = report.processes
        return [
            ("processes", p.count), ("vmas", p.reduce(0) { $0 + $1.vmas.count }),
            ("mergeable_vmas", p.reduce(0) { $0 + $1.vmas.filter { $0.flags.contains("mg") }.count }),
            ("ksm_rmap_items", p.reduce(0) { $0 + $1.ksmStat.rmapItems }),
            ("ksm_merging_pages", p.reduce(0) { $0 + $1.ksmStat.mergingPages }),
            ("ksm_zero_pages", p.reduce(0) { $0 + $1.ksmStat.zeroPages }),
            ("ksm_process_profit", p.reduce(0) { $0 + $1.ksmStat.processProfit }),
        ]
    }

    var text: String {
        var out = "== \(report.label)\(report.timeText)\n"
        if let k = report.knobs { out += Report.knobsText(k) }
        out += "ksm: " + report.ksm.fields.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
        let t = totals
        out += "\(t[0].1) live process\(t[0].1 == 1 ? "" : "es"), summed: "
        out += t.dropFirst().map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
        return out
    }

    var json: JSON {
        var members: [(String, JSON)] = [("label", .string(report.label))] + report.timeMembers
        if let k = report.knobs { members.append(("knobs", Report.knobsJSON(k))) }
        members.append(("ksm", .object(report.ksm.fields.map { ($0.0, .int($0.1)) })))
        members.append(("process_totals", .object(totals.map { ($0.0, .int($0.1)) })))
        return .object(members)
    }
}
