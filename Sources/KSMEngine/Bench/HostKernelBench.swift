import Glibc

/// ``ScanBenchmark``'s workload on this machine's kernel: the same pages with the same contents in
/// one `ksm-worker` process, scanned by the real ksmd, so that `ksmd-sim bench --kernel` can print
/// simulator and kernel side by side.
///
/// The knobs: smart_scan 0, pages_to_scan as large as the kernel takes (4294967295: the store is
/// `kstrtouint`, so one batch ends only at the end of a full scan, where
/// `scan_get_next_rmap_item()` returns NULL), sleep_millisecs 0 (ksmd starts the next batch at once).
/// Each pass is timed by reading `full_scans` again and again (`pread` at offset 0,
/// `CLOCK_MONOTONIC`; see ``pollSleepMicroseconds``): the first pass from the write of run=1 to the
/// first increment, the merge pass to the next, a warm-up pass, then ``steadyScans`` passes whose
/// median is reported. ksmd's own on-CPU and run-queue time per pass come from
/// `/proc/PID/schedstat` of the ksmd thread, read at every increment.
///
/// To stop after exactly `3 + steadyScans` passes, sleep_millisecs becomes 60000 once ksmd is
/// inside the last batch (`pages_scanned` has moved past its value at the last increment), so that
/// it sleeps instead of starting another; run=0 follows. The counters are then checked against
/// ``ScanBenchmark/expectedCounters`` for the passes actually run (`pages_scanned` counted from the
/// start of the run).
///
/// Everything goes through ``HostKernelBackend``, which locks, saves and resets
/// `/sys/kernel/mm/ksm` and restores it at the end, on errors and on signals. Needs root.
public struct HostKernelBenchmark: Sendable {
    /// Pages of the workload, 4 KiB each.
    public var pages: Int
    /// The fraction of pages that repeat others' contents (0 to 1).
    public var duplicateRatio: Double
    /// Steady passes to time; the median is reported.
    public var steadyScans: Int = 3
    /// The worker binary; `nil` looks next to the running executable, then `$KSM_WORKER`.
    public var workerPath: String?
    /// Microseconds to sleep between two reads of `full_scans` (0 spins). Spinning gives the
    /// finest resolution but keeps a CPU busy: on a 2-core machine with any other load, ksmd
    /// (nice 5) then waits for a CPU most of the time and looks several times slower than it is.
    /// 100 µs costs about 0.15 ms of resolution, under 0.1% of a pass of 65,536 pages.
    public var pollSleepMicroseconds: Int = 100

    /// Creates the benchmark of ``ScanBenchmark``'s workload on the host kernel.
    ///
    /// - Parameters:
    ///   - pages: The pages the worker maps and writes.
    ///   - duplicateRatio: The fraction of pages that duplicate others.
    ///   - workerPath: The `ksm-worker` binary; `nil` looks next to the running executable, then
    ///     `$KSM_WORKER`.
    public init(pages: Int, duplicateRatio: Double, workerPath: String? = nil) {
        self.pages = pages
        self.duplicateRatio = duplicateRatio
        self.workerPath = workerPath
    }

    /// One timed pass: wall-clock time, and ksmd's time on a CPU and waiting for one.
    public struct Pass: Sendable {
        /// Wall-clock seconds from one increment of `full_scans` to the next.
        public var seconds: Double
        /// Seconds ksmd spent on a CPU during the pass (`/proc/PID/schedstat`, first field).
        public var cpuSeconds: Double
        /// Seconds ksmd spent runnable but waiting for a CPU during the pass (`/proc/PID/schedstat`,
        /// second field).
        public var runQueueSeconds: Double
    }

