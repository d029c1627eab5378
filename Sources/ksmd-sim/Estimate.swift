import ArgumentParser
import KSMEngine

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate what KSM would save on running processes or core files (PR_SET_MEMORY_MERGE on, default knobs).",
        discussion: """
            Reads /proc/PID/smaps, /proc/PID/pagemap and /proc/PID/mem (read-only; the kernel's permission \
            checks apply: your own processes, or any as root), copies the present anonymous pages of the \
            VMAs the rules make eligible into the simulator, and runs ksmd until its counters settle. \
            --core reads an ELF core file instead (approximately: a core file does not say which pages were present). \
            See docs/estimate.md.
            """)

    @Option(
        name: .customLong("pid"), parsing: .unconditionalSingleValue,
        help: "A process to estimate (repeat for several: their pages merge together).")
    var pids: [Int32] = []

    @Option(
        name: .customLong("core"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "An ELF core file to estimate (gcore, the kernel's core dump, QEMU dump-guest-memory; repeat for several).",
            valueName: "file"))
    var cores: [String] = []

    @Option(
        help: ArgumentHelp(
            "With --core: the all-zero anonymous pages are 'skipped' (taken for absent pages) or 'counted' (taken for written zeros).",
            valueName: "skipped|counted"))
    var zeroFilledPages: String?

    @Option(help: "A snapshot file written by capture, instead of --pid: its processes, as they were captured.")
    var snapshot: String?

    @Option(help: "A plain-text page-hash trace (docs/trace-format.md), instead of --pid: its processes, as content ids.")
    var trace: String?

    @Flag(help: "Print the estimate as one JSON object.")
    var json = false

    @Option(
        help:
            "The eligibility rule set: \(EligibilityRules.builtIn.keys.sorted().joined(separator: ", ")), or a rule-set file (as compare --rules takes)."
    )
    var rules: String = EligibilityRules.linux6_17.name

    @Option(help: "Only look at this address range, as START-END in hex (e.g. 0x100000000000-0x110000000000).")
    var range: String?

    @OptionGroup var memoryBudget: MemoryBudgetOption

    @OptionGroup var content: ContentOption

    func validate() throws {
        let kinds = [!pids.isEmpty, !cores.isEmpty, snapshot != nil, trace != nil].filter { $0 }.count
        guard kinds == 1 else {
            throw ValidationError(
                "give --pid PID, --core FILE, --snapshot FILE or --trace FILE (one kind; --pid and --core may repeat)")
        }
        if let snapshot, snapshot.isEmpty { throw ValidationError("--snapshot needs a file") }
        if let trace, trace.isEmpty { throw ValidationError("--trace needs a file") }
        if let z = zeroFilledPages {
            guard !cores.isEmpty else { throw ValidationError("--zero-filled-pages goes with --core") }
            guard CoreZeroFilledPages(rawValue: z) != nil else {
                throw ValidationError("--zero-filled-pages must be skipped or counted")
            }
        }
        try Self.validate(pids: pids)
        guard !rules.isEmpty else { throw ValidationError("--rules needs a rule-set name or file") }
        try Self.validate(range: range)
    }

    func run() throws {
        var options = KSMEstimator.Options(rules: try loadRuleSet(rules), range: range.flatMap(Self.parseRange))
        options.content = content.content
        options.memoryBudgetPages = memoryBudget.pages(content: content.content)
        let estimate: KSMEstimate
        do {
            let estimator = KSMEstimator(options: options)
            if snapshot != nil || trace != nil {
                let file: SnapshotFile
                do {
                    if let trace {
                        file = try SnapshotFile.load(trace: trace)
                    } else {
                        file = try SnapshotFile.load(from: snapshot ?? "")
                    }
                } catch {
                    throw failure("estimate", error)
                }
                estimate = try estimator.estimate(snapshot: file)
            } else if !cores.isEmpty {
                let zeros = zeroFilledPages.flatMap(CoreZeroFilledPages.init(rawValue:)) ?? .skipped
                estimate = try estimator.estimate(coreFiles: cores, zeroFilledPages: zeros)
            } else {
                estimate = try estimator.estimate(pids: pids)
            }
        } catch let error as EstimateError {
            throw failure("estimate", error)
        }
        print(json ? estimate.json.serialized(pretty: true) : estimate.text, terminator: json ? "\n" : "")
    }

    /// Checks `--pid`, as `estimate` and `capture` take it: each pid positive and given once.
    static func validate(pids: [Int32]) throws {
        for pid in pids { try requireOption("--pid", pid, in: 1...Int32.max, unbounded: true) }
        guard Set(pids).count == pids.count else { throw ValidationError("each --pid may be given once") }
    }

    /// Checks `--range`, as `estimate` and `capture` take it: `START-END` in hex, START < END.
    static func validate(range: String?) throws {
        if let range, parseRange(range) == nil { throw ValidationError("--range must be START-END in hex with START < END") }
    }

    /// `START-END` in hex (`0x` optional).
    static func parseRange(_ text: String) -> Range<UInt64>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        func hex(_ s: Substring) -> UInt64? { UInt64(s.hasPrefix("0x") || s.hasPrefix("0X") ? s.dropFirst(2) : s, radix: 16) }
        guard let a = hex(parts[0]), let b = hex(parts[1]), a < b else { return nil }
        return a..<b
    }
}
