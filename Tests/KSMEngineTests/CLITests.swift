import Glibc
import Testing

@testable import KSMEngine

/// `ksmd-sim` as its users meet it: the built binary run with arguments, its exit status and
/// output lines checked.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct CLITests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// A running `ksmd-sim`, its output going to temporary files.
    struct Child {
        var pid: pid_t
        var paths: [String]

        func read(_ i: Int) -> String { (try? ProcFiles.read(paths[i]).get()) ?? "" }

        /// Waits for its end; its exit status (128 + N when killed by signal N) and output.
        func wait() -> Outcome {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            defer { for p in paths { unlink(p) } }
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return Outcome(status: code, stdout: read(0), stderr: read(1))
        }
    }

    /// Starts `ksmd-sim ARGS`, stdin from /dev/null, stdout and stderr to temporary files.
    static func start(_ args: [String]) throws -> Child {
        var paths: [String] = []
        for _ in 0..<2 {
            var template = Array("/tmp/ksmd-sim-cli-XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            try #require(fd >= 0)
            close(fd)
            paths.append(String(cString: template))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, paths[0], O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, paths[1], O_WRONLY | O_TRUNC, 0)
        let exe = FuzzTests.ksmdSim!
        var argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, exe, &actions, nil, &argv, environ) == 0)
        return Child(pid: pid, paths: paths)
    }

    /// Runs `ksmd-sim ARGS` to its end.
    static func ksmdSim(_ args: [String]) throws -> Outcome { try start(args).wait() }

    /// The path of a file of `examples/`.
    static func example(_ name: String) -> String { packageRoot + "/examples/" + name }

    /// Writes `text` to a temporary `.json` file and returns its path.
    static func scenarioFile(_ text: String) throws -> String {
        var template = Array("/tmp/ksmd-sim-cli-XXXXXX.json".utf8CString)
        let fd = mkstemps(&template, 5)
        try #require(fd >= 0)
        var t = text
        _ = t.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(cString: template)
    }

    // MARK: Subcommands

    @Test func unknownSubcommandListsTheSubcommands() throws {
        let r = try Self.ksmdSim(["frobnicate"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        let line = String(r.stderrLines.first ?? "")
        #expect(line.hasPrefix("ksmd-sim: unknown subcommand \"frobnicate\""))
        for name in ["demo", "run", "compare", "kernel", "estimate", "random", "bench", "soak"] {
            #expect(line.contains(name), "\(name) missing from: \(line)")
        }
        #expect(!line.contains("Usage: ksmd-sim demo"))
    }

    @Test func noArgumentsStillRunsTheDemo() throws {
        let r = try Self.ksmdSim([])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ksmd-sim demonstration"))
        #expect(r.stdout.contains("linux-6.17"))
        #expect(r.stderr.isEmpty)
    }

    // MARK: Numbers

    /// A negative (or zero) number gets a line saying what is wrong, not "Missing value" (a
    /// leading "-" read as a flag).
    @Test(arguments: [
        (["bench", "--pages", "-1"], "bench: --pages must be between 1 and 268435456, got -1"),
        (["bench", "--threads", "-2"], "bench: --threads must be between 1 and 256, got -2"),
        (["bench", "--repeat", "-1"], "bench: --repeat must be between 1 and 1000, got -1"),
        (["bench", "--poll-sleep-us", "-1"], "bench: --poll-sleep-us must be between 0 and 1000000, got -1"),
        (["bench", "--duplicate-ratio", "-0.5"], "bench: --duplicate-ratio must be at least 0 and below 1, got -0.5"),
        (["estimate", "--pid", "-1"], "estimate: --pid must be a positive number, got -1"),
        (["estimate", "--pid", "1", "--memory-budget-mib", "-1"], "estimate: --memory-budget-mib must be between 1 and"),
        (["run", "x.json", "--memory-budget-mib", "-5"], "run: --memory-budget-mib must be between 1 and"),
        (["random", "--steps", "-3"], "random: --steps must be between 1 and 100000, got -3"),
        (["random", "--seed", "-1"], "it must be an integer from 0 to 18446744073709551615"),
        (["soak", "--operations", "-1"], "soak: --operations must be a positive number, got -1"),
        (["soak", "--seed", "-9"], "it must be an integer from 0 to 18446744073709551615"),
    ])
    func negativeNumbersSayWhatIsWrong(args: [String], message: String) throws {
        let r = try Self.ksmdSim(args)
        #expect(r.status == 64)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Missing value"))
    }

    // MARK: Scenario errors

    /// The error line of a failed scenario names its file, whatever the library's message.
    @Test(arguments: [
        (#"{"ksm": {"max_page_sharing": 1}, "steps": [{"op": "spawn", "process": "a"}]}"#, "\"ksm\""),
        (#"{"steps": [{"op": "spawn", "process": "a"}, {"op": "ksm", "pages_to_scan": -1}]}"#, "step 1"),
        (#"{"steps": [{"op": "spawn", "process": "a"}, {"op": "ksm", "max_page_sharing": 1}]}"#, "step 1 (ksm)"),
    ])
    func failedScenarioNamesItsFile(text: String, fragment: String) throws {
        let path = try Self.scenarioFile(text)
        defer { unlink(path) }
        for command in [["run", path], ["compare", path, "--rules", "linux-6.17"]] {
            let r = try Self.ksmdSim(command)
            #expect(r.status == 65)
            #expect(r.stderrLines.count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("ksmd-sim: \(path): "), "\(r.stderr)")
            #expect(r.stderr.contains(fragment), "\(r.stderr)")
        }
    }

    // MARK: Rule sets

    @Test func estimateTakesRuleSetFilesLikeCompare() throws {
        // A small process of our own to estimate.
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { for a in argv { free(a) } }
        try #require(posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ) == 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let file = try Self.ksmdSim(["estimate", "--pid", "\(pid)", "--rules", Self.example("custom-rules.json")])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout.hasPrefix("KSM estimate: 1 process, rules pfnmap-allowed-early-files"), "\(file.stdout)")
        let compare = try Self.ksmdSim([
            "compare", Self.example("custom-rules.json"), "--rules", Self.example("custom-rules.json"),
        ])
        #expect(compare.status == 0)
        #expect(compare.stdout.contains("pfnmap-allowed-early-files"))
        for command in [
            ["estimate", "--pid", "\(pid)", "--rules", "no-such-rules"],
            ["compare", Self.example("fork-cow.json"), "--rules", "no-such-rules"],
        ] {
            let r = try Self.ksmdSim(command)
            #expect(r.status == 64)
            #expect(r.stderrLines.count == 1)
            #expect(
                r.stderr.contains("unknown rule set \"no-such-rules\": not a built-in name (linux-6.17, linux-6.4) nor a file"))
        }
    }

    // MARK: Output

    @Test func summaryLeavesOutThePerReportTables() throws {
        let full = try Self.ksmdSim(["run", Self.example("fleet-convergence.json")])
        let r = try Self.ksmdSim(["run", Self.example("fleet-convergence.json"), "--summary"])
        #expect(r.status == 0 && full.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 6, "\(r.stdout)")
        #expect(lines.contains("knobs: run 1, pages_to_scan 100, sleep_millisecs 20"), "the knobs at the report")
        #expect(!lines.contains { $0.hasPrefix("process ") || $0.hasPrefix("  pages") })
        #expect(lines.first == "simulator, rules linux-6.17; 2 reports, the last:")
        #expect(lines.contains { $0.hasPrefix("50 live processes, summed: vmas 50, mergeable_vmas 50, ksm_rmap_items 25600") })
        #expect(lines.last?.hasPrefix("converged after ") == true)
        // The counters are the full output's last report's.
        let fullKSM = full.stdout.split(separator: "\n").filter { $0.hasPrefix("ksm: ") }
        #expect(lines.filter { $0.hasPrefix("ksm: ") } == [fullKSM.last])
        #expect(full.stdout.split(separator: "\n").count > 5 * lines.count)

        let compare = try Self.ksmdSim([
            "compare", Self.example("fleet-vmas.json"), "--rules", "linux-6.4,linux-6.17", "--summary",
        ])
        #expect(compare.status == 0)
        #expect(compare.stdout.contains("all processes"))
        #expect(!compare.stdout.contains("process "))
    }

    /// For a scenario with transparent huge pages, `run` (with and without `--summary`) and
    /// `compare` end with the huge pages lost beside the bytes saved, and the numbers are the
    /// reports' own: AnonHugePages summed over the processes at the first report and the last,
    /// the last report's thp_split_page, and (pages_sharing + ksm_zero_pages) * 4096.
    @Test func thpRunsSayHugePagesLostBesideBytesSaved() throws {
        let file = packageRoot + "/Tests/Scenarios/thp-ksm-split.json"
        let j = try Self.ksmdSim(["run", file, "--json"])
        #expect(j.status == 0, "\(j.stderr)")
        let reports = try #require(
            { () -> [JSON]? in
                if case .array(let a)? = try? JSON.parse(j.stdout)["reports"] { return a }
                return nil
            }())
        func int(_ v: JSON?) throws -> Int {
            guard case .int(let n)? = v else { throw ScenarioError("not an integer: \(String(describing: v))") }
            return n
        }
        func anonHugeKB(_ r: JSON) throws -> Int {
            guard case .object(let processes)? = r["processes"] else { throw ScenarioError("no processes") }
            var kb = 0
            for (_, p) in processes {
                guard case .array(let vmas)? = p["vmas"] else { throw ScenarioError("no vmas") }
                for v in vmas { kb += try int(v["anon_huge_kb"]) }
            }
            return kb
        }
        let first = try #require(reports.first)
        let last = try #require(reports.last)
        let firstKB = try anonHugeKB(first)
        let lastKB = try anonHugeKB(last)
        let split = try int(last["thp"]?["thp_split_page"])
        let saved = (try int(last["ksm"]?["pages_sharing"]) + int(last["ksm"]?["ksm_zero_pages"])) * 4096
        // The scenario does lose huge pages to merging: the line has something to say.
        #expect(firstKB > lastKB && split > 0 && saved > 0)
        let expected =
            "huge pages: AnonHugePages \(firstKB) kB (\(firstKB / 2048) huge pages of 2 MiB) at the first report, "
            + "\(lastKB) kB (\(lastKB / 2048)) at the last: \((firstKB - lastKB) / 2048) lost, "
            + "thp_split_page \(split); saved \(saved) bytes"
        for args in [["run", file], ["run", file, "--summary"]] {
            let r = try Self.ksmdSim(args)
            #expect(r.status == 0)
            #expect(r.stdout.split(separator: "\n").last.map(String.init) == expected, "\(args): \(r.stdout)")
        }
        let compare = try Self.ksmdSim(["compare", file, "--rules", "linux-6.4,linux-6.17", "--summary"])
        #expect(compare.status == 0)
        let row = "\(firstKB)  \(lastKB)  \((firstKB - lastKB) / 2048)  \(split)  \(saved)"
        #expect(
            compare.stdout.split(separator: "\n").filter {
                $0.split(separator: " ").filter { !$0.isEmpty }.dropFirst().joined(separator: "  ") == row
            }.count == 2, "\(compare.stdout)")
        // A scenario without huge pages has no such line.
        let plain = try Self.ksmdSim(["run", Self.example("fork-cow.json")])
        #expect(plain.status == 0 && !plain.stdout.contains("huge pages"))
    }

    /// A scenario ending in a `report` step has no "final" report repeating it; one ending in
    /// another step has one.
    @Test func noDuplicatedFinalReport() throws {
        let endsInReport = try Self.ksmdSim(["run", Self.example("merge-any-vmas.json")])
        #expect(endsInReport.status == 0)
        #expect(
            endsInReport.stdout.split(separator: "\n").filter { $0.hasPrefix("== ") }.map { String($0.prefix(9)) } == [
                "== mapped", "== merged",
            ])
        let endsInScan = try Self.ksmdSim(["run", Self.example("fork-cow.json")])
        #expect(endsInScan.status == 0)
        #expect(endsInScan.stdout.split(separator: "\n").last { $0.hasPrefix("== ") }?.hasPrefix("== final") == true)
    }

    @Test func chartSubtitleShowsShortRunsTime() throws {
        let svg = "/tmp/ksmd-sim-cli-\(getpid()).svg"
        let csv = "/tmp/ksmd-sim-cli-\(getpid()).csv"
        defer {
            unlink(svg)
            unlink(csv)
        }
        let r = try Self.ksmdSim(["run", Self.example("selftest-merge.json"), "--plot", svg, "--csv", csv])
        #expect(r.status == 0)
        let text = try ProcFiles.read(svg).get()
        // The samples span 0 to a few hundredths of a second (the end of the batch that completed
        // the third full scan): the subtitle gives that to three significant digits ("0.0–0.0 s"
        // before), the last sample's time as the CSV has it.
        let lastRow = try ProcFiles.read(csv).get().split(separator: "\n").last.map(String.init) ?? ""
        let last = try #require(Double(lastRow.split(separator: ",").first.map(String.init) ?? ""))
        let prefix = "full scans 0–3, simulated time 0–"
        let start = try #require(text.range(of: prefix), "\(text.prefix(2000))")
        let shown = try #require(Double(text[start.upperBound...].prefix { $0 != " " }), "\(text.prefix(2000))")
        #expect(last > 0.001 && abs(shown - last) <= last * 0.005, "subtitle \(shown) s, last sample \(last) s")
    }

    /// An output file that cannot be created is EX_CANTCREAT (73), as for `capture`, not a data
    /// error: the scenario was fine.
    @Test(arguments: ["--csv", "--plot"])
    func anOutputThatCannotBeCreatedExits73(option: String) throws {
        let r = try Self.ksmdSim(["run", Self.example("selftest-merge.json"), option, "/nonexistent-dir/out"])
        #expect(r.status == 73)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("cannot write /nonexistent-dir/out: No such file or directory"), "\(r.stderr)")
    }
}