    /// One run's results.
    public struct Result: Sendable {
        /// The pages of the workload.
        public var pages: Int
        /// The fraction of duplicated pages.
        public var duplicateRatio: Double
        /// Pages per wall-clock second of the first pass (checksums only; nothing merges yet).
        public var firstScanPagesPerSecond: Double
        /// Pages per wall-clock second of the second pass, in which the duplicates merge.
        public var mergeScanPagesPerSecond: Double
        /// Pages per wall-clock second of the median steady pass (nothing changes any more).
        public var steadyScanPagesPerSecond: Double
        /// Pages per second of ksmd's own CPU time (`/proc/PID/schedstat`): what it reaches with a
        /// core to itself. Unlike wall-clock time, untouched by other runnable tasks (ksmd runs at
        /// nice 5), but only as fine as the scheduler's accounting (a tick while ksmd runs).
        public var firstScanCPUPagesPerSecond: Double
        /// Pages per second of ksmd's CPU time in the merge pass.
        public var mergeScanCPUPagesPerSecond: Double
        /// Pages per second of ksmd's CPU time in the median steady pass.
        public var steadyScanCPUPagesPerSecond: Double
        /// Every pass in order: first, merge, warm-up, steady ones.
        public var passes: [Pass]
        /// The pages_to_scan the kernel took.
        public var pagesToScan: Int
        /// The sleep_millisecs of the timed passes (0: ksmd starts the next batch at once).
        public var sleepMillisecs: Int
        /// The mean time between two reads of `full_scans`: the timing's resolution.
        public var pollSeconds: Double
        /// ``HostKernelBenchmark/pollSleepMicroseconds`` of the run.
        public var pollSleepMicroseconds: Int
        /// The counters after the run (`pages_scanned` counted from its start).
        public var counters: KSMCounters
        /// ``ScanBenchmark/expectedCounters`` for the passes the kernel ran.
        public var expectedCounters: KSMCounters
        /// The pages read back from the worker digest like the ones the simulator was given.
        public var contentsMatch: Bool
        /// Other processes KSM scanned during the run ("PID (comm)"): their pages were in every
        /// pass, so the numbers are not this workload's alone.
        public var otherProcesses: [String]
        /// Whether the kernel's counters are ``expectedCounters``.
        public var countersMatch: Bool { counters == expectedCounters }

        /// The result as `ksmd-sim bench --kernel --json` prints it (times rounded to microseconds).
        public var json: JSON {
            func r(_ v: Double, _ digits: Double = 1) -> JSON { v.isFinite ? .double((v * digits).rounded() / digits) : .null }
            return .object([
                ("pages", .int(pages)), ("duplicate_ratio", .double(duplicateRatio)),
                ("first_scan_pages_per_sec", r(firstScanPagesPerSecond)),
                ("merge_scan_pages_per_sec", r(mergeScanPagesPerSecond)),
                ("steady_scan_pages_per_sec", r(steadyScanPagesPerSecond)),
                ("first_scan_cpu_pages_per_sec", r(firstScanCPUPagesPerSecond)),
                ("merge_scan_cpu_pages_per_sec", r(mergeScanCPUPagesPerSecond)),
                ("steady_scan_cpu_pages_per_sec", r(steadyScanCPUPagesPerSecond)),
                (
                    "passes",
                    .array(
                        passes.map {
                            .object([
                                ("seconds", r($0.seconds, 1e6)), ("ksmd_cpu_seconds", r($0.cpuSeconds, 1e6)),
                                ("ksmd_runqueue_seconds", r($0.runQueueSeconds, 1e6)),
                            ])
                        })
                ),
                ("pages_to_scan", .int(pagesToScan)), ("sleep_millisecs", .int(sleepMillisecs)),
                ("poll_interval_us", r(pollSeconds * 1e6, 100)), ("poll_sleep_us", .int(pollSleepMicroseconds)),
                ("counters", .object(counters.fields.map { ($0.0, .int($0.1)) })),
                ("counters_match_expected", .bool(countersMatch)),
                ("contents_match_simulator", .bool(contentsMatch)),
                ("other_ksm_processes", .array(otherProcesses.map { .string($0) })),
            ])
        }
    }

    /// Refuses early, in one line, what would make ``run()`` fail at once: not root, no KSM.
    public static func checkHost() throws(ScenarioError) {
        guard geteuid() == 0 else {
            throw ScenarioError("measuring the host kernel needs root (it drives \(HostKernelBackend.ksmDirectory))")
        }
        guard access(HostKernelBackend.ksmDirectory, F_OK) == 0 else {
            throw ScenarioError("\(HostKernelBackend.ksmDirectory) is missing: the host kernel has no KSM")
        }
    }

