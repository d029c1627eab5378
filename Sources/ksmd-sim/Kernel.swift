import ArgumentParser
import KSMEngine

struct Kernel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file on this machine's real kernel and print the same reports.",
        discussion: "Needs root and /sys/kernel/mm/ksm. Worker processes replay the steps in a reserved address window.")

    @Argument(help: "The scenario file (JSON; see docs/scenario-format.md).")
    var file: String

    @Flag(help: "Print the reports as JSON: {\"reports\":[...]}.")
    var json = false

    @Flag(help: "Also run the scenario on the simulator and print every difference (exit 1 if any).")
    var compare = false

    func run() throws {
        let scenario = try loadScenario(file)
        let backend: HostKernelBackend
        do {
            backend = try HostKernelBackend(rules: scenario.rules)
        } catch {
            printError(error.description)
            throw error.description.contains("root") ? Exit.noPermission : Exit.dataError
        }
        defer { backend.shutdown() }
        if compare {
            let kernelReports: [Report]
            let simulatorReports: [Report]
            do {
                kernelReports = try ScenarioRunner.run(scenario, on: backend)
                simulatorReports = try ScenarioRunner.run(scenario, on: SimulatorBackend(rules: scenario.rules))
            } catch {
                printError("\(file): \(error.description)")
                throw Exit.dataError
            }
            let diffs = ReportComparison.differences(simulatorReports, kernelReports)
            if diffs.isEmpty {
                print("simulator and kernel agree on all \(kernelReports.count) reports")
                return
            }
            for d in diffs { print(d) }
            throw ExitCode(1)
        }
        try runAndPrint(scenario, on: backend, file: file, json: json, header: "host kernel")
    }
}
