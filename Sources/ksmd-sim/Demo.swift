import ArgumentParser
import KSMEngine

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the built-in demonstration: the 2025 VMA-merging fix, before and after.")

    func run() throws {
        print(
            """
            ksmd-sim demonstration: a process with PR_SET_MEMORY_MERGE maps 8 adjacent anonymous
            regions, fills them, then forks. Linux 6.4-6.16 set VM_MERGEABLE on a new mapping only after
            trying to merge it with its (already mergeable) neighbours, so none ever merged; Linux 6.17
            decides the flag first.

            """)
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(Self.scenarioText)
        } catch {
            printError("built-in scenario: \(error)")
            throw Exit.dataError
        }
        var rows: [[String]] = []
        for rules in [EligibilityRules.linux6_4, .linux6_17] {
            var s = scenario
            s.rules = rules
            let backend = SimulatorBackend(rules: rules)
            let reports: [Report]
            do {
                reports = try ScenarioRunner.run(s, on: backend)
            } catch {
                printError(error.description)
                throw Exit.dataError
            }
            for p in reports.last!.processes {
                let mergeable = p.vmas.filter { $0.flags.contains("mg") }.count
                rows.append([rules.name, p.name, "\(p.vmas.count)", "\(mergeable)", Report.hex(p.contentDigest)])
            }
        }
        let header = ["rules", "process", "VMAs", "mergeable VMAs", "content digest"]
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        for row in [header] + rows {
            print(row.enumerated().map { $0 == row.count - 1 ? $1 : $1.padding(toLength: widths[$0]) }.joined(separator: "  "))
        }
        print(
            """

            Same memory (equal digests), 8 times fewer VMAs with the fix. Try:
              ksmd-sim run examples/merge-any-vmas.json
              ksmd-sim run examples/merge-any-vmas.json --json
            """)
    }

    static let scenarioText = """
        {"steps": [
          {"op": "spawn", "process": "app"},
          {"op": "prctl", "process": "app", "memory_merge": true},
          {"op": "mmap", "process": "app", "at": 0, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 4, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 8, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 12, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 16, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 20, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 24, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "app", "at": 28, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "write", "process": "app", "at": 0, "pages": 32, "fill": {"classes": 4, "namespace": "demo"}},
          {"op": "fork", "process": "app", "child": "worker"},
          {"op": "mmap", "process": "worker", "at": 32, "pages": 4, "prot": "rw", "map": "private-anon"}
        ]}
        """
}

extension String {
    func padding(toLength n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