    /// Where the pages go: past the heap region, so that every host call is one piece.
    static let firstPage = SimulatedKernel.heapRegion.upperBound
    static let process = "bench"

    /// Runs the workload on the host kernel; the knobs are restored before it returns or throws.
    ///
    /// - Complexity: O(`pages`) for the writes, then `3 + steadyScans` passes of the real ksmd.
    public func run() throws(ScenarioError) -> Result {
        try Self.checkHost()
        guard pages >= 1, Self.firstPage + pages <= SimulatedKernel.windowPages else {
            throw ScenarioError("--pages \(pages) does not fit the worker's window")
        }
        guard ScanBenchmark.isValid(pages: pages, duplicateRatio: duplicateRatio) else {
            throw ScenarioError("--duplicate-ratio \(duplicateRatio) is outside 0..<1")
        }
        return try Self.withHostBackend(workerPath: workerPath, context: "host kernel", measure)
    }

    /// Takes over the host's KSM in a new ``HostKernelBackend`` (the host's rule set), runs `body`
    /// with it and shuts it down, knobs restored; an error that is not a ``ScenarioError`` becomes
    /// one line starting with `context`. Shared by this benchmark and the calibration runs.
    static func withHostBackend<R>(
        workerPath: String?, onLockWait: (String) -> Void = { _ in }, context: String,
        _ body: (HostKernelBackend) throws -> R
    ) throws(ScenarioError) -> R {
        let rules = HostKernelBackend.hostKernelRules().1 ?? .linux6_17
        let backend = try HostKernelBackend(rules: rules, workerPath: workerPath, onLockWait: onLockWait)
        defer { backend.shutdown() }
        do {
            return try body(backend)
        } catch let e as ScenarioError {
            throw e
        } catch {
            throw ScenarioError("\(context): \(error)")
        }
    }

