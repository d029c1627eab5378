import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Kernel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file on this machine's real kernel and print the same reports.",
        discussion: """
            Needs root and /sys/kernel/mm/ksm. Worker processes replay the steps in a reserved address window. \
            The run takes over the host's KSM: it writes run=2, which unmerges every KSM page of every process \
            on the host (running VMs included), and restores every knob at the end (run=1 too if ksmd was \
            running; the unmerged pages then merge again only as ksmd rescans them). It waits while another \
            ksmd-sim host run holds the lock, and refuses to start while other processes use KSM \
            (/proc/PID/ksm_stat, /sys/kernel/mm/ksm counters) unless --force.
            """)

    @Argument(help: "The scenario file (JSON; see docs/scenario-format.md).")
    var file: String

    @Flag(help: "Print the reports as JSON: {\"reports\":[...]}.")
    var json = false

    @Flag(help: "Also run the scenario on the simulator and print every difference (exit 1 if any).")
    var compare = false

    @Flag(help: "Start even while other processes use KSM (run=2 unmerges their pages).")
    var force = false

    func run() throws {
        let scenario = try loadScenario(file)
        // Steps only the simulator runs are refused before the knobs are touched (run=2 unmerges
        // every KSM page on the host).
        if let why = HostKernelBackend.cannotRun(scenario) {
            printError("\(file): \(why)")
            throw Exit.dataError
        }
        // Said before it may wait for the lock; without root it ends at once with one line.
        if geteuid() == 0 {
            printError(
                "kernel: this run writes run=2 to /sys/kernel/mm/ksm, which unmerges every KSM page of every process "
                    + "on this host (running VMs included); the knobs are restored at the end")
        }
        let backend: HostKernelBackend
        var othersUseKSM = false
        do {
            backend = try HostKernelBackend(
                rules: scenario.rules,
                onLockWait: { printError("kernel: waiting for another ksmd-sim host run (lock \($0))...") },
                beforeTakeover: { [force] () throws(ScenarioError) in
                    guard !force else { return }
                    let users = HostKSMUsers.current()
                    guard users.isEmpty else {
                        othersUseKSM = true
                        throw ScenarioError(
                            "kernel: refused, other processes use KSM (\(users)): this run would scan their pages "
                                + "and its run=2 unmerge them; --force runs anyway")
                    }
                })
        } catch {
            printError(error.description)
            if othersUseKSM { throw Exit.temporaryFailure }
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
