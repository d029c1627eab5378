import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one scenario under several rule sets and show the differences side by side.",
        discussion: """
            Each rule set is a built-in name (linux-6.17, linux-6.4) or a JSON file holding a rule-set \
            object (or a scenario whose "rules" is one). Cells that differ from the first rule set are \
            marked with *.
            """)

    @Argument(help: "The scenario file.")
    var file: String

    @Option(help: "Comma-separated rule sets: names or rule-set files.")
    var rules: String

    @Flag(
        help:
            "Print {\"runs\":[{\"rules\":NAME,\"reports\":[...]},...]}; in a scenario with \"thp\", each run also has \"huge_pages\":{...}."
    )
    var json = false

    @OptionGroup var content: ContentOption

    @Flag(
        help:
            "Only the table of all processes (no per-process tables); with --json, each run's last report without its processes."
    )
    var summary = false

    @OptionGroup var memoryBudget: MemoryBudgetOption

    @Option(help: "A cost-model file for the simulated clock (ksmd-sim calibrate writes one; default: the built-in model).")
    var costModel: String?

    func validate() throws {
        let items = rules.split(separator: ",", omittingEmptySubsequences: false)
        guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("--rules needs rule-set names or files, separated by commas")
        }
    }

    func run() throws {
        let scenario = try loadScenario(file)
        let ruleSets = try rules.split(separator: ",").map { try loadRuleSet(String($0)) }
        let model = try loadCostModel(costModel)
        var runs: [(EligibilityRules, [Report])] = []
        for r in ruleSets {
            var s = scenario
            s.rules = r
            let backend = SimulatorBackend(
                rules: r, memoryBudgetPages: memoryBudget.pages(content: content.content), content: content.content,
                costModel: model)
            runs.append((r, try runScenario(s, on: backend, file: file)))
        }
        if json {
            let out = JSON.object([
                (
                    "runs",
                    .array(
                        runs.map { rules, reports -> JSON in
                            var members: [(String, JSON)] = [
                                ("rules", .string(rules.name)),
                                summary ? ("last", ReportSummary(reports.last!).json) : ("reports", .array(reports.map(\.json))),
                            ]
                            if let loss = HugePageLoss(reports) { members.append(("huge_pages", loss.json)) }
                            return .object(members)
                        })
                )
            ])
            print(out.serialized(pretty: true))
            return
        }
        let finals = runs.map { ($0.0.name, $0.1.last!) }
        print("\(file): last reports under \(finals.map(\.0).joined(separator: ", "))\n")
        let globalRows = finals.map { name, r -> [String] in
            [
                name, "\(r.ksm.pagesShared)", "\(r.ksm.pagesSharing)", "\(r.ksm.ksmZeroPages)", "\(r.ksm.generalProfit)",
                "\(r.processes.reduce(0) { $0 + $1.vmas.count })",
            ]
        }
        print("all processes")
        print(Self.table(["rules", "pages_shared", "pages_sharing", "ksm_zero_pages", "saved bytes", "VMAs"], globalRows))
        let losses = runs.map { ($0.0.name, HugePageLoss($0.1)) }
        if losses.contains(where: { $0.1 != nil }) {
            let rows = losses.map { name, l -> [String] in
                guard let l else { return [name, "-", "-", "-", "-", "-"] }
                return [
                    name, "\(l.firstAnonHugeKB)", "\(l.lastAnonHugeKB)", "\(l.hugePagesLost)", "\(l.splitPage)",
                    "\(l.savedBytes)",
                ]
            }
            print("huge pages (AnonHugePages summed over processes, first report and last)")
            print(
                Self.table(
                    ["rules", "AnonHugePages kB first", "last", "huge pages lost", "thp_split_page", "saved pages in bytes"], rows
                ))
        }
        if summary { return }
        let names = finals.flatMap { $0.1.processes.map(\.name) }.reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        for name in names {
            let rows = finals.map { ruleName, r -> [String] in
                guard let p = r.processes.first(where: { $0.name == name }) else { return [ruleName, "-", "-", "-", "-", "-"] }
                let s = p.ksmStat
                return [
                    ruleName, "\(p.vmas.count)", "\(p.vmas.filter { $0.flags.contains("mg") }.count)", "\(s.mergingPages)",
                    "\(s.zeroPages)", "\(s.processProfit)",
                ]
            }
            print("process \(name)")
            print(Self.table(["rules", "VMAs", "mergeable VMAs", "merging pages", "zero pages", "saved bytes"], rows))
        }
    }

    /// A table whose cells differing from the first row's are marked with * (and shown bold on a
    /// terminal).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let tty = isatty(1) == 1
        let marked = rows.enumerated().map { i, row in
            row.enumerated().map { c, cell in c > 0 && i > 0 && cell != rows[0][c] ? cell + " *" : cell }
        }
        let all = [header] + marked
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            "  "
                + row.enumerated().map { c, cell in
                    let padded = c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
                    return tty && cell.hasSuffix(" *") ? "\u{1B}[1m" + padded + "\u{1B}[0m" : padded
                }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