    private func measure(_ backend: HostKernelBackend) throws -> Result {
        let fills = FillGenerator()
        let p = Self.process
        let at = Self.firstPage
        try step("spawn the worker") { try backend.perform(.spawn(p), fills: fills) }
        try step("mmap \(pages) pages private-anon") {
            try backend.perform(
                .mmap(p, at: at, pages: pages, prot: .readWrite, MapSpec(map: "private-anon", request: .privateAnonymous)),
                fills: fills)
        }
        try step("madvise MADV_MERGEABLE") {
            try backend.perform(.madvise(p, at: at, pages: pages, advice: .mergeable), fills: fills)
        }
        guard let pid = backend.hostPID(p) else { throw ScenarioError("the worker for the benchmark has no pid") }
        let digest = try writeContents(pid: pid, at: HostKernelBackend.windowBase + UInt64(at) * HostKernelBackend.pageBytes)
        var others = Self.otherKSMProcesses(excluding: pid)

        // The knobs. pages_to_scan: the largest value the kernel takes.
        let knobs = HostKernelBackend.ksmDirectory
        try step("smart_scan=0") {
            try backend.perform(.ksmKnobs([KnobSetting(name: "smart_scan", value: .int(0))]), fills: fills)
        }
        var pagesToScan = Int(UInt32.max)
        if HostKSMControl.writeFile("\(knobs)/pages_to_scan", "\(pagesToScan)") != 0 {
            pagesToScan = pages
            try step("pages_to_scan=\(pages)") {
                try backend.perform(.ksmKnobs([KnobSetting(name: "pages_to_scan", value: .int(pages))]), fills: fills)
            }
        }
        try step("sleep_millisecs=0") {
            try backend.perform(.ksmKnobs([KnobSetting(name: "sleep_millisecs", value: .int(0))]), fills: fills)
        }

        let (passes, pollSeconds) = try timePasses(total: 3 + max(steadyScans, 1))

        for o in Self.otherKSMProcesses(excluding: pid) where !others.contains(o) { others.append(o) }
        let report = try backend.report(label: "bench", processes: [p])
        let counters = report.ksm
        var expected = ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio)
        expected.steadyScans = max(counters.fullScans - 3, 0)
        let n = Double(pages)
        func rate(_ seconds: Double) -> Double { seconds > 0 ? n / seconds : 0 }
        let steady = passes.dropFirst(3)
        return Result(
            pages: pages, duplicateRatio: duplicateRatio,
            firstScanPagesPerSecond: rate(passes[0].seconds), mergeScanPagesPerSecond: rate(passes[1].seconds),
            steadyScanPagesPerSecond: rate(BenchStatistics.median(steady.map(\.seconds))),
            firstScanCPUPagesPerSecond: rate(passes[0].cpuSeconds), mergeScanCPUPagesPerSecond: rate(passes[1].cpuSeconds),
            steadyScanCPUPagesPerSecond: rate(BenchStatistics.median(steady.map(\.cpuSeconds))),
            passes: passes, pagesToScan: pagesToScan, sleepMillisecs: 0, pollSeconds: pollSeconds,
            pollSleepMicroseconds: pollSleepMicroseconds,
            counters: counters, expectedCounters: expected.expectedCounters,
            contentsMatch: report.processes.first?.contentDigest == digest, otherProcesses: others)
    }

    /// Processes other than `pid` that ksmd scans (`ksm_mergeable: yes` in `/proc/PID/ksm_stat`:
    /// MADV_MERGEABLE VMAs or PR_SET_MEMORY_MERGE), as "PID (comm)".
    static func otherKSMProcesses(excluding pid: pid_t) -> [String] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let other = Int32(name), other != pid else { continue }
            guard case .success(let stat) = ProcFiles.read("/proc/\(other)/ksm_stat"), stat.contains("ksm_mergeable: yes") else {
                continue
            }
            let comm = (try? ProcFiles.read("/proc/\(other)/comm").get())?.trimmingWhitespace ?? "?"
            found.append("\(other) (\(comm))")
        }
        return found
    }

    /// Runs `body`, turning its error into one line naming `what`.
    private func step(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw ScenarioError("host kernel: \(what): \(error)")
        }
    }

    /// Writes ``ScanBenchmark``'s contents (``ScanBenchmark/fill(_:page:)``) through
    /// `/proc/PID/mem`, 1 MiB at a time; returns their ``ContentDigest``.
    func writeContents(pid: pid_t, at address: UInt64) throws -> UInt64 {
        let path = "/proc/\(pid)/mem"
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw HostError.system("open \(path)", errno) }
        defer { close(fd) }
        let pageBytes = Int(HostKernelBackend.pageBytes)
        let chunkPages = 256
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkPages * pageBytes, alignment: pageBytes)
        defer { buffer.deallocate() }
        let digest = ContentDigest()
        let workload = ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio)
        var i = 0
        while i < pages {
            let n = min(chunkPages, pages - i)
            for j in 0..<n {
                let page = i + j
                let slot = UnsafeMutableRawBufferPointer(start: buffer + j * pageBytes, count: pageBytes)
                workload.fill(slot, page: page)
                digest.add(UnsafeRawPointer(slot.baseAddress!))
            }
            var done = 0
            while done < n * pageBytes {
                let offset = off_t(Int64(bitPattern: address + UInt64(i * pageBytes + done)))
                let r = pwrite(fd, buffer + done, n * pageBytes - done, offset)
                if r <= 0 { throw HostError.system("write \(path) at page \(i + done / pageBytes)", r < 0 ? errno : EIO) }
                done += r
            }
            i += n
        }
        return digest.finish()
    }

    // MARK: Timing

    /// run=1, then the time of each full_scans increment up to `total`, and the mean time between
    /// two polls; ksmd is stopped (run=0) before it returns.
    private func timePasses(total: Int) throws -> (passes: [Pass], pollSeconds: Double) {
        let dir = HostKernelBackend.ksmDirectory
        guard let fullScans = SysfsCounter("\(dir)/full_scans"), let scanned = SysfsCounter("\(dir)/pages_scanned") else {
            throw ScenarioError("cannot open \(dir)/full_scans or pages_scanned")
        }
        defer {
            fullScans.close()
            scanned.close()
        }
        let ksmd = KsmdThread.find()
        defer { ksmd?.close() }
        var marks: [(time: Double, sched: (Double, Double))] = []
        marks.reserveCapacity(total + 1)
        var scannedAtMark = scanned.read()

        // Read before run=1: ksmd may finish a short pass before this thread runs again.
        var seen = fullScans.read()
        let start = ScanBenchmark.now()
        marks.append((start, ksmd?.schedstat() ?? (0, 0)))
        let rc = HostKSMControl.writeFile("\(dir)/run", "1")
        guard rc == 0 else { throw ScenarioError("run=1 refused: \(String(cString: strerror(rc)))") }
        defer { _ = HostKSMControl.writeFile("\(dir)/run", "0") }

        var armed = false
        var polls = 0
        var lastProgress = start
        var lastScanned = scannedAtMark
        let stallSeconds = 30.0
        while seen < total {
            let fs = fullScans.read()
            polls += 1
            if fs > seen {
                let t = ScanBenchmark.now()
                let s = ksmd?.schedstat() ?? (0, 0)
                for _ in seen..<min(fs, total) { marks.append((t, s)) }
                seen = fs
                scannedAtMark = scanned.read()
                lastProgress = t
                continue
            }
            if !armed && seen == total - 1 && scanned.read() > scannedAtMark {
                // Inside the last batch: once it ends, ksmd sleeps instead of starting another.
                _ = HostKSMControl.writeFile("\(dir)/sleep_millisecs", "60000")
                armed = true
            }
            if pollSleepMicroseconds > 0 { usleep(UInt32(pollSleepMicroseconds)) }
            if polls & 0xFFF == 0 || pollSleepMicroseconds > 0 {
                let t = ScanBenchmark.now()
                let s = scanned.read()
                if s != lastScanned {
                    lastScanned = s
                    lastProgress = t
                } else if t - lastProgress > stallSeconds {
                    throw ScenarioError(
                        "ksmd made no progress for \(Int(stallSeconds)) s (full_scans \(seen), pages_scanned \(s))")
                }
            }
        }
        let end = marks[marks.count - 1].time
        _ = HostKSMControl.writeFile("\(dir)/run", "0")  // waits for a batch in progress (ksm_thread_mutex)
        let passes = zip(marks, marks.dropFirst()).map { a, b in
            Pass(seconds: b.time - a.time, cpuSeconds: b.sched.0 - a.sched.0, runQueueSeconds: b.sched.1 - a.sched.1)
        }
        return (passes, polls > 0 ? (end - start) / Double(polls) : 0)
    }
}

