import ArgumentParser
import KSMEngine

struct Random: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a seeded random scenario (every step the simulator refuses carries its errno as expect).")

    @Option(parsing: .unconditional, help: "The seed.", transform: parseSeed)
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Number of random steps.")
    var steps: Int = 40

    @Flag(help: "A transparent-huge-page scenario (\"thp\" madvise, hugepage/nohugepage advice, huge-page sized steps).")
    var hugePages = false

    func validate() throws {
        try requireOption("--steps", steps, in: 1...100_000)
    }

    func run() throws {
        var options = RandomScenario.Options()
        options.steps = steps
        options.hugePages = hugePages
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
