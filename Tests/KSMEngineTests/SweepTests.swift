import Glibc
import Testing

@testable import KSMEngine

/// Knob sweeps: the grid, its shards, the results' JSON, CSV and chart, and `ksmd-sim sweep` run
/// whole, sharded and merged, with one and two jobs.
@Suite struct SweepTests {
    static func grid() throws -> SweepGrid {
        try SweepGrid(
            knobs: [SweepGrid.parseSetting("pages_to_scan=100,1000,5000"), SweepGrid.parseSetting("smart_scan=0,1")],
            rules: ["linux-6.17", "linux-6.4"])
    }

    @Test func gridIsTheCartesianProductInNestedLoopOrder() throws {
        let g = try Self.grid()
        #expect(g.count == 12)
        var expected: [(String, Int, Bool)] = []
        for r in ["linux-6.17", "linux-6.4"] {
            for p in [100, 1000, 5000] { for s in [false, true] { expected.append((r, p, s)) } }
        }
        for (i, e) in expected.enumerated() {
            let p = try g.point(i)
            #expect(p.index == i && p.rules == e.0)
            #expect(
                p.knobs == [
                    KnobSetting(name: "pages_to_scan", value: .int(e.1)), KnobSetting(name: "smart_scan", value: .bool(e.2)),
                ])
        }
        #expect(throws: SweepError.self) { try g.point(12) }
        #expect(throws: SweepError.self) { try g.point(-1) }
    }

    @Test(arguments: [
        ("pages_to_scna=1", "unknown KSM knob \"pages_to_scna\" (known: "),
        ("pages_to_scan=-1", "KSM knob pages_to_scan = -1 refused with EINVAL (allowed: 0...4294967295)"),
        ("pages_to_scan=ten", "KSM knob pages_to_scan = ten refused with EINVAL"),
        ("max_page_sharing=2,1", "KSM knob max_page_sharing = 1 refused with EINVAL (allowed: 2...2147483647)"),
        ("smart_scan=2", "KSM knob smart_scan = 2 refused with EINVAL (allowed: 0...1)"),
        ("advisor_mode=fast", "KSM knob advisor_mode = fast refused with EINVAL (allowed: none or scan-time)"),
        ("pages_to_scan", "--set pages_to_scan: expected KNOB=VALUE[,VALUE...]"),
        ("pages_to_scan=1,,2", "--set pages_to_scan=1,,2: an empty value"),
    ])
    func badSettingsAreRefusedWithOneLine(text: String, message: String) {
        do {
            _ = try SweepGrid.parseSetting(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func aKnobTwiceOrNoRulesIsRefused() throws {
        let a = try SweepGrid.parseSetting("sleep_millisecs=10")
        #expect(throws: SweepError("knob sleep_millisecs is set twice")) { try SweepGrid(knobs: [a, a], rules: ["x"]) }
        #expect(throws: SweepError("a sweep needs at least one rule set")) { try SweepGrid(knobs: [a], rules: []) }
    }

    @Test(arguments: [1, 2, 3, 5, 12, 20])
    func shardsPartitionTheGrid(n: Int) throws {
        let g = try Self.grid()
        var all: [Int] = []
        for k in 1...n { all += try g.shard(k, of: n) }
        #expect(all.sorted() == Array(0..<g.count))
        #expect(throws: SweepError.self) { try g.shard(0, of: n) }
        #expect(throws: SweepError.self) { try g.shard(n + 1, of: n) }
    }

    @Test func shardArgument() throws {
        #expect(try SweepGrid.parseShard("2/3") == (2, 3))
        for bad in ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2"] {
            #expect(throws: SweepError.self) { try SweepGrid.parseShard(bad) }
        }
    }

    @Test func pointKnobsReplaceTheScenariosTopLevelKnobsAndStepsStillApply() throws {
        let s = try Scenario.parse(
            #"{"ksm":{"sleep_millisecs":50,"pages_to_scan":10},"steps":[{"op":"ksm","pages_to_scan":7}]}"#)
        let g = try SweepGrid(
            knobs: [SweepGrid.parseSetting("pages_to_scan=300"), SweepGrid.parseSetting("use_zero_pages=1")], rules: ["r"])
        let applied = try g.point(0).applied(to: s)
        #expect(
            applied.knobs == [
                KnobSetting(name: "sleep_millisecs", value: .int(50)), KnobSetting(name: "pages_to_scan", value: .int(300)),
                KnobSetting(name: "use_zero_pages", value: .bool(true)),
            ])
        #expect(applied.steps == s.steps)
        let backend = SimulatorBackend(rules: .linux6_17)
        _ = try ScenarioRunner.run(applied, on: backend)
        #expect(backend.kernel.ksmKnobs.pagesToScan == 7)  // the step came later
    }

    static func result() throws -> SweepResult {
        let text = try #require(try? ProcFiles.read(packageRoot + "/examples/merge-any-vmas.json").get())
        let scenario = try Scenario.parse(text)
        let g = try SweepGrid(knobs: [SweepGrid.parseSetting("pages_to_scan=16,1000")], rules: ["linux-6.17", "linux-6.4"])
        let rules = ["linux-6.17": EligibilityRules.linux6_17, "linux-6.4": .linux6_4]
        let points = try (0..<g.count).map { i in
            let p = try g.point(i)
            return SweepResult.Point(point: p, outcome: .summary(try p.run(scenario, rules: rules[p.rules]!)))
        }
        return try SweepResult(grid: g, points: points)
    }

    @Test func resultJSONReadsBackAndMergesFromShards() throws {
        let whole = try Self.result()
        let text = whole.json.serialized(pretty: true)
        #expect(try SweepResult(json: JSON.parse(text)) == whole)
        let parts = try (1...3).map { k in
            try SweepResult(grid: whole.grid, points: whole.points.filter { $0.point.index % 3 == k - 1 })
        }
        let merged = try SweepResult.merge(parts.reversed())
        #expect(merged.json.serialized(pretty: true) == text)
        #expect(throws: SweepError("1 of 4 points missing (2)")) { try SweepResult.merge([parts[0], parts[1]]) }
        #expect(throws: SweepError("point 0 appears twice")) { try SweepResult.merge([parts[0], parts[0], parts[1], parts[2]]) }
        let other = try SweepResult(
            grid: SweepGrid(knobs: [SweepGrid.parseSetting("pages_to_scan=16,999")], rules: ["linux-6.17", "linux-6.4"]),
            points: [])
        #expect(throws: SweepError("the files are slices of different grids")) { try SweepResult.merge([parts[0], other]) }
    }

    @Test func csvHasOneRowPerPointAndAColumnPerField() throws {
        let r = try Self.result()
        let lines = r.csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == r.points.count + 1)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.prefix(3) == ["index", "rules", "pages_to_scan"])
        #expect(Array(header.dropFirst(3)) == SweepResult.csvColumns.map { Substring($0) })
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(cells.count == header.count)
            #expect(cells[0] == "\(i)")
            #expect(cells[header.firstIndex(of: "saved_pages")!] == "\(r.points[i].summary!.savedPages)")
        }
        #expect(SweepResult.csvField("a,\"b\"") == "\"a,\"\"b\"\"\"")
    }

    @Test func chartHasTheFrontierAndTwoPanels() throws {
        let r = try Self.result()
        let svg = r.chart(title: "sweep <merge-any>")
        SVGChartTests.checkDocument(svg)
        #expect(svg.ranges(of: "<svg ").count == 3)  // the document and two panels
        #expect(svg.contains("data-line=\"frontier\""))
        let frontier = r.frontier
        #expect(!frontier.isEmpty)
        // The frontier: CPU rising, savings rising, and no point beats one of its points.
        for (a, b) in zip(frontier, frontier.dropFirst()) {
            #expect(a.summary!.ksmdCPUSeconds <= b.summary!.ksmdCPUSeconds && a.summary!.savedPages < b.summary!.savedPages)
        }
        for f in frontier {
            #expect(
                !r.points.contains {
                    $0.summary!.ksmdCPUSeconds < f.summary!.ksmdCPUSeconds && $0.summary!.savedPages >= f.summary!.savedPages
                })
        }
        #expect(SVGChartTests.polylines(svg).count == 1)  // the frontier; the points are markers
        #expect(SVGChartTests.texts(svg).contains("time to 90% of the final savings"))
    }
}

