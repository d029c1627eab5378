import Glibc

/// One full scan of the host kernel's ksmd, timed: wall-clock time between two increments of
/// `full_scans`, and ksmd's time on a CPU and waiting for one (`/proc/PID/schedstat`).
public struct HostPass: Sendable, Equatable {
    /// Wall-clock seconds (`CLOCK_MONOTONIC`) from the previous increment (or the write of run=1)
    /// to this one.
    public var seconds: Double
    /// Seconds ksmd ran on a CPU during the pass.
    public var cpuSeconds: Double
    /// Seconds ksmd was runnable but waited for a CPU during the pass: the load it met.
    public var runQueueSeconds: Double
}

/// A ``CalibrationWorkload`` on the host kernel: one `ksm-worker` with the workload's pages and
/// contents (as ``HostKernelBenchmark`` writes them), the knobs set, then run=1 and the time of
/// every increment of `full_scans` up to ``CalibrationWorkload/passes``, then run=0.
///
/// Everything goes through ``HostKernelBackend``: the host lock is held for the run, the knobs are
/// saved, reset (run=2) and restored at the end, on errors and on signals. Needs root.
public struct HostCalibrationRun: Sendable {
    /// The workload.
    public var workload: CalibrationWorkload
    /// The worker binary; `nil` looks next to the running executable, then `$KSM_WORKER`.
    public var workerPath: String?

    /// A run of `workload`; see the properties.
    public init(workload: CalibrationWorkload, workerPath: String? = nil) {
        self.workload = workload
        self.workerPath = workerPath
    }

    /// What one run measured.
    public struct Result: Sendable {
        /// Every pass in order.
        public var passes: [HostPass]
        /// The 1-minute load average when the run started (`/proc/loadavg`).
        public var loadAverage: Double
        /// The counters at the end, `pages_scanned` counted from the start.
        public var counters: KSMCounters
        /// Other processes KSM scanned during the run ("PID (comm)").
        public var otherProcesses: [String]
    }

    /// Runs the workload; the knobs are restored before it returns or throws.
    /// - Throws: ``ScenarioError``, one line: not root, no KSM, a refused step, a stalled ksmd.
    /// - Complexity: O(`pages`) writes, then `passes` full scans of the real ksmd.
    public func run(onLockWait: (String) -> Void = { _ in }) throws(ScenarioError) -> Result {
        try HostKernelBenchmark.checkHost()
        try workload.check()
        guard HostKernelBenchmark.firstPage + workload.pages <= SimulatedKernel.windowPages else {
            throw ScenarioError("\(workload.pages) pages do not fit the worker's window")
        }
        return try HostKernelBenchmark.withHostBackend(
            workerPath: workerPath, onLockWait: onLockWait, context: "host kernel: \(workload.name)", measure)
    }

    private func measure(_ backend: HostKernelBackend) throws -> Result {
        let fills = FillGenerator()
        let p = HostKernelBenchmark.process
        let at = HostKernelBenchmark.firstPage
        let w = workload
        try backend.perform(.spawn(p), fills: fills)
        try backend.perform(
            .mmap(p, at: at, pages: w.pages, prot: .readWrite, MapSpec(map: "private-anon", request: .privateAnonymous)),
            fills: fills)
        try backend.perform(.madvise(p, at: at, pages: w.pages, advice: .mergeable), fills: fills)
        guard let pid = backend.hostPID(p) else { throw ScenarioError("the calibration worker has no pid") }
        let bench = HostKernelBenchmark(pages: w.pages, duplicateRatio: w.duplicateRatio, workerPath: workerPath)
        _ = try bench.writeContents(pid: pid, at: HostKernelBackend.windowBase + UInt64(at) * HostKernelBackend.pageBytes)
        var others = HostKernelBenchmark.otherKSMProcesses(excluding: pid)
        try backend.perform(
            .ksmKnobs([
                KnobSetting(name: "smart_scan", value: .int(w.smartScan ? 1 : 0)),
                KnobSetting(name: "pages_to_scan", value: .int(w.pagesToScan)),
                KnobSetting(name: "sleep_millisecs", value: .int(w.sleepMillisecs)),
            ]), fills: fills)
        let load = Self.loadAverage()
        let passes = try timePasses(w.passes)
        for o in HostKernelBenchmark.otherKSMProcesses(excluding: pid) where !others.contains(o) { others.append(o) }
        let report = try backend.report(label: "calibrate", processes: [p])
        return Result(passes: passes, loadAverage: load, counters: report.ksm, otherProcesses: others)
    }

