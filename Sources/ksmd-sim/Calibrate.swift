import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this machine's ksmd and fit the simulator's cost model to it (root).",
        discussion: """
            Runs fixed workloads (one process; unique and duplicate pages; several sizes, pages_to_scan, \
            sleep_millisecs and smart_scan) on the host kernel, --repeat times each, timing every full scan's \
            wall-clock and ksmd CPU time (/proc/PID/schedstat), and fits the charge per page path, per batch \
            and per full scan (least squares on relative errors) and ksmd's wake-up latency; writes the model \
            as JSON (-o). --check instead runs other workloads on the host and on the simulator with a model \
            (--cost-model, default the built-in one) and prints each pass's errors; it exits 1 when a pass \
            misses the targets (wall within 10%, CPU within 25%). Each run takes over the host's KSM like \
            `ksmd-sim kernel`: it writes run=2, which unmerges every KSM page on the host, holds the host lock, \
            and restores every knob at the end.
            """)

    @Option(name: .shortAndLong, help: "Write the fitted model to this file.")
    var output: String?

    @Flag(help: "Compare the host's passes with the simulator's under --cost-model instead of fitting.")
    var check = false

    @Option(help: "The model --check uses (default: the built-in model).")
    var costModel: String?

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: "Kernel runs per workload; medians are used.")
    var repeatCount = 3

    @Option(parsing: .unconditional, help: "The kernel's CONFIG_HZ (default: from /boot/config-$(uname -r)).")
    var hz: Int?

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    @Option(
        name: .customLong("workload"),
        help:
            "With --check, a workload to run instead of the fixed set: PAGES:DUPLICATE_RATIO:PAGES_TO_SCAN:SLEEP_MILLISECS:SMART_SCAN(0|1):PASSES (repeatable)."
    )
    var workloads: [String] = []

    @Option(
        help:
            "Fit or check with the kernel passes of an earlier `calibrate --json` run (its \"workloads\") instead of measuring: needs no root."
    )
    var kernelPasses: String?

    /// `PAGES:RATIO:PTS:SLEEP:SMART:PASSES`.
    static func parseWorkload(_ text: String) throws -> CalibrationWorkload {
        let f = text.split(separator: ":", omittingEmptySubsequences: false)
        guard f.count == 6, let pages = Int(f[0]), let ratio = Double(f[1]), let pts = Int(f[2]), let sleep = Int(f[3]),
            let smart = Int(f[4]), smart == 0 || smart == 1, let passes = Int(f[5]), pages >= 1, pages <= 2_000_000,
            ratio >= 0, ratio < 1, pts >= 1, sleep >= 0, sleep <= 60_000, passes >= 1, passes <= 100
        else {
            throw ValidationError(
                "--workload \(text): want PAGES:DUPLICATE_RATIO:PAGES_TO_SCAN:SLEEP_MILLISECS:SMART_SCAN:PASSES, e.g. 10000:0.5:100:20:1:4 (pages 1 to 2000000, ratio 0 to below 1, smart_scan 0 or 1, passes 1 to 100)"
            )
        }
        return CalibrationWorkload(
            pages: pages, duplicateRatio: ratio, pagesToScan: pts, sleepMillisecs: sleep, smartScan: smart == 1, passes: passes)
    }

    func validate() throws {
        try requireOption("--repeat", repeatCount, in: 1...100)
        if let hz { try requireOption("--hz", hz, in: 1...10_000) }
        if check && output != nil { throw ValidationError("--check writes no model: drop -o") }
        if !check && output == nil { throw ValidationError("calibrate needs -o FILE for the model (or --check)") }
        if !check && costModel != nil { throw ValidationError("--cost-model goes with --check") }
        if !check && !workloads.isEmpty { throw ValidationError("--workload goes with --check") }
        if kernelPasses != nil && !workloads.isEmpty {
            throw ValidationError("--kernel-passes brings its own workloads: drop --workload")
        }
        for w in workloads { _ = try Self.parseWorkload(w) }
    }

    func run() throws {
        let model = try loadCostModel(costModel)
        if let kernelPasses {
            let measurements: [CalibrationMeasurement]
            do { measurements = try CalibrationMeasurement.load(comparisonJSON: try readScenarioFile(kernelPasses)) } catch let e
                as ScenarioError
            {
                printError("\(kernelPasses): \(e)")
                throw Exit.dataError
            }
            try finish(measurements, model: model, hz: hz ?? model.hz)
            return
        }
        do { try HostKernelBenchmark.checkHost() } catch {
            printError("calibrate: \(error)")
            throw Exit.noPermission
        }
        guard let hz = hz ?? HostCalibrationRun.kernelHZ() else {
            printError("calibrate: cannot find CONFIG_HZ in /boot/config-$(uname -r): give --hz")
            throw Exit.usage
        }
        printError(
            "calibrate: each run writes run=2 to /sys/kernel/mm/ksm, which unmerges every KSM page of every process "
                + "on this host; the knobs are restored after each")
        let workloads =
            !self.workloads.isEmpty
            ? try self.workloads.map(Self.parseWorkload)
            : check ? CalibrationWorkload.checkSet : CalibrationWorkload.calibrationSet
        var measurements: [CalibrationMeasurement] = []
        for (i, w) in workloads.enumerated() {
            printError("calibrate: \(i + 1)/\(workloads.count): \(w.name), \(w.passes) passes x \(repeatCount)")
            do {
                measurements.append(
                    try CalibrationMeasurement.measure(
                        w, repeat: repeatCount,
                        onLockWait: { printError("calibrate: waiting for another ksmd-sim host run (lock \($0))...") }))
            } catch {
                printError("calibrate: \(error)")
                throw Exit.dataError
            }
        }
        try finish(measurements, model: model, hz: hz)
    }

    /// Fits (or with --check, takes `model`), writes the model, prints the comparison.
    private func finish(_ measurements: [CalibrationMeasurement], model: KSMDCostModel, hz: Int) throws {
        let others = measurements.flatMap(\.otherProcesses)
        if !others.isEmpty {
            printError(
                "calibrate: other processes used KSM during the runs (\(others.joined(separator: ", "))): their pages were in every pass"
            )
        }
        let used: KSMDCostModel
        if check {
            used = model
        } else {
            do {
                used = try CostModelFit.fit(
                    measurements, prior: model, hz: hz, calibrated: Self.today(), machine: Self.machine())
            } catch {
                printError("calibrate: \(error)")
                throw Exit.dataError
            }
            try writeFile(output!, used.json.serialized(pretty: true) + "\n")
        }
        let comparison: CalibrationComparison
        do { comparison = try CalibrationComparison(measurements, model: used) } catch {
            printError("calibrate: \(error)")
            throw Exit.dataError
        }
        if json {
            print(comparison.json.serialized(pretty: true))
        } else {
            if !check { print("model written to \(output!); the calibration workloads under it:") }
            print(comparison.text)
        }
        if check && !comparison.targetsHold { throw ExitCode(1) }
    }

    /// Today's date in UTC, `YYYY-MM-DD`.
    static func today() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))"
    }

    /// "CPU model, N CPUs, Linux RELEASE".
    static func machine() -> String {
        var cpu = "unknown CPU"
        if let f = fopen("/proc/cpuinfo", "r") {
            defer { fclose(f) }
            var line = [CChar](repeating: 0, count: 512)
            while fgets(&line, Int32(line.count), f) != nil {
                let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if s.hasPrefix("model name"), let colon = s.firstIndex(of: ":") {
                    cpu = String(s[s.index(after: colon)...]).trimmingCharacters()
                    break
                }
            }
        }
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { b in String(decoding: b.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(cpu), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs, Linux \(release)"
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(
            drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" }).reversed())
    }
}