/// A sysfs counter read again and again through one descriptor (`pread` at offset 0), without
/// allocating.
struct SysfsCounter {
    let fd: Int32

    init?(_ path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
    }

    func read() -> Int {
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { b in
            let n = pread(fd, b.baseAddress, b.count, 0)
            var value = 0
            for i in 0..<max(n, 0) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { break }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
    }

    func close() { _ = Glibc.close(fd) }
}

extension HostKernelBenchmark.Result {
    /// Per-field medians of several runs; passes, counters and contents of the first run that
    /// differs from what was expected, else of the first run.
    /// - Throws: ``Errno/EINVAL`` for no runs.
    public static func median(of runs: [Self]) throws(Errno) -> Self {
        guard !runs.isEmpty else { throw .EINVAL }
        var m = runs.first { !$0.countersMatch || !$0.contentsMatch } ?? runs[0]
        m.firstScanPagesPerSecond = BenchStatistics.median(runs.map(\.firstScanPagesPerSecond))
        m.mergeScanPagesPerSecond = BenchStatistics.median(runs.map(\.mergeScanPagesPerSecond))
        m.steadyScanPagesPerSecond = BenchStatistics.median(runs.map(\.steadyScanPagesPerSecond))
        m.firstScanCPUPagesPerSecond = BenchStatistics.median(runs.map(\.firstScanCPUPagesPerSecond))
        m.mergeScanCPUPagesPerSecond = BenchStatistics.median(runs.map(\.mergeScanCPUPagesPerSecond))
        m.steadyScanCPUPagesPerSecond = BenchStatistics.median(runs.map(\.steadyScanCPUPagesPerSecond))
        m.pollSeconds = BenchStatistics.median(runs.map(\.pollSeconds))
        return m
    }
}