/// `ksmd-sim kernel` before it takes over the host's KSM: the warning, the wait for another run's
/// lock, the refusal while another process uses KSM, and `--force`. Nothing here writes the knobs
/// but the host runner itself, under its lock.
@Suite(
    .serialized,
    .enabled(
        if: HostKernel.available && FuzzTests.ksmdSim != nil,
        "needs root, /sys/kernel/mm/ksm and ksmd-sim built next to the tests"))
struct KernelCommandTests {
    static let warning =
        "ksmd-sim: kernel: this run writes run=2 to /sys/kernel/mm/ksm, which unmerges every KSM page of every process on this host (running VMs included)"

    @Test func saysWhenItWaitsForAnotherRun() throws {
        // Another run, as far as the lock goes.
        let fd = open(HostKSMControl.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        flock(fd, LOCK_EX)
        let child = try CLITests.start(["kernel", CLITests.example("selftest-merge.json")])
        let deadline = WorkerProcess.monotonicSeconds() + 60
        while !child.read(1).contains("waiting for another") && WorkerProcess.monotonicSeconds() < deadline { usleep(10_000) }
        // Still blocked on the lock, before it saved or wrote anything.
        kill(child.pid, SIGKILL)
        let r = child.wait()
        flock(fd, LOCK_UN)
        close(fd)
        #expect(r.status == 128 + SIGKILL)
        #expect(r.stdout.isEmpty)
        let lines = r.stderrLines
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(lines.first?.hasPrefix(Self.warning) == true)
        #expect(
            lines.last == "ksmd-sim: kernel: waiting for another ksmd-sim host run (lock \(HostKSMControl.lockPath))...")
    }