    /// The 1-minute load average (`/proc/loadavg`), or -1 when it cannot be read.
    public static func loadAverage() -> Double {
        guard case .success(let text) = ProcFiles.read("/proc/loadavg") else { return -1 }
        return text.split(separator: " ").first.flatMap { Double($0) } ?? -1
    }

    /// run=1, then the time of each increment of full_scans up to `total` (read every 100 µs, with
    /// ksmd's schedstat), then run=0.
    private func timePasses(_ total: Int) throws -> [HostPass] {
        let dir = HostKernelBackend.ksmDirectory
        guard let fullScans = SysfsCounter("\(dir)/full_scans"), let scanned = SysfsCounter("\(dir)/pages_scanned") else {
            throw ScenarioError("cannot open \(dir)/full_scans or pages_scanned")
        }
        defer {
            fullScans.close()
            scanned.close()
        }
        guard let ksmd = KsmdThread.find(), ksmd.fd >= 0 else {
            throw ScenarioError("cannot read ksmd's /proc/PID/schedstat: calibration needs its CPU time")
        }
        defer { ksmd.close() }
        var marks: [(time: Double, sched: (Double, Double))] = []
        marks.reserveCapacity(total + 1)
        var seen = fullScans.read()
        let base = seen
        let start = ScanBenchmark.now()
        marks.append((start, ksmd.schedstat()))
        let rc = HostKSMControl.writeFile("\(dir)/run", "1")
        guard rc == 0 else { throw ScenarioError("run=1 refused: \(String(cString: strerror(rc)))") }
        defer { _ = HostKSMControl.writeFile("\(dir)/run", "0") }
        var lastProgress = start
        var lastScanned = scanned.read()
        while seen - base < total {
            let fs = fullScans.read()
            if fs > seen {
                let t = ScanBenchmark.now()
                let s = ksmd.schedstat()
                for _ in seen..<min(fs, base + total) { marks.append((t, s)) }
                seen = fs
                lastProgress = t
                continue
            }
            usleep(100)
            let t = ScanBenchmark.now()
            let s = scanned.read()
            if s != lastScanned {
                lastScanned = s
                lastProgress = t
            } else if t - lastProgress > 30 {
                throw ScenarioError("ksmd made no progress for 30 s (full_scans \(seen - base), pages_scanned \(s))")
            }
        }
        _ = HostKSMControl.writeFile("\(dir)/run", "0")
        return zip(marks, marks.dropFirst()).map { a, b in
            HostPass(seconds: b.time - a.time, cpuSeconds: b.sched.0 - a.sched.0, runQueueSeconds: b.sched.1 - a.sched.1)
        }
    }
}

extension HostCalibrationRun {
    /// The running kernel's `CONFIG_HZ`, from `/boot/config-RELEASE` (`uname -r`), else from
    /// `/proc/config.gz` (through `gzip -dc`); `nil` when neither has the line.
    public static func kernelHZ() -> Int? {
        func hz(_ text: String) -> Int? {
            for line in text.split(separator: "\n") where line.hasPrefix("CONFIG_HZ=") {
                return Int(line.dropFirst("CONFIG_HZ=".count))
            }
            return nil
        }
        var u = utsname()
        if uname(&u) == 0 {
            let release = withUnsafeBytes(of: u.release) { b in String(decoding: b.prefix { $0 != 0 }, as: UTF8.self) }
            if case .success(let text) = ProcFiles.read("/boot/config-\(release)"), let v = hz(text) { return v }
        }
        guard access("/proc/config.gz", R_OK) == 0, let pipe = popen("gzip -dc /proc/config.gz 2>/dev/null", "r") else {
            return nil
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, pipe)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        pclose(pipe)
        return hz(String(decoding: bytes, as: UTF8.self))
    }
}
