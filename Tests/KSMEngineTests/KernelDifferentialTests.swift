import Testing

@testable import KSMEngine

/// The differential suite: every scenario of `Tests/Scenarios` and `examples`, and seeded random
/// ones, run on the simulator (with bytes and with content ids) and on this machine's kernel,
/// compared report by report (global counters, every ksm_stat field, every VMA with its flags and
/// KSM kB, content digests).
///
/// Needs root and /sys/kernel/mm/ksm; elsewhere the tests are skipped with that reason. Serialized:
/// the host backend also holds a system-wide lock on the KSM knobs.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct KernelDifferentialTests {
    static let corpus = scenarioFiles(in: "Tests/Scenarios") + exampleFiles()

    /// Runs `scenario` on both, the simulator with bytes and with content ids, and returns the
    /// differences of each from the kernel.
    static func compare(_ scenario: Scenario) throws -> [String] {
        let host = try HostKernelBackend(rules: scenario.rules)
        defer { host.shutdown() }
        let kernel = try ScenarioRunner.run(scenario, on: host)
        return try PageContentMode.allCases.flatMap { content in
            let simulator = try ScenarioRunner.run(scenario, on: SimulatorBackend(rules: scenario.rules, content: content))
            return ReportComparison.differences(simulator, Self.withoutOtherProcessesTHP(kernel, simulator)).map {
                "content \(content.rawValue): " + $0
            }
        }
    }

    /// `/proc/vmstat`'s THP events are system-wide: other processes of this machine (other test
    /// runs, simulations asking for huge pages for their stores) add to the kernel's counts while a
    /// scenario runs. A kernel count at or above the simulator's is taken as the simulator's (and
    /// printed when above); one below it stays a difference. Rss and AnonHugePages, per process
    /// and VMA, are compared exactly. (`ksmd-sim kernel --compare` compares the events exactly.)
    static func withoutOtherProcessesTHP(_ kernel: [Report], _ simulator: [Report]) -> [Report] {
        var out = kernel
        for i in out.indices where i < simulator.count {
            guard let k = out[i].thp, let s = simulator[i].thp else { continue }
            let above = zip(k.fields, s.fields).allSatisfy { $0.1 >= $1.1 }
            if above && k != s {
                print(
                    "report \"\(out[i].label)\": the host's THP events \(k.fields) exceed the scenario's \(s.fields) (other processes)"
                )
                out[i].thp = s
            }
        }
        return out
    }

    @Test(arguments: corpus)
    func scenarioMatchesKernel(_ path: String) throws {
        let scenario = try loadScenario(path)
        if let reason = hostCannotRun(scenario) {
            print("\(path): simulator only (\(reason)); not compared with the kernel")
            return
        }
        let diffs = try Self.compare(scenario)
        #expect(diffs.isEmpty, "\(path) differs from the kernel:\n\(diffs.joined(separator: "\n"))")
    }

    @Test(arguments: 1...20)
    func randomScenarioMatchesKernel(seed: Int) throws {
        var options = RandomScenario.Options()
        options.steps = 60
        let scenario = try RandomScenario.withExpectations(RandomScenario.make(seed: UInt64(seed) &* 7919, options: options))
        let diffs = try Self.compare(scenario)
        #expect(
            diffs.isEmpty,
            "random scenario (seed \(UInt64(seed) &* 7919), 60 steps; `ksmd-sim random --seed \(UInt64(seed) &* 7919) --steps 60`) differs:\n\(diffs.joined(separator: "\n"))"
        )
    }

    @Test(arguments: 1...10)
    func randomHugePageScenarioMatchesKernel(seed: Int) throws {
        var options = RandomScenario.Options()
        options.steps = 60
        options.hugePages = true
        let scenario: Scenario
        do {
            scenario = try RandomScenario.withExpectations(RandomScenario.make(seed: UInt64(seed), options: options))
        } catch {
            guard error.message.contains("not modelled") else { throw error }
            print("random THP scenario \(seed): the simulator refuses it (\(error.message)); not compared")
            return
        }
        let diffs = try Self.compare(scenario)
        #expect(
            diffs.isEmpty,
            "random THP scenario (`ksmd-sim random --huge-pages --seed \(seed) --steps 60`) differs:\n\(diffs.joined(separator: "\n"))"
        )
    }

    @Test func corpusIsNotEmpty() {
        #expect(Self.corpus.count >= 10)
    }
}
