import ArgumentParser
import KSMEngine

struct Random: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a seeded random scenario (every step the simulator refuses carries its errno as expect).")

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Option(help: "Number of random steps.")
    var steps: Int = 40

    func validate() throws {
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
    }

    func run() throws {
        var options = RandomScenario.Options()
        options.steps = steps
        let s: Scenario
        do {
            s = try RandomScenario.withExpectations(RandomScenario.make(seed: seed, options: options))
        } catch {
            printError("random scenario \(seed): \(error)")
            throw Exit.dataError
        }
        print(s.json.serialized(pretty: true))
    }
}
