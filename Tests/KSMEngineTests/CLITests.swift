import Glibc
import Testing

@testable import KSMEngine

/// `ksmd-sim` as its users meet it: the built binary run with arguments, its exit status and
/// output lines checked.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct CLITests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// A running `ksmd-sim`, its output going to temporary files.
    struct Child {
        var pid: pid_t
        var paths: [String]

        func read(_ i: Int) -> String { (try? ProcFiles.read(paths[i]).get()) ?? "" }

        /// Waits for its end; its exit status (128 + N when killed by signal N) and output.
        func wait() -> Outcome {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            defer { for p in paths { unlink(p) } }
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return Outcome(status: code, stdout: read(0), stderr: read(1))
        }
    }

    /// Starts `ksmd-sim ARGS`, stdin from /dev/null, stdout and stderr to temporary files.
    static func start(_ args: [String]) throws -> Child {
        var paths: [String] = []
        for _ in 0..<2 {
            var template = Array("/tmp/ksmd-sim-cli-XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            try #require(fd >= 0)
            close(fd)
            paths.append(String(cString: template))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, paths[0], O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, paths[1], O_WRONLY | O_TRUNC, 0)
        let exe = FuzzTests.ksmdSim!
        var argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, exe, &actions, nil, &argv, environ) == 0)
        return Child(pid: pid, paths: paths)
    }

    /// Runs `ksmd-sim ARGS` to its end.
    static func ksmdSim(_ args: [String]) throws -> Outcome { try start(args).wait() }

    /// The path of a file of `examples/`.
    static func example(_ name: String) -> String { packageRoot + "/examples/" + name }

    /// Writes `text` to a temporary `.json` file and returns its path.
    static func scenarioFile(_ text: String) throws -> String {
        var template = Array("/tmp/ksmd-sim-cli-XXXXXX.json".utf8CString)
        let fd = mkstemps(&template, 5)
        try #require(fd >= 0)
        var t = text
        _ = t.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(cString: template)
    }

    // MARK: Subcommands

    @Test func unknownSubcommandListsTheSubcommands() throws {
        let r = try Self.ksmdSim(["frobnicate"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        let line = String(r.stderrLines.first ?? "")
        #expect(line.hasPrefix("ksmd-sim: unknown subcommand \"frobnicate\""))
        for name in ["demo", "run", "compare", "kernel", "estimate", "random", "bench", "soak"] {
            #expect(line.contains(name), "\(name) missing from: \(line)")
        }
        #expect(!line.contains("Usage: ksmd-sim demo"))
    }

    @Test func noArgumentsStillRunsTheDemo() throws {
        let r = try Self.ksmdSim([])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ksmd-sim demonstration"))
        #expect(r.stdout.contains("linux-6.17"))
        #expect(r.stderr.isEmpty)
    }

    // MARK: Numbers

    /// A negative (or zero) number gets a line saying what is wrong, not "Missing value" (a
    /// leading "-" read as a flag).
    @Test(arguments: [
        (["bench", "--pages", "-1"], "bench: --pages must be between 1 and 268435456, got -1"),
        (["bench", "--threads", "-2"], "bench: --threads must be between 1 and 256, got -2"),
        (["bench", "--repeat", "-1"], "bench: --repeat must be between 1 and 1000, got -1"),
        (["bench", "--poll-sleep-us", "-1"], "bench: --poll-sleep-us must be between 0 and 1000000, got -1"),
        (["bench", "--duplicate-ratio", "-0.5"], "bench: --duplicate-ratio must be at least 0 and below 1, got -0.5"),
        (["estimate", "--pid", "-1"], "estimate: --pid must be a positive number, got -1"),
        (["estimate", "--pid", "1", "--memory-budget-mib", "-1"], "estimate: --memory-budget-mib must be between 1 and"),
        (["run", "x.json", "--memory-budget-mib", "-5"], "run: --memory-budget-mib must be between 1 and"),
        (["random", "--steps", "-3"], "random: --steps must be between 1 and 100000, got -3"),
        (["random", "--seed", "-1"], "it must be an integer from 0 to 18446744073709551615"),
        (["soak", "--operations", "-1"], "soak: --operations must be a positive number, got -1"),
        (["soak", "--seed", "-9"], "it must be an integer from 0 to 18446744073709551615"),
    ])
    func negativeNumbersSayWhatIsWrong(args: [String], message: String) throws {
        let r = try Self.ksmdSim(args)
        #expect(r.status == 64)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Missing value"))
    }

    // MARK: Scenario errors

    /// The error line of a failed scenario names its file, whatever the library's message.
    @Test(arguments: [
        (#"{"ksm": {"max_page_sharing": 1}, "steps": [{"op": "spawn", "process": "a"}]}"#, "\"ksm\""),
        (#"{"steps": [{"op": "spawn", "process": "a"}, {"op": "ksm", "pages_to_scan": -1}]}"#, "step 1"),
        (#"{"steps": [{"op": "spawn", "process": "a"}, {"op": "ksm", "max_page_sharing": 1}]}"#, "step 1 (ksm)"),
    ])
    func failedScenarioNamesItsFile(text: String, fragment: String) throws {
        let path = try Self.scenarioFile(text)
        defer { unlink(path) }
        for command in [["run", path], ["compare", path, "--rules", "linux-6.17"]] {
            let r = try Self.ksmdSim(command)
            #expect(r.status == 65)
            #expect(r.stderrLines.count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("ksmd-sim: \(path): "), "\(r.stderr)")
            #expect(r.stderr.contains(fragment), "\(r.stderr)")
        }
    }

    // MARK: Rule sets

    @Test func estimateTakesRuleSetFilesLikeCompare() throws {
        // A small process of our own to estimate.
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { for a in argv { free(a) } }
        try #require(posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ) == 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let file = try Self.ksmdSim(["estimate", "--pid", "\(pid)", "--rules", Self.example("custom-rules.json")])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout.hasPrefix("KSM estimate: 1 process, rules pfnmap-allowed-early-files"), "\(file.stdout)")
        let compare = try Self.ksmdSim([
            "compare", Self.example("custom-rules.json"), "--rules", Self.example("custom-rules.json"),
        ])
        #expect(compare.status == 0)
        #expect(compare.stdout.contains("pfnmap-allowed-early-files"))
        for command in [
            ["estimate", "--pid", "\(pid)", "--rules", "no-such-rules"],
            ["compare", Self.example("fork-cow.json"), "--rules", "no-such-rules"],
        ] {
            let r = try Self.ksmdSim(command)
            #expect(r.status == 64)
            #expect(r.stderrLines.count == 1)
            #expect(
                r.stderr.contains("unknown rule set \"no-such-rules\": not a built-in name (linux-6.17, linux-6.4) nor a file"))
        }
    }

    // MARK: Output

    @Test func summaryLeavesOutThePerReportTables() throws {
        let full = try Self.ksmdSim(["run", Self.example("fleet-convergence.json")])
        let r = try Self.ksmdSim(["run", Self.example("fleet-convergence.json"), "--summary"])
        #expect(r.status == 0 && full.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 6, "\(r.stdout)")
        #expect(lines.contains("knobs: run 1, pages_to_scan 100, sleep_millisecs 20"), "the knobs at the report")
        #expect(!lines.contains { $0.hasPrefix("process ") || $0.hasPrefix("  pages") })
        #expect(lines.first == "simulator, rules linux-6.17; 2 reports, the last:")
        #expect(lines.contains { $0.hasPrefix("50 live processes, summed: vmas 50, mergeable_vmas 50, ksm_rmap_items 25600") })
        #expect(lines.last?.hasPrefix("converged after ") == true)
        // The counters are the full output's last report's.
        let fullKSM = full.stdout.split(separator: "\n").filter { $0.hasPrefix("ksm: ") }
        #expect(lines.filter { $0.hasPrefix("ksm: ") } == [fullKSM.last])
        #expect(full.stdout.split(separator: "\n").count > 5 * lines.count)

        let compare = try Self.ksmdSim([
            "compare", Self.example("fleet-vmas.json"), "--rules", "linux-6.4,linux-6.17", "--summary",
        ])
        #expect(compare.status == 0)
        #expect(compare.stdout.contains("all processes"))
        #expect(!compare.stdout.contains("process "))
    }

    /// For a scenario with transparent huge pages, `run` (with and without `--summary`) and
    /// `compare` end with the huge pages lost beside the bytes saved, and the numbers are the
    /// reports' own: AnonHugePages summed over the processes at the first report and the last,
    /// the last report's thp_split_page, and (pages_sharing + ksm_zero_pages) * 4096.
    @Test func thpRunsSayHugePagesLostBesideBytesSaved() throws {
        let file = packageRoot + "/Tests/Scenarios/thp-ksm-split.json"
        let j = try Self.ksmdSim(["run", file, "--json"])
        #expect(j.status == 0, "\(j.stderr)")
        let reports = try Self.reports(JSON.parse(j.stdout))
        let first = try THPReport(#require(reports.first))
        let last = try THPReport(#require(reports.last))
        let firstKB = first.anonHugeKB
        let lastKB = last.anonHugeKB
        let split = last.splitPage
        let saved = last.savedPages * 4096
        // The scenario does lose huge pages to merging: the line has something to say.
        #expect(firstKB > lastKB && split > 0 && saved > 0)
        let expected =
            "huge pages: AnonHugePages \(firstKB) kB (\(firstKB / 2048) huge pages of 2 MiB) at the first report, "
            + "\(lastKB) kB (\(lastKB / 2048)) at the last: \((firstKB - lastKB) / 2048) lost, "
            + "thp_split_page \(split); saved \(saved) bytes"
        for args in [["run", file], ["run", file, "--summary"]] {
            let r = try Self.ksmdSim(args)
            #expect(r.status == 0)
            #expect(r.stdout.split(separator: "\n").last.map(String.init) == expected, "\(args): \(r.stdout)")
        }
        let compare = try Self.ksmdSim(["compare", file, "--rules", "linux-6.4,linux-6.17", "--summary"])
        #expect(compare.status == 0)
        let row = "\(firstKB)  \(lastKB)  \((firstKB - lastKB) / 2048)  \(split)  \(saved)"
        #expect(
            compare.stdout.split(separator: "\n").filter {
                $0.split(separator: " ").filter { !$0.isEmpty }.dropFirst().joined(separator: "  ") == row
            }.count == 2, "\(compare.stdout)")
        // A scenario without huge pages has no such line.
        let plain = try Self.ksmdSim(["run", Self.example("fork-cow.json")])
        #expect(plain.status == 0 && !plain.stdout.contains("huge pages"))
    }

    // MARK: THP output: the plot's panel and the JSON fields

    /// An integer of a parsed JSON value.
    static func int(_ v: JSON?) throws -> Int {
        guard case .int(let n)? = v else { throw ScenarioError("not an integer: \(String(describing: v))") }
        return n
    }

    /// The members' names of a parsed JSON object.
    static func keys(_ v: JSON?) -> [String] {
        guard case .object(let m)? = v else { return [] }
        return m.map(\.0)
    }

    /// What a THP report says, from its JSON: label, full_scans, simulated_seconds, AnonHugePages
    /// summed over the processes' VMAs, saved pages (pages_sharing + ksm_zero_pages) and
    /// thp_split_page.
    struct THPReport {
        var label: String
        var fullScans: Int
        var seconds: Double
        var anonHugeKB: Int
        var savedPages: Int
        var splitPage: Int

        init(_ r: JSON) throws {
            guard case .string(let l)? = r["label"], case .double(let t)? = r["simulated_seconds"],
                case .object(let processes)? = r["processes"]
            else { throw ScenarioError("not a report: \(r)") }
            label = l
            seconds = t
            fullScans = try CLITests.int(r["ksm"]?["full_scans"])
            anonHugeKB = 0
            for (_, p) in processes {
                guard case .array(let vmas)? = p["vmas"] else { throw ScenarioError("no vmas") }
                for v in vmas { anonHugeKB += try CLITests.int(v["anon_huge_kb"]) }
            }
            savedPages = try CLITests.int(r["ksm"]?["pages_sharing"]) + CLITests.int(r["ksm"]?["ksm_zero_pages"])
            splitPage = try CLITests.int(r["thp"]?["thp_split_page"])
        }
    }

    /// The reports of a `--json` output (`{"reports": [...]}`) or of one run of `compare --json`.
    static func reports(_ v: JSON?) throws -> [JSON] {
        guard case .array(let a)? = v?["reports"] else { throw ScenarioError("no reports") }
        return a
    }

    /// `"huge_pages"` as the reports say it must be: the first and last reports' labels and summed
    /// AnonHugePages, the huge pages between them, the last report's thp_split_page and saved
    /// pages, those in bytes.
    static func expectedHugePages(_ reports: [JSON]) throws -> JSON {
        let (first, last) = (try THPReport(reports.first!), try THPReport(reports.last!))
        return .object([
            ("first_report", .string(first.label)), ("anon_huge_kb_first", .int(first.anonHugeKB)),
            ("last_report", .string(last.label)), ("anon_huge_kb_last", .int(last.anonHugeKB)),
            ("huge_pages_lost", .int((first.anonHugeKB - last.anonHugeKB) / 2048)), ("thp_split_page", .int(last.splitPage)),
            ("saved_pages", .int(last.savedPages)), ("saved_bytes", .int(last.savedPages * 4096)),
        ])
    }

    /// `run --json`, `run --summary --json`, `compare --json` and `compare --summary --json` of a
    /// THP scenario carry `"huge_pages"` after everything else, its numbers the reports' own.
    @Test func thpJSONCarriesTheHugePagesLostFromTheReports() throws {
        let file = packageRoot + "/Tests/Scenarios/thp-ksm-split.json"
        let run = try Self.ksmdSim(["run", file, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let full = try JSON.parse(run.stdout)
        let expected = try Self.expectedHugePages(Self.reports(full))
        #expect(Self.keys(full) == ["reports", "summary", "huge_pages"])
        #expect(full["huge_pages"] == expected, "\(full["huge_pages"]?.serialized() ?? "none")")
        // The scenario loses huge pages and saves pages: the numbers have something to say.
        #expect(try Self.int(expected["huge_pages_lost"]) > 0 && Self.int(expected["saved_pages"]) > 0)

        let summary = try JSON.parse(Self.ksmdSim(["run", file, "--summary", "--json"]).stdout)
        #expect(Self.keys(summary) == ["last", "summary", "huge_pages"])
        #expect(summary["huge_pages"] == expected)

        let compare = try JSON.parse(Self.ksmdSim(["compare", file, "--rules", "linux-6.4,linux-6.17", "--json"]).stdout)
        let compareSummary = try JSON.parse(
            Self.ksmdSim(["compare", file, "--rules", "linux-6.4,linux-6.17", "--summary", "--json"]).stdout)
        guard case .array(let runs)? = compare["runs"], case .array(let summaryRuns)? = compareSummary["runs"] else {
            Issue.record("no runs: \(compare)")
            return
        }
        #expect(runs.count == 2 && summaryRuns.count == 2)
        for (r, s) in zip(runs, summaryRuns) {
            #expect(Self.keys(r) == ["rules", "reports", "huge_pages"] && Self.keys(s) == ["rules", "last", "huge_pages"])
            let own = try Self.expectedHugePages(Self.reports(r))
            #expect(r["huge_pages"] == own && s["huge_pages"] == own)
        }
    }

    /// `run --plot` of a THP scenario: the counters' panel, and below it on the same x axis a panel
    /// whose AnonHugePages and saved lines are the reports' numbers: exactly in the tooltips,
    /// and read back from the pixels through the axes' ticks.
    @Test(arguments: ["scans", "seconds"])
    func thpPlotDrawsAnonHugePagesAndSavingsFromTheReports(xAxis: String) throws {
        let file = packageRoot + "/Tests/Scenarios/thp-ksm-split.json"
        let svgPath = "/tmp/ksmd-sim-cli-\(getpid())-\(xAxis).svg"
        defer { unlink(svgPath) }
        let run = try Self.ksmdSim(["run", file, "--json", "--plot", svgPath, "--x-axis", xAxis])
        #expect(run.status == 0, "\(run.stderr)")
        let reports = try Self.reports(JSON.parse(run.stdout)).map(THPReport.init)
        let svg = try ProcFiles.read(svgPath).get()
        SVGChartTests.checkDocument(svg)
        let panels = SVGChartTests.panels(svg)
        try #require(panels.count == 2)
        // One x axis: the same plot area and ticks in both panels.
        #expect(SVGChartTests.plotFrame(panels[0]).count == 2)
        #expect(SVGChartTests.plotFrame(panels[0]) == SVGChartTests.plotFrame(panels[1]))
        #expect(SVGChartTests.axisTicks(panels[0]).x.map(\.label) == SVGChartTests.axisTicks(panels[1]).x.map(\.label))
        #expect(SVGChartTests.polylines(panels[0]).count == CounterSeries.charted.count)

        let below = panels[1]
        #expect(
            SVGChartTests.tooltips(below, line: "AnonHugePages")
                == reports.map { "\($0.label): AnonHugePages \(SVGChart.grouped($0.anonHugeKB)) kB" })
        #expect(
            SVGChartTests.tooltips(below, line: "saved")
                == reports.map {
                    "\($0.label): saved \(SVGChart.grouped($0.savedPages)) pages (\(SVGChart.grouped($0.savedPages * 4)) kB)"
                })
        let values = SVGChartTests.plottedValues(below)
        let huge = try #require(values["AnonHugePages"])
        let saved = try #require(values["saved"])
        try #require(huge.count == reports.count && saved.count == reports.count)
        let ticks = SVGChartTests.axisTicks(below)
        let xSpan = try #require(SVGChartTests.number(ticks.x.last!.label))
        let ySpan = try #require(SVGChartTests.number(ticks.y.last!.label))
        for (i, r) in reports.enumerated() {
            let x = xAxis == "scans" ? Double(r.fullScans) : r.seconds
            // Coordinates are rounded to a tenth of a pixel, of some 600 by 320 pixels.
            #expect(abs(huge[i].0 - x) < xSpan / 1000 && abs(huge[i].1 - Double(r.anonHugeKB) / 1024) < ySpan / 1000)
            #expect(abs(saved[i].0 - x) < xSpan / 1000 && abs(saved[i].1 - Double(r.savedPages) / 256) < ySpan / 1000)
        }
        let texts = SVGChartTests.texts(below)
        #expect(texts.contains("last " + HugePageLoss.mibText(Double(reports.last!.anonHugeKB) / 1024)))
        #expect(texts.contains("last " + HugePageLoss.mibText(Double(reports.last!.savedPages) / 256)))
        #expect(texts.contains { $0.hasPrefix("at each of the \(reports.count) reports") })
        // The scenario loses huge pages while it saves: both lines move.
        #expect(reports.first!.anonHugeKB > reports.last!.anonHugeKB && reports.last!.savedPages > 0)
    }

    /// A scenario without `"thp"`: `run`'s JSON (with and without `--summary`), plot (both x
    /// axes) and CSV, and `compare`'s JSON, are exactly what the library's reports, summary,
    /// counter series and single chart make, as before huge pages had output of their own (the
    /// chart's rendering itself is held to its golden files by SVGChartTests).
    @Test(arguments: ["selftest-merge.json", "fork-cow.json"])
    func nonTHPOutputsAreUnchanged(name: String) throws {
        let file = Self.example(name)
        let scenario = try Scenario.parse(try ProcFiles.read(file).get(), baseDirectory: packageRoot + "/examples")
        #expect(scenario.thp == nil)
        let backend = SimulatorBackend(rules: scenario.rules)
        let reports = try ScenarioRunner.run(scenario, on: backend)
        let svgPath = "/tmp/ksmd-sim-cli-\(getpid())-\(name).svg"
        let csvPath = "/tmp/ksmd-sim-cli-\(getpid())-\(name).csv"
        defer {
            unlink(svgPath)
            unlink(csvPath)
        }
        for axis in ["scans", "seconds"] {
            let r = try Self.ksmdSim(["run", file, "--json", "--plot", svgPath, "--csv", csvPath, "--x-axis", axis])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(
                r.stdout
                    == JSON.object([("reports", .array(reports.map(\.json))), ("summary", backend.summary.json)]).serialized(
                        pretty: true) + "\n")
            let chart = SVGChart(
                title: "KSM counters: \(file) (rules \(scenario.rules.name))", series: backend.series,
                xAxis: axis == "scans" ? .fullScans : .seconds)
            #expect(try ProcFiles.read(svgPath).get() == chart.render())
            #expect(try ProcFiles.read(csvPath).get() == backend.series.csv)
        }
        let summary = try JSON.parse(Self.ksmdSim(["run", file, "--summary", "--json"]).stdout)
        #expect(Self.keys(summary) == ["last", "summary"])
        #expect(summary["summary"] == backend.summary.json)
        let compare = try JSON.parse(Self.ksmdSim(["compare", file, "--rules", "linux-6.17", "--json"]).stdout)
        #expect(
            compare
                == .object([
                    ("runs", .array([.object([("rules", .string("linux-6.17")), ("reports", .array(reports.map(\.json)))])]))
                ]))
        let text = try Self.ksmdSim(["run", file])
        #expect(text.status == 0 && !text.stdout.contains("huge pages"))
    }

    /// A scenario ending in a `report` step has no "final" report repeating it; one ending in
    /// another step has one.
    @Test func noDuplicatedFinalReport() throws {
        let endsInReport = try Self.ksmdSim(["run", Self.example("merge-any-vmas.json")])
        #expect(endsInReport.status == 0)
        #expect(
            endsInReport.stdout.split(separator: "\n").filter { $0.hasPrefix("== ") }.map { String($0.prefix(9)) } == [
                "== mapped", "== merged",
            ])
        let endsInScan = try Self.ksmdSim(["run", Self.example("fork-cow.json")])
        #expect(endsInScan.status == 0)
        #expect(endsInScan.stdout.split(separator: "\n").last { $0.hasPrefix("== ") }?.hasPrefix("== final") == true)
    }

    @Test func chartSubtitleShowsShortRunsTime() throws {
        let svg = "/tmp/ksmd-sim-cli-\(getpid()).svg"
        let csv = "/tmp/ksmd-sim-cli-\(getpid()).csv"
        defer {
            unlink(svg)
            unlink(csv)
        }
        let r = try Self.ksmdSim(["run", Self.example("selftest-merge.json"), "--plot", svg, "--csv", csv])
        #expect(r.status == 0)
        let text = try ProcFiles.read(svg).get()
        // The samples span 0 to a few hundredths of a second (the end of the batch that completed
        // the third full scan): the subtitle gives that to three significant digits ("0.0–0.0 s"
        // before), the last sample's time as the CSV has it.
        let lastRow = try ProcFiles.read(csv).get().split(separator: "\n").last.map(String.init) ?? ""
        let last = try #require(Double(lastRow.split(separator: ",").first.map(String.init) ?? ""))
        let prefix = "full scans 0–3, simulated time 0–"
        let start = try #require(text.range(of: prefix), "\(text.prefix(2000))")
        let shown = try #require(Double(text[start.upperBound...].prefix { $0 != " " }), "\(text.prefix(2000))")
        #expect(last > 0.001 && abs(shown - last) <= last * 0.005, "subtitle \(shown) s, last sample \(last) s")
    }

    /// An output file that cannot be created is EX_CANTCREAT (73), as for `capture`, not a data
    /// error: the scenario was fine.
    @Test(arguments: ["--csv", "--plot"])
    func anOutputThatCannotBeCreatedExits73(option: String) throws {
        let r = try Self.ksmdSim(["run", Self.example("selftest-merge.json"), option, "/nonexistent-dir/out"])
        #expect(r.status == 73)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("cannot write /nonexistent-dir/out: No such file or directory"), "\(r.stderr)")
    }
}

/// `ksmd-sim kernel` before it takes over the host's KSM: the warning, the wait for another run's
/// lock, the refusal while another process uses KSM, and `--force`. Nothing here writes the knobs
/// but the host runner itself, under its lock.
@Suite(
    .serialized,
    .enabled(
        if: HostKernel.available && FuzzTests.ksmdSim != nil,
        "needs root, /sys/kernel/mm/ksm and ksmd-sim built next to the tests"))
struct KernelCommandTests {
    static let warning =
        "ksmd-sim: kernel: this run writes run=2 to /sys/kernel/mm/ksm, which unmerges every KSM page of every process on this host (running VMs included)"

    @Test func saysWhenItWaitsForAnotherRun() throws {
        // Another run, as far as the lock goes.
        let fd = open(HostKSMControl.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        flock(fd, LOCK_EX)
        let child = try CLITests.start(["kernel", CLITests.example("selftest-merge.json")])
        let deadline = WorkerProcess.monotonicSeconds() + 60
        while !child.read(1).contains("waiting for another") && WorkerProcess.monotonicSeconds() < deadline { usleep(10_000) }
        // Still blocked on the lock, before it saved or wrote anything.
        kill(child.pid, SIGKILL)
        let r = child.wait()
        flock(fd, LOCK_UN)
        close(fd)
        #expect(r.status == 128 + SIGKILL)
        #expect(r.stdout.isEmpty)
        let lines = r.stderrLines
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(lines.first?.hasPrefix(Self.warning) == true)
        #expect(
            lines.last == "ksmd-sim: kernel: waiting for another ksmd-sim host run (lock \(HostKSMControl.lockPath))...")
    }

    /// A process registered with ksmd (a mergeable mapping with no page in it, so that ksmd of
    /// other runs finds nothing to count) makes `kernel` refuse; `--force` runs anyway.
    @Test func refusesWhileAnotherProcessUsesKSMUnlessForced() throws {
        try HostKernel.withKnobTestLock {
            let worker = try #require(HostKernelBackend.defaultWorkerPath())
            let user = try WorkerProcess.spawn(path: worker, executable: worker, name: "user")
            defer { user.kill() }
            let address = try #require(try user.call("mmap 0 1048576 3 34 0 0"))  // rw, MAP_PRIVATE | MAP_ANONYMOUS
            try user.call("madvise \(address) 1048576 12")  // MADV_MERGEABLE
            #expect(HostKSMUsers.current(workerGraceSeconds: 0).processes.contains { $0.pid == user.pid && $0.mergeable })

            let refused = try CLITests.ksmdSim(["kernel", CLITests.example("selftest-merge.json")])
            #expect(refused.status == 75)
            #expect(refused.stdout.isEmpty)
            // The warning, the refusal, and between them the wait if another run (another test) held the lock.
            let lines = refused.stderrLines.filter { !$0.hasPrefix("ksmd-sim: kernel: waiting for another ksmd-sim host run") }
            #expect(lines.count == 2, "\(refused.stderr)")
            #expect(lines.first?.hasPrefix(Self.warning) == true)
            let line = String(lines.last ?? "")
            #expect(line.hasPrefix("ksmd-sim: kernel: refused, other processes use KSM ("), "\(line)")
            #expect(line.contains("pid \(user.pid) (ksm-worker): registered with ksmd"), "\(line)")
            #expect(line.hasSuffix("--force runs anyway"))

            let forced = try CLITests.ksmdSim(["kernel", "--force", "--compare", CLITests.example("selftest-merge.json")])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout == "simulator and kernel agree on all 3 reports\n")
        }
    }
}