    /// A process registered with ksmd (a mergeable mapping with no page in it, so that ksmd of
    /// other runs finds nothing to count) makes `kernel` refuse; `--force` runs anyway.
    @Test func refusesWhileAnotherProcessUsesKSMUnlessForced() throws {
        try HostKernel.withKnobTestLock {
            let worker = try #require(HostKernelBackend.defaultWorkerPath())
            let user = try WorkerProcess.spawn(path: worker, executable: worker, name: "user")
            defer { user.kill() }
            let address = try #require(try user.call("mmap 0 1048576 3 34 0 0"))  // rw, MAP_PRIVATE | MAP_ANONYMOUS
            try user.call("madvise \(address) 1048576 12")  // MADV_MERGEABLE
            #expect(HostKSMUsers.current(workerGraceSeconds: 0).processes.contains { $0.pid == user.pid && $0.mergeable })

            let refused = try CLITests.ksmdSim(["kernel", CLITests.example("selftest-merge.json")])
            #expect(refused.status == 75)
            #expect(refused.stdout.isEmpty)
            // The warning, the refusal, and between them the wait if another run (another test) held the lock.
            let lines = refused.stderrLines.filter { !$0.hasPrefix("ksmd-sim: kernel: waiting for another ksmd-sim host run") }
            #expect(lines.count == 2, "\(refused.stderr)")
            #expect(lines.first?.hasPrefix(Self.warning) == true)
            let line = String(lines.last ?? "")
            #expect(line.hasPrefix("ksmd-sim: kernel: refused, other processes use KSM ("), "\(line)")
            #expect(line.contains("pid \(user.pid) (ksm-worker): registered with ksmd"), "\(line)")
            #expect(line.hasSuffix("--force runs anyway"))

            let forced = try CLITests.ksmdSim(["kernel", "--force", "--compare", CLITests.example("selftest-merge.json")])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout == "simulator and kernel agree on all 3 reports\n")
        }
    }
}
