import ArgumentParser
import KSMEngine

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file on the simulator and print its reports.")

    @Argument(help: "The scenario file (JSON; see docs/scenario-format.md).")
    var file: String

    @Flag(help: "Print the reports as JSON: {\"reports\":[...],\"summary\":{...}}.")
    var json = false

    @Flag(
        help:
            "Print only the last report's counters, per-process totals, time to converge and ksmd's CPU share (no per-report tables), for big scenarios; with --json, {\"last\":{...},\"summary\":{...}}."
    )
    var summary = false

    @Option(help: "Write the global counters after every full scan to this CSV file.")
    var csv: String?

    @Option(
        help: "Draw pages_shared, pages_sharing, pages_unshared, pages_volatile and ksm_zero_pages over the run as an SVG chart.")
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
        if let csv { try writeFile(csv, backend.series.csv) }
        if let plot {
            let chart = SVGChart(
                title: "KSM counters: \(file) (rules \(scenario.rules.name))", series: backend.series,
                xAxis: xAxis == .scans ? .fullScans : .seconds)
            try writeFile(plot, chart.render())
        }
        if summary, let last = reports.last {
            if json {
                print(
                    JSON.object([("last", ReportSummary(last).json), ("summary", backend.summary.json)]).serialized(pretty: true))
            } else {
                print(
                    "simulator, rules \(scenario.rules.name); \(reports.count) report\(reports.count == 1 ? "" : "s"), the last:")
                print(ReportSummary(last).text, terminator: "")
                print(backend.summary.text)
                if let loss = HugePageLoss(reports) { print(loss.text) }
            }
        } else if json {
            print(
                JSON.object([("reports", .array(reports.map(\.json))), ("summary", backend.summary.json)]).serialized(
                    pretty: true))
        } else {
            print("simulator, rules \(scenario.rules.name)")
            for r in reports { print(r.text) }
            print(backend.summary.text)
            if let loss = HugePageLoss(reports) { print(loss.text) }
        }
    }
}
