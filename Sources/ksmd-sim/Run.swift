import ArgumentParser
import KSMEngine

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file on the simulator and print its reports.")

    @Argument(help: "The scenario file (JSON; see docs/scenario-format.md).")
    var file: String

    @Flag(help: "Print the reports as JSON: {\"reports\":[...]}.")
    var json = false

    func run() throws {
        let scenario = try loadScenario(file)
        let backend = SimulatorBackend(rules: scenario.rules)
        try runAndPrint(scenario, on: backend, json: json, header: "simulator, rules \(scenario.rules.name)")
    }
}
