import Glibc

/// The host kernel's `/sys/kernel/mm/ksm`, held for one run: an exclusive lock so that no two
/// runners (or tests) drive it at once, the knob values found at the start, and their restoration
/// at the end, on errors, and on SIGINT, SIGTERM, SIGHUP and crashes.
///
/// A run starts from a clean slate: run=2 (unmerge everything, full_scans to 0), run=0, then the
/// kernel's defaults. Restoring does the same, then writes back the saved values (and run=1 if
/// ksmd was running: the unmerged pages of other processes then merge again as it rescans them).
final class HostKSMControl {
    static let directory = "/sys/kernel/mm/ksm"
    static let lockPath = "/run/lock/ksmd-sim-host-kernel.lock"

    /// The kernel's defaults, in an order every kernel accepts.
    static let defaults: [(String, String)] = [
        ("advisor_mode", "none"), ("pages_to_scan", "100"), ("sleep_millisecs", "20"), ("max_page_sharing", "256"),
        ("merge_across_nodes", "1"), ("use_zero_pages", "0"), ("smart_scan", "1"),
        ("stable_node_chains_prune_millisecs", "2000"), ("advisor_max_cpu", "70"), ("advisor_min_pages_to_scan", "500"),
        ("advisor_max_pages_to_scan", "30000"), ("advisor_target_scan_time", "200"),
    ]

    private let lockFD: Int32
    private var saved: [(String, String)] = []
    private var released = false

