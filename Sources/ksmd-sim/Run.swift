import ArgumentParser
import KSMEngine

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file on the simulator and print its reports.")

    @Argument(help: "The scenario file (JSON; see docs/scenario-format.md).")
    var file: String

    @Flag(
        help:
            "Print the reports as JSON: {\"reports\":[...],\"summary\":{...}}, and in a scenario with \"thp\" the huge pages lost, \"huge_pages\":{...}."
    )
    var json = false

    @Flag(
        help:
            "Print only the last report's counters, per-process totals, time to converge and ksmd's CPU share (no per-report tables), for big scenarios; with --json, {\"last\":{...},\"summary\":{...}} (and \"huge_pages\" with \"thp\")."
    )
    var summary = false

    @Option(help: "Write the global counters after every full scan to this CSV file.")
    var csv: String?

    @Option(
        help:
            "Draw pages_shared, pages_sharing, pages_unshared, pages_volatile and ksm_zero_pages over the run as an SVG chart; in a scenario with \"thp\", a second panel below draws AnonHugePages and the memory saved at each report, in MiB."
    )
    var plot: String?

    @Option(help: "The chart's x axis: scans (full scans) or seconds (simulated time).")
    var xAxis: XAxisChoice = .scans

    enum XAxisChoice: String, ExpressibleByArgument {
        case scans, seconds
    }

    @OptionGroup var memoryBudget: MemoryBudgetOption

    @OptionGroup var content: ContentOption

    @Option(help: "A cost-model file for the simulated clock (ksmd-sim calibrate writes one; default: the built-in model).")
    var costModel: String?

    func run() throws {
        let scenario = try loadScenario(file)
        let backend = SimulatorBackend(
            rules: scenario.rules, memoryBudgetPages: memoryBudget.pages(content: content.content), content: content.content,
            costModel: try loadCostModel(costModel))
        let reports = try runScenario(scenario, on: backend, file: file)
        // Only in scenarios with "thp": every other output stays as it was, byte for byte.
        let loss = HugePageLoss(reports)
        if let csv { try writeFile(csv, backend.series.csv) }
        if let plot {
            let axis: SVGChart.XAxis = xAxis == .scans ? .fullScans : .seconds
            let chart = SVGChart(
                title: "KSM counters: \(file) (rules \(scenario.rules.name))", series: backend.series, xAxis: axis)
            if let loss {
                let huge = loss.chart(title: "AnonHugePages against savings: \(file)", xAxis: axis)
                try writeFile(plot, SVGChart.stacked([chart, huge], sharedXAxis: true))
            } else {
                try writeFile(plot, chart.render())
            }
        }
        if summary, let last = reports.last {
            if json {
                print(Self.object([("last", ReportSummary(last).json), ("summary", backend.summary.json)], loss))
            } else {
                print(
                    "simulator, rules \(scenario.rules.name); \(reports.count) report\(reports.count == 1 ? "" : "s"), the last:")
                print(ReportSummary(last).text, terminator: "")
                print(backend.summary.text)
                if let loss { print(loss.text) }
            }
        } else if json {
            print(Self.object([("reports", .array(reports.map(\.json))), ("summary", backend.summary.json)], loss))
        } else {
            print("simulator, rules \(scenario.rules.name)")
            for r in reports { print(r.text) }
            print(backend.summary.text)
            if let loss { print(loss.text) }
        }
    }

    /// The `--json` object of `members`, then `"huge_pages"` when the scenario has `"thp"`, pretty.
    static func object(_ members: [(String, JSON)], _ loss: HugePageLoss?) -> String {
        JSON.object(members + (loss.map { [("huge_pages", $0.json)] } ?? [])).serialized(pretty: true)
    }
}
