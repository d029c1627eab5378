import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario over a grid of KSM knob values and rule sets, in parallel processes.",
        discussion: """
            Each --set KNOB=V1,V2,... adds a knob (sysfs name) and its values; the grid is the cartesian product \
            of the knobs' values and the rule sets. A point's knob values replace the scenario's top-level "ksm" \
            setting of the same knob (ksm steps later in the scenario still apply). Each point runs in its own \
            ksmd-sim process; a point that fails reports its error and the others go on (exit status 1). \
            `sweep merge FILES...` joins the JSON of --shard runs into the whole sweep's JSON.
            """,
        subcommands: [SweepRun.self, SweepMerge.self],
        defaultSubcommand: SweepRun.self)
}

struct SweepRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the grid (the default: `ksmd-sim sweep FILE --set ...`).")

    @Argument(help: "The scenario file.")
    var file: String

    @Option(name: .customLong("set"), help: "KNOB=V1,V2,...: a knob and its values (repeatable).")
    var settings: [String] = []

    @Option(help: "Comma-separated rule sets (names or rule-set files); default: the scenario's own.")
    var rules: String?

    @Option(parsing: .unconditional, help: "Points run at once (default: the number of CPUs).")
    var jobs: Int?

    @Flag(help: "Print {\"grid\":{...},\"points\":[{\"index\":0,\"knobs\":{...},\"rules\":...,\"summary\":{...}},...]}.")
    var json = false

    @Flag(help: "Print one CSV row per point.")
    var csv = false

    @Option(help: "Draw saved pages against ksmd CPU seconds (the frontier) and time to 90% as an SVG figure.")
    var plot: String?

    @Option(help: "K/N: run only the points whose index is K-1 modulo N (for batch systems; join with `sweep merge`).")
    var shard: String?

    @OptionGroup var memoryBudget: MemoryBudgetOption

    @Option(help: "A cost-model file for the simulated clock (ksmd-sim calibrate writes one; default: the built-in model).")
    var costModel: String?

    @Option(help: ArgumentHelp(visibility: .private))
    var point: Int?

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv exclude each other") }
        if let jobs { try requireOption("--jobs", jobs, in: 1...1024) }
        if let r = rules {
            let items = r.split(separator: ",", omittingEmptySubsequences: false)
            guard items.allSatisfy({ !$0.isEmpty }) else {
                throw ValidationError("--rules needs rule-set names or files, separated by commas")
            }
        }
        do {
            if let shard { _ = try SweepGrid.parseShard(shard) }
            for s in settings { _ = try SweepGrid.parseSetting(s) }
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let scenario = try loadScenario(file)
        let model = try loadCostModel(costModel)
        let ruleSets: [EligibilityRules] =
            try rules.map { try $0.split(separator: ",").map { try loadRuleSet(String($0)) } } ?? [scenario.rules]
        let grid: SweepGrid
        do {
            grid = try SweepGrid(knobs: settings.map { try SweepGrid.parseSetting($0) }, rules: ruleSets.map(\.name))
        } catch {
            printError("sweep: \(error)")
            throw Exit.usage
        }
        let jobs = self.jobs ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let budgetPages = memoryBudget.pages(share: jobs)  // the default is shared by the jobs

        if let index = point {
            // One point, in a process of its own: the summary on stdout, or one error line.
            let p: SweepPoint
            do { p = try grid.point(index) } catch {
                printError("sweep: \(error)")
                throw Exit.usage
            }
            guard let r = ruleSets.first(where: { $0.name == p.rules }) else { throw Exit.usage }
            do {
                print(try p.run(scenario, rules: r, memoryBudgetPages: budgetPages, costModel: model).json.serialized())
            } catch {
                printError("\(file): \(error.description)")
                throw Exit.dataError
            }
            return
        }

        var indices = Array(0..<grid.count)
        if let shard {
            let (k, n) = try SweepGrid.parseShard(shard)
            indices = try grid.shard(k, of: n)
        }
        var arguments = [file] + settings.flatMap { ["--set", $0] } + (rules.map { ["--rules", $0] } ?? [])
        arguments += ["--memory-budget-mib", "\(max(1, memoryBudget.bytes(share: jobs) >> 20))"]
        if let costModel { arguments += ["--cost-model", costModel] }
        let outcomes = try PointRunner.run(indices, jobs: jobs, arguments: arguments)
        let result: SweepResult
        do {
            result = try SweepResult(
                grid: grid,
                points: indices.map {
                    SweepResult.Point(point: try grid.point($0), outcome: outcomes[$0] ?? .failed("the point's process was lost"))
                })
        } catch {
            printError("sweep: \(error)")
            throw Exit.dataError
        }
        // The results first: a plot that cannot be written must not lose the sweep's output.
        if json {
            print(result.json.serialized(pretty: true))
        } else if csv {
            print(result.csv, terminator: "")
        } else {
            print("\(file): \(result.points.count) point\(result.points.count == 1 ? "" : "s")")
            print(result.text, terminator: "")
        }
        if let plot { try writeFile(plot, result.chart(title: "KSM sweep: \(file)")) }
        if result.hasFailures {
            for p in result.points { if case .failed(let e) = p.outcome { printError("sweep: point \(p.point.index): \(e)") } }
            throw ExitCode(1)
        }
    }
}