    /// Takes the lock (waiting for another runner to finish, after calling `onLockWait` with the
    /// lock's path), runs `beforeTakeover` holding it (an error there releases it and changes
    /// nothing), saves the knobs and resets KSM.
    init(
        onLockWait: (String) -> Void = { _ in }, beforeTakeover: () throws(ScenarioError) -> Void = {}
    ) throws(ScenarioError) {
        let fd = open(Self.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ScenarioError("cannot open \(Self.lockPath): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            if busy { onLockWait(Self.lockPath) }
            if !busy || flock(fd, LOCK_EX) != 0 {
                close(fd)
                throw ScenarioError("cannot lock \(Self.lockPath): \(String(cString: strerror(errno)))")
            }
        }
        do {
            try beforeTakeover()
        } catch {
            flock(fd, LOCK_UN)
            close(fd)
            throw error
        }
        lockFD = fd
        for (name, _) in Self.defaults {
            guard case .success(let text) = ProcFiles.read("\(Self.directory)/\(name)") else { continue }
            var value = text.trimmingWhitespace
            if name == "advisor_mode" { value = value.contains("[scan-time]") ? "scan-time" : "none" }
            saved.append((name, value))
        }
        // run is not among the defaults (reset leaves it 0); put back only a running ksmd.
        if ProcFiles.integer("\(Self.directory)/run") == 1 { saved.append(("run", "1")) }
        HostKSMRestorer.arm(saved: saved)
        do {
            try reset()
        } catch {
            restore()
            throw ScenarioError("cannot reset \(Self.directory): \(error.name)")
        }
    }

    deinit { restore() }

    /// run=2, run=0, then the defaults. A process of an earlier run that is still being torn down
    /// can hold KSM pages for a moment: wait (up to 2 s) until the counters show none.
    func reset() throws(Errno) {
        try write("run", "2")
        try write("run", "0")
        for (name, value) in Self.defaults { try write(name, value) }
        let deadline = WorkerProcess.monotonicSeconds() + 2
        while ["pages_shared", "pages_sharing", "pages_unshared", "ksm_zero_pages"].contains(where: { read($0) != 0 })
            && WorkerProcess.monotonicSeconds() < deadline
        {
            usleep(10_000)
            try write("run", "2")
            try write("run", "0")
        }
    }

    /// Puts every knob back as it was found and releases the lock. Idempotent.
    func restore() {
        guard !released else { return }
        released = true
        HostKSMRestorer.restoreNow()
        // The kernel refuses max_page_sharing and merge_across_nodes (EBUSY) while it still counts
        // KSM pages (max_page_sharing_store(), merge_across_nodes_store()), as for a moment after a
        // process holding some was killed: unmerge again and retry, as reset() waits, up to 2 s.
        // (A random scenario once left max_page_sharing at 6 this way.)
        let deadline = WorkerProcess.monotonicSeconds() + 2
        while !HostKSMRestorer.unrestored().isEmpty && WorkerProcess.monotonicSeconds() < deadline {
            usleep(10_000)
            HostKSMRestorer.restoreNow()
        }
        HostKSMRestorer.disarm()
        if let p = khugepagedAnchor { munmap(p, Self.anchorBytes) }
        khugepagedAnchor = nil
        flock(lockFD, LOCK_UN)
        close(lockFD)
    }

    static let thpDirectory = "/sys/kernel/mm/transparent_hugepage"
    static let thpEnabledPath = "\(thpDirectory)/enabled"
    static let shrinkUnderusedPath = "\(thpDirectory)/shrink_underused"
    static let khugepagedSleepPath = "\(thpDirectory)/khugepaged/scan_sleep_millisecs"
    /// khugepaged's pause while a THP scenario runs: an hour between its scans. khugepaged is not
    /// modelled, and with `max_ptes_none` 511 it would collapse any partly-filled 2 MiB range of a
    /// `VM_HUGEPAGE` VMA behind the scenario's back.
    static let khugepagedPauseMillis = "3600000"

    /// Takes over the transparent-huge-page knobs for a THP scenario: saves `enabled` and
    /// khugepaged's `scan_sleep_millisecs` (restored with the KSM knobs, also on signals), pauses
    /// khugepaged and sets `enabled`.
    func takeOverTHP(_ settings: THPSettings) throws(ScenarioError) {
        guard case .success(let modes) = ProcFiles.read(Self.thpEnabledPath),
            let current = THPMode.allCases.first(where: { modes.contains("[\($0.rawValue)]") }),
            let sleep = ProcFiles.integer(Self.khugepagedSleepPath)
        else { throw ScenarioError("\(Self.thpDirectory) is missing or unreadable: the host kernel has no THP") }
        var writes = [(Self.khugepagedSleepPath, Self.khugepagedPauseMillis), (Self.thpEnabledPath, settings.enabled.rawValue)]
        saved.append((Self.khugepagedSleepPath, "\(sleep)"))
        saved.append((Self.thpEnabledPath, current.rawValue))
        if let shrink = settings.shrinkUnderused {
            guard let old = ProcFiles.integer(Self.shrinkUnderusedPath) else {
                throw ScenarioError("\(Self.shrinkUnderusedPath) is missing: the host kernel has no shrink_underused")
            }
            saved.append((Self.shrinkUnderusedPath, "\(old)"))
            writes.append((Self.shrinkUnderusedPath, shrink ? "1" : "0"))
        }
        HostKSMRestorer.arm(saved: saved)  // replaces the plan (the old one's few strings are kept)
        for (path, value) in writes {
            let r = Self.writeFile(path, value)
            if r != 0 {
                throw ScenarioError("cannot write \(value) to \(path): \(String(cString: strerror(r)))")
            }
        }
        holdKhugepagedAsleep()
    }

    /// A `VM_HUGEPAGE` range of this process, never touched, registered with khugepaged for the
    /// run (measured: without it the workers' first `MADV_HUGEPAGE` found khugepaged's list
    /// empty, woke it at once whatever `scan_sleep_millisecs` said (`__khugepaged_enter()`), and
    /// it collapsed a range holding one 4 KiB page into a huge page).
    private var khugepagedAnchor: UnsafeMutableRawPointer?
    private static let anchorBytes = 4 << 20

    /// Registers ``khugepagedAnchor`` and waits (up to 3 s) for khugepaged to finish the pass that
    /// registration or the knob write woke it for: it then sleeps `scan_sleep_millisecs`, and
    /// later registrations do not wake it, its list not being empty.
    private func holdKhugepagedAsleep() {
        guard khugepagedAnchor == nil else { return }
        let fullScansPath = "\(Self.thpDirectory)/khugepaged/full_scans"
        let before = ProcFiles.integer(fullScansPath)
        guard let p = mmap(nil, Self.anchorBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else { return }
        khugepagedAnchor = p
        _ = madvise(p, Self.anchorBytes, 14)  // MADV_HUGEPAGE
        let deadline = WorkerProcess.monotonicSeconds() + 3
        while ProcFiles.integer(fullScansPath) == before && WorkerProcess.monotonicSeconds() < deadline { usleep(1000) }
    }

    /// Writes one knob; the kernel's errno on refusal.
    func write(_ name: String, _ value: String) throws(Errno) {
        let r = Self.writeFile("\(Self.directory)/\(name)", value)
        if r != 0 { throw Errno(rawValue: r) ?? .EINVAL }
    }

    /// Reads one counter.
    func read(_ name: String) -> Int { ProcFiles.integer("\(Self.directory)/\(name)") ?? 0 }

    /// Writes `value` to a sysfs file; 0 or the errno.
    static func writeFile(_ path: String, _ value: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let n = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        return n < 0 ? errno : 0
    }

    /// Runs ksmd (run=1) until full_scans has grown by `fullScans`, then stops it (run=0) before
    /// its next batch. Ends early, like the simulator, when ksmd stops making progress (no process
    /// registered): neither full_scans nor pages_scanned moves for several sleep intervals.
    func scan(fullScans: Int) throws(Errno) {
        let start = read("full_scans")
        let target = start + fullScans
        guard fullScans > 0 else { return }
        if read("pages_to_scan") == 0 { throw .EINVAL }
        let sleepMs = read("sleep_millisecs")
        let stallSeconds = max(1.0, Double(sleepMs) * 10 / 1000)
        try write("run", "1")
        defer { try? write("run", "0") }
        var lastScans = start
        var lastScanned = read("pages_scanned")
        var lastChange = WorkerProcess.monotonicSeconds()
        while true {
            let scans = read("full_scans")
            if scans >= target { return }
            let scanned = read("pages_scanned")
            let now = WorkerProcess.monotonicSeconds()
            if scans != lastScans || scanned != lastScanned {
                lastScans = scans
                lastScanned = scanned
                lastChange = now
            } else if now - lastChange > stallSeconds {
                return
            }
            usleep(100)
        }
    }
}

/// What a signal handler needs to restore the knobs: C strings prepared in advance, so that the
/// handler only calls open/write/close.
enum HostKSMRestorer {
    nonisolated(unsafe) private static var plan: [(UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>)] = []
    nonisolated(unsafe) private static var armed = false
    nonisolated(unsafe) private static var installed = false
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGSEGV, SIGFPE]

    static func arm(saved: [(String, String)]) {
        let dir = HostKSMControl.directory
        var steps: [(String, String)] = [("run", "2"), ("run", "0"), ("advisor_mode", "none")]
        steps += saved.filter { $0.0 != "advisor_mode" && $0.0 != "run" }
        if let mode = saved.first(where: { $0.0 == "advisor_mode" }), mode.1 != "none" { steps.append(mode) }
        steps += saved.filter { $0.0 == "run" }  // last, once every knob is back
        // THP knobs are saved by absolute path.
        plan = steps.map { (strdup($0.0.hasPrefix("/") ? $0.0 : "\(dir)/\($0.0)")!, strdup($0.1)!) }
        armed = true
        if !installed {
            installed = true
            for s in signals { signal(s, handler) }
        }
        // A parent (a test runner's thread, nohup) may have left these blocked or ignored.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func disarm() {
        armed = false
        for (p, v) in plan {
            free(p)
            free(v)
        }
        plan = []
    }

    /// The files of the plan that do not read back as it writes them (`run` aside: the plan writes
    /// it several times).
    static func unrestored() -> [String] {
        var last: [String: String] = [:]
        var order: [String] = []
        for (path, value) in plan {
            let p = String(cString: path)
            if p.hasSuffix("/run") { continue }
            if last[p] == nil { order.append(p) }
            last[p] = String(cString: value)
        }
        return order.filter { p in
            guard case .success(let text) = ProcFiles.read(p) else { return true }
            return !reads(text, as: last[p]!)
        }
    }

    /// Whether a knob file's `text` shows `value`: the bracketed choice of a list
    /// (`[none] scan-time`, `always [madvise] never`), else the whole text.
    static func reads(_ text: String, as value: String) -> Bool {
        text.contains("[") ? text.contains("[\(value)]") : text.trimmingWhitespace == value
    }

    static func restoreNow() {
        for (path, value) in plan {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = Glibc.write(fd, value, strlen(value))
                close(fd)
            }
        }
    }

    private static let handler: @convention(c) (Int32) -> Void = { sig in
        if HostKSMRestorer.armed { HostKSMRestorer.restoreNow() }
        signal(sig, SIG_DFL)
        raise(sig)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