/// `ksmd-sim sweep` as a user runs it.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct SweepCLITests {
    static let args = [
        "sweep", CLITests.example("fleet-vmas.json"), "--set", "pages_to_scan=10,100,1000", "--set", "sleep_millisecs=5,20",
        "--rules", "linux-6.17,linux-6.4",
    ]

    @Test func wholeEqualsShardedAndMerged() throws {
        let whole = try CLITests.ksmdSim(Self.args + ["--json", "--jobs", "2"])
        #expect(whole.status == 0, "\(whole.stderr)")
        var files: [String] = []
        for k in 1...3 {
            let part = try CLITests.ksmdSim(Self.args + ["--json", "--shard", "\(k)/3"])
            #expect(part.status == 0)
            files.append(try CLITests.scenarioFile(part.stdout))
        }
        defer { for f in files { unlink(f) } }
        let merged = try CLITests.ksmdSim(["sweep", "merge"] + files.reversed())
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout == whole.stdout)
        let json = try JSON.parse(whole.stdout)
        guard case .array(let points)? = json["points"] else { throw SweepError("no points") }
        #expect(points.count == 12)
        #expect(points.allSatisfy { $0["summary"]?["saved_pages"] != nil && $0["knobs"]?["pages_to_scan"] != nil })

        let missing = try CLITests.ksmdSim(["sweep", "merge", files[0], files[1]])
        #expect(missing.status == 65 && missing.stderrLines.count == 1)
        #expect(missing.stderr.contains("4 of 12 points missing (2, 5, 8, 11)"))
    }

    @Test func oneJobAndTwoJobsGiveTheSameOutput() throws {
        let one = try CLITests.ksmdSim(Self.args + ["--jobs", "1", "--csv"])
        let two = try CLITests.ksmdSim(Self.args + ["--jobs", "2", "--csv"])
        #expect(one.status == 0 && two.status == 0)
        #expect(one.stdout == two.stdout)
        let rows = one.stdout.split(separator: "\n")
        #expect(rows.count == 13)
        let width = rows[0].split(separator: ",").count
        #expect(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == width })
    }

    @Test(arguments: [
        (["--set", "pages_to_scna=1"], "unknown KSM knob \"pages_to_scna\""),
        (["--set", "max_page_sharing=1"], "KSM knob max_page_sharing = 1 refused with EINVAL (allowed: 2...2147483647)"),
        (["--set", "pages_to_scan=1", "--shard", "3/2"], "--shard 3/2: expected K/N with 1 <= K <= N"),
        (["--set", "pages_to_scan=1", "--jobs", "0"], "--jobs must be between 1 and 1024, got 0"),
    ])
    func badArgumentsAreRefusedBeforeRunning(extra: [String], message: String) throws {
        let r = try CLITests.ksmdSim(["sweep", CLITests.example("fleet-convergence.json")] + extra)
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines.count == 1 && r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func aFailingPointReportsItsErrorAndTheOthersRun() throws {
        let file = try CLITests.scenarioFile(
            #"{"steps":[{"op":"spawn","process":"a"},{"op":"prctl","process":"a","memory_merge":true},"#
                + #"{"op":"mmap","process":"a","at":0,"pages":8,"prot":"rw","map":"private-anon"},"#
                + #"{"op":"write","process":"a","at":0,"pages":8,"fill":{"byte":3}},{"op":"ksm","pages_to_scan":200},"#
                + #"{"op":"scan","full_scans":2}]}"#)
        defer { unlink(file) }
        let r = try CLITests.ksmdSim(["sweep", file, "--set", "advisor_mode=none,scan-time", "--json"])
        #expect(r.status == 1)
        let json = try JSON.parse(r.stdout)
        guard case .array(let points)? = json["points"] else { throw SweepError("no points") }
        #expect(points.count == 2)
        #expect(points[0]["summary"]?["saved_pages"] == .int(7))
        guard case .string(let e)? = points[1]["error"] else { throw SweepError("no error") }
        #expect(e.contains("step 4 (ksm): KSM knob pages_to_scan = 200 refused with EINVAL"))
        #expect(r.stderrLines.count == 1 && r.stderr.contains("point 1"))
    }
}