struct SweepMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Join the JSON of --shard runs into the JSON of the whole sweep.")

    @Argument(help: "The slices' JSON files (sweep --shard K/N --json).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name the slices' JSON files") }
    }

    func run() throws {
        var parts: [SweepResult] = []
        for f in files {
            let text = try readScenarioFile(f)
            do {
                parts.append(try SweepResult(json: JSON.parse(text)))
            } catch {
                printError("\(f): \(error)")
                throw Exit.dataError
            }
        }
        let merged: SweepResult
        do { merged = try SweepResult.merge(parts) } catch {
            printError("sweep merge: \(error)")
            throw Exit.dataError
        }
        print(merged.json.serialized(pretty: true))
        if merged.hasFailures { throw ExitCode(1) }
    }
}

/// Runs sweep points in child `ksmd-sim` processes, `jobs` at a time, each point's stdout and
/// stderr in temporary files; a progress line on a terminal.
enum PointRunner {
    /// A running point: its index and its output files (unlinked: nothing is left on disk, even
    /// when the sweep is interrupted).
    struct Child {
        var index: Int
        var stdout: Int32
        var stderr: Int32
    }

    static func run(_ indices: [Int], jobs: Int, arguments: [String]) throws -> [Int: SweepResult.Outcome] {
        guard let exe = selfExecutable() else {
            printError("sweep: cannot find the ksmd-sim executable (/proc/self/exe)")
            throw Exit.noInput
        }
        var pending = indices[...]
        var running: [pid_t: Child] = [:]
        var outcomes: [Int: SweepResult.Outcome] = [:]
        let progress = ProgressBar()
        defer { progress.finish() }
        while !pending.isEmpty || !running.isEmpty {
            while running.count < jobs, let i = pending.popFirst() {
                guard let out = anonymousFile(), let err = anonymousFile() else {
                    outcomes[i] = .failed("cannot create a temporary file: \(String(cString: strerror(errno)))")
                    continue
                }
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_adddup2(&actions, out, 1)
                posix_spawn_file_actions_adddup2(&actions, err, 2)
                let argv: [UnsafeMutablePointer<CChar>?] =
                    ([exe, "sweep", "run"] + arguments + ["--point", "\(i)"]).map { strdup($0) } + [nil]
                var pid: pid_t = 0
                let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
                posix_spawn_file_actions_destroy(&actions)
                for a in argv { free(a) }
                if rc != 0 {
                    close(out)
                    close(err)
                    outcomes[i] = .failed("cannot start a process: \(String(cString: strerror(rc)))")
                    continue
                }
                running[pid] = Child(index: i, stdout: out, stderr: err)
            }
            guard !running.isEmpty else { continue }
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                break
            }
            guard let child = running.removeValue(forKey: pid) else { continue }
            let stdout = readAll(child.stdout)
            let stderr = readAll(child.stderr)
            close(child.stdout)
            close(child.stderr)
            outcomes[child.index] = outcome(status: status, stdout: stdout, stderr: stderr)
            progress.update(outcomes.count, indices.count, "points")
        }
        for child in running.values {
            close(child.stdout)
            close(child.stderr)
        }
        return outcomes
    }

    /// A new temporary file, already unlinked, open for reading and writing (close-on-exec: a
    /// child gets it only as the descriptor it is given).
    static func anonymousFile() -> Int32? {
        var template = Array("/tmp/ksmd-sim-sweep-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return nil }
        unlink(template)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Everything written to `fd`, from its start.
    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = pread(fd, &buffer, buffer.count, offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: buffer[0..<n])
            offset += off_t(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A child's result: its summary, or its last error line (without the `ksmd-sim: ` prefix).
    static func outcome(status: Int32, stdout: String, stderr: String) -> SweepResult.Outcome {
        let signal = status & 0x7F
        let code = (status >> 8) & 0xFF
        let lastLine = stderr.split(separator: "\n").last.map(String.init) ?? ""
        let message = lastLine.hasPrefix("ksmd-sim: ") ? String(lastLine.dropFirst(10)) : lastLine
        guard signal == 0 else { return .failed("the point's process ended with signal \(signal)") }
        guard code == 0 else { return .failed(message.isEmpty ? "the point's process exited with status \(code)" : message) }
        do {
            return .summary(try RunSummary(json: JSON.parse(stdout)))
        } catch {
            return .failed("the point's output is not a summary: \(error)")
        }
    }
}

/// This executable's path (`/proc/self/exe`).
func selfExecutable() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
