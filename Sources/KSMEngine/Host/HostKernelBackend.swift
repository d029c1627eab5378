import Glibc

/// Runs scenarios on the real Linux kernel of this machine, one `ksm-worker` process per scenario
/// process, so that the simulator's results can be compared with the kernel's.
///
/// The scenario's window is mapped at host address ``windowBase`` (page `p` is
/// `windowBase + p * 4096`); its heap pages `[heapBase, heapBase + heapRegion.count)` are the
/// worker's own heap, from its `start_brk`. Writes go through `/proc/PID/mem` (forced, as root);
/// reports read `/proc/PID/smaps`, `/proc/PID/ksm_stat`, `/proc/PID/mem` and `/sys/kernel/mm/ksm`.
/// The KSM knobs are taken over for the run (see `HostKSMControl`): locked against other runners,
/// reset to the kernel's defaults (after run=2), and restored at ``shutdown()``, on errors and on
/// signals.
///
/// Needs root and a kernel with KSM; the kernel decides which rule set can be reproduced (Linux
/// 6.17 and later: ``EligibilityRules/linux6_17``).
///
/// ```swift
/// let backend = try HostKernelBackend(rules: scenario.rules)
/// defer { backend.shutdown() }
/// let reports = try ScenarioRunner.run(scenario, on: backend)
/// ```
public final class HostKernelBackend: ScenarioBackend {
    /// The host address of window page 0.
    public static let windowBase: UInt64 = 0x1000_0000_0000
    /// The host address just past the window.
    public static let windowEnd: UInt64 = windowBase + UInt64(SimulatedKernel.windowPages) * pageBytes
    static let pageBytes: UInt64 = 4096
    static let ksmDirectory = "/sys/kernel/mm/ksm"

    /// The rule set being reproduced (the host kernel's).
    public let rules: EligibilityRules
    /// The worker binary.
    public let workerPath: String

    private let workerExecutable: String
    private var workers: [String: WorkerProcess] = [:]
    /// Every worker ever started, in order, for ``shutdown()``.
    private var started: [WorkerProcess] = []
    private let baselineScanned: Int
    private let baselineSkipped: Int
    /// Files backing shmem and regular-file mappings, by scenario file name.
    private var files: [String: BackingFile] = [:]
    private var fifoDirectory: String?
    private var shmDirectory: String?
    private var fileDirectory: String?
    private var fifoCounter = 0
    private var isShutDown = false
    private var control: HostKSMControl?
    /// When the backend took over KSM (monotonic seconds), and ksmd's CPU time then: reports
    /// count time from there.
    private var startSeconds = 0.0
    private let ksmd = KsmdThread.find()
    private var ksmdStartCPUSeconds: Double?
    /// `/proc/vmstat`'s THP events when a THP scenario began (``configureTHP(_:)``); `nil`: not a
    /// THP scenario, reports carry no THP fields.
    private var thpBaseline: THPEvents?
    private var hugeStoresWereAvoided = false
    /// 1 MiB, page-aligned: write pages and digest reads.
    private let buffer: UnsafeMutableRawPointer
    private static let bufferBytes = 1 << 20

    private struct BackingFile {
        var backing: Backing
        var path: String
        var fd: Int32
        var size: Int
    }

    /// Checks that the host can run scenarios under `rules` and finds the worker binary.
    ///
    /// The worker defaults to `ksm-worker` next to the running executable (under `swift test`, the
    /// test bundle in `.build/<triple>/debug/`), else the `KSM_WORKER` environment variable.
    /// Errors (one line each): not root, no `/sys/kernel/mm/ksm`, no worker binary, or `rules`
    /// other than the host kernel's.
    ///
    /// While another run holds the host lock, `onLockWait` is called with the lock's path, then
    /// the backend waits. `beforeTakeover` runs holding the lock, before anything is written: an
    /// error it throws (for instance because ``HostKSMUsers/current(workerGraceSeconds:)`` shows
    /// other users, whose KSM pages run=2 would unmerge) ends the run with nothing changed.
    public init(
        rules: EligibilityRules, workerPath: String? = nil, onLockWait: (String) -> Void = { _ in },
        beforeTakeover: () throws(ScenarioError) -> Void = {}
    ) throws(ScenarioError) {
        guard geteuid() == 0 else { throw ScenarioError("the host-kernel runner needs root") }
        guard access(Self.ksmDirectory, F_OK) == 0 else {
            throw ScenarioError("\(Self.ksmDirectory) is missing: the host kernel has no KSM")
        }
        let (release, hostRules) = Self.hostKernelRules()
        guard let hostRules else {
            throw ScenarioError(
                "the host kernel (\(release)) predates PR_SET_MEMORY_MERGE (Linux 6.4): no rule set can be reproduced on it")
        }
        guard Self.sameRules(rules, hostRules) else {
            throw ScenarioError(
                "the host kernel runs the \(hostRules.name) rules; rule set \"\(rules.name)\" cannot be reproduced on it")
        }
        guard let path = workerPath ?? Self.defaultWorkerPath() else {
            let dir = Self.executableDirectory() ?? "the executable's directory"
            throw ScenarioError(
                "cannot find the ksm-worker binary (not in \(dir), KSM_WORKER not set): build it with `swift build`")
        }
        guard access(path, X_OK) == 0 else { throw ScenarioError("the worker binary \(path) is missing or not executable") }
        guard let resolved = realpath(path, nil) else { throw ScenarioError("the worker binary \(path) cannot be resolved") }
        workerExecutable = String(cString: resolved)
        free(resolved)

        signal(SIGPIPE, SIG_IGN)  // a dead worker gives EPIPE, not a crash
        self.rules = rules
        self.workerPath = path
        let control = try HostKSMControl(onLockWait: onLockWait, beforeTakeover: beforeTakeover)
        self.control = control
        baselineScanned = ProcFiles.integer("\(Self.ksmDirectory)/pages_scanned") ?? 0
        baselineSkipped = ProcFiles.integer("\(Self.ksmDirectory)/pages_skipped") ?? 0
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferBytes, alignment: 4096)
        startSeconds = WorkerProcess.monotonicSeconds()
        ksmdStartCPUSeconds = ksmd?.cpuSeconds()
    }

    deinit {
        shutdown()
        buffer.deallocate()
    }

    /// Ends every worker (SIGKILL for those still running; the spawned ones are reaped) and removes
    /// the backend's temporary files and directories. Idempotent; `deinit` calls it too.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        // Newest first, so that a worker is gone before its parent: a forked worker ends while its
        // parent (which ignores SIGCHLD) can still reap it, instead of becoming a zombie of init.
        let deadline = WorkerProcess.monotonicSeconds() + 2
        for w in started.reversed() {
            let forkedAndRunning = !w.spawnedDirectly && w.isRunning
            w.kill()
            if forkedAndRunning {
                while w.isStillWorker && !Self.isZombie(w.pid) && WorkerProcess.monotonicSeconds() < deadline { usleep(500) }
            }
        }
        workers = [:]
        started = []
        if thpBaseline != nil { PageStore.avoidHugePages = hugeStoresWereAvoided }
        control?.restore()
        control = nil
        ksmd?.close()
        for f in files.values {
            close(f.fd)
            unlink(f.path)
        }
        files = [:]
        for dir in [fifoDirectory, shmDirectory, fileDirectory].compactMap({ $0 }) { rmdir(dir) }
        fifoDirectory = nil
        shmDirectory = nil
        fileDirectory = nil
    }

    /// The KSM knobs, taken over (locked, saved, reset) for the backend's lifetime.
    private func ksmControl() throws -> HostKSMControl {
        guard let control else { throw ScenarioError("the host-kernel backend has been shut down") }
        return control
    }

    /// The host pid of a live scenario process's worker.
    func hostPID(_ name: String) -> pid_t? { workers[name]?.pid }

    // MARK: Steps

    /// Performs one step on the host kernel, through the process's worker.
    ///
    /// - Throws: the ``Errno`` the host kernel returns; a ``KnobError`` for a knob it refuses (named
    ///   with what the simulator's checks say it accepts); a ``ScenarioError`` for a step whose
    ///   values a scenario file could not hold (``StepAction/validate()``), an unknown process, a
    ///   dead worker, or a step the host cannot replay.
    public func perform(_ action: StepAction, fills: FillGenerator) throws {
        guard !isShutDown else { throw ScenarioError("the host-kernel backend has been shut down") }
        try action.validate()
        switch action {
        case .spawn(let name):
            try spawn(name)
        case .fork(let parent, let child):
            try fork(parent, child)
        case .exec(let name):
            try exec(name)
        case .exit(let name):
            let w = try worker(name)
            workers[name] = nil
            try w.exit()
        case .prctl(let name, let on):
            let w = try worker(name)
            try w.call("prctl 67 \(on ? 1 : 0)")  // PR_SET_MEMORY_MERGE
            if on { try unmergeOutside(w) }
        case .mmap(let name, let at, let pages, let prot, let spec):
            try mmap(try worker(name), at: at, pages: pages, prot: prot, spec)
        case .munmap(let name, let at, let pages):
            let w = try worker(name)
            for (a, len) in segments(w, at: at, pages: pages) { try w.call("munmap \(a) \(len)") }
        case .mprotect(let name, let at, let pages, let prot):
            let w = try worker(name)
            for (a, len) in segments(w, at: at, pages: pages) { try w.call("mprotect \(a) \(len) \(prot.rawValue)") }
        case .madvise(let name, let at, let pages, let advice):
            let w = try worker(name)
            let number: Int
            switch advice {
            case .mergeable: number = 12  // MADV_MERGEABLE
            case .unmergeable: number = 13  // MADV_UNMERGEABLE
            case .dontNeed: number = 4  // MADV_DONTNEED
            case .hugePage: number = 14  // MADV_HUGEPAGE
            case .noHugePage: number = 15  // MADV_NOHUGEPAGE
            }
            for (a, len) in segments(w, at: at, pages: pages) { try w.call("madvise \(a) \(len) \(number)") }
        case .brk(let name, let pages):
            let w = try worker(name)
            let wanted = w.startBrk + UInt64(pages) * Self.pageBytes
            let got = try w.call("brk \(wanted)").map { UInt64(bitPattern: $0) }
            if got != wanted { throw Errno.ENOMEM }  // brk() answers the unchanged break
        case .write(let name, let at, let pages, let fill):
            try write(try worker(name), at: at, pages: pages, fill: try fills.filler(for: fill))
        case .scan(let n):
            try ksmControl().scan(fullScans: n)
        case .ksmRun(let v):
            try writeKnob(try ksmControl(), "run", "\(v)")
        case .ksmKnobs(let knobs):
            let control = try ksmControl()
            for k in knobs { try writeKnob(control, k.name, k.value.sysfsText) }
        case .runFor, .mutator, .ksmtuned, .ksmtunedStop, .load, .clone:
            throw ScenarioError(Self.simulatorOnly(action) ?? "")
        case .report:
            break
        }
    }

    /// Takes over the transparent-huge-page knobs for the run (``THPSettings/enabled`` written,
    /// khugepaged paused, both restored with the KSM knobs) and counts `/proc/vmstat`'s THP events
    /// from here; reports then carry `Rss`, `AnonHugePages` and the events.
    ///
    /// The events are system-wide: another process faulting or splitting huge pages meanwhile
    /// would show in them. In `madvise` mode only `VM_HUGEPAGE` VMAs get huge pages, so on a host
    /// where nothing else asks for them the events are the scenario's own.
    public func configureTHP(_ settings: THPSettings) throws {
        guard !isShutDown else { throw ScenarioError("the host-kernel backend has been shut down") }
        try ksmControl().takeOverTHP(settings)
        hugeStoresWereAvoided = PageStore.avoidHugePages
        PageStore.avoidHugePages = true
        guard let events = ProcFiles.thpEvents() else { throw ScenarioError("cannot read /proc/vmstat") }
        thpBaseline = events
    }

    /// Writes a knob; the kernel's refusal as a ``KnobError`` naming what the knob accepts.
    private func writeKnob(_ control: HostKSMControl, _ name: String, _ value: String) throws(KnobError) {
        do {
            try control.write(name, value)
        } catch {
            var allowed = KSMKnobs.allowed(name) ?? KSMKnobs.names.joined(separator: ", ")
            if error == .EBUSY { allowed += ", changed only while no KSM page exists" }
            throw KnobError(knob: name, value: value, allowed: allowed, errno: error)
        }
    }

    private func worker(_ name: String) throws -> WorkerProcess {
        guard let w = workers[name] else { throw ScenarioError("no worker for process \(name)") }
        guard w.isRunning else { throw ScenarioError("worker for process \(name) died") }
        return w
    }

    private func spawn(_ name: String) throws {
        let w = try WorkerProcess.spawn(path: workerPath, executable: workerExecutable, name: name)
        started.append(w)
        workers[name] = w
        // PR_SET_CHILD_SUBREAPER: when a forked worker exits before its own children, they are
        // reparented to this worker, which reaps them (it ignores SIGCHLD), rather than to init,
        // which may not reap at all. No effect on memory or KSM.
        try w.call("prctl 36 1")
        try startUp(w)
    }

    /// After the worker's address space is new (spawn, exec): its heap base, and KSM flags only in
    /// the window and heap.
    private func startUp(_ w: WorkerProcess) throws {
        guard let b = try w.call("startbrk") else { throw ScenarioError("the worker for process \(w.name) gave no start_brk") }
        w.startBrk = UInt64(bitPattern: b)
        try unmergeOutside(w)
    }

    /// Clears `VM_MERGEABLE` outside the window and heap: a merge-any process has it on every VMA,
    /// libraries and stack included, which the simulated processes do not have.
    private func unmergeOutside(_ w: WorkerProcess) throws {
        try w.call("unmerge_outside \(Self.windowBase) \(Self.windowEnd)")
    }

    private func fork(_ parentName: String, _ childName: String) throws {
        let parent = try worker(parentName)
        let dir = try temporaryDirectory(&fifoDirectory, "/tmp/ksm-host-XXXXXX")
        fifoCounter += 1
        let commandPath = "\(dir)/cmd\(fifoCounter)"
        let replyPath = "\(dir)/rep\(fifoCounter)"
        defer {
            unlink(commandPath)
            unlink(replyPath)
        }
        for p in [commandPath, replyPath] where mkfifo(p, 0o600) != 0 { throw HostError.system("mkfifo \(p)", errno) }
        guard let v = try parent.call("fork \(commandPath) \(replyPath)"), v > 0, v <= Int64(Int32.max) else {
            throw ScenarioError("the worker for process \(parentName) gave no child pid")
        }
        let childPID = pid_t(v)
        let child: WorkerProcess
        do {
            child = try WorkerProcess.attachForked(
                name: childName, pid: childPID, executable: workerExecutable, commandPath: commandPath, replyPath: replyPath)
        } catch {
            _ = kill(childPID, SIGKILL)  // just forked and not yet attached: still ours
            throw error
        }
        started.append(child)
        workers[childName] = child
        child.startBrk = parent.startBrk
        child.openFiles = parent.openFiles
        try unmergeOutside(child)
    }

    private func exec(_ name: String) throws {
        let w = try worker(name)
        guard let pid = try w.call("exec"), pid == Int64(w.pid) else {
            throw ScenarioError("the worker for process \(name) did not come back from exec")
        }
        w.dropMemFile()  // it shows the old address space
        w.openFiles = [:]  // opened O_CLOEXEC
        try startUp(w)
    }

    // MARK: Addresses

    /// The host address of scenario page `page` in `w`.
    private func hostAddress(_ w: WorkerProcess, _ page: Int) -> UInt64 {
        if SimulatedKernel.heapRegion.contains(page) {
            return w.startBrk + UInt64(page - SimulatedKernel.heapBase) * Self.pageBytes
        }
        return Self.windowBase + UInt64(page) * Self.pageBytes
    }

    /// The scenario page of host address `address` in `w`, if it lies in the window or the heap
    /// region.
    private func scenarioPage(_ w: WorkerProcess, _ address: UInt64) -> Int? {
        let heapEnd = w.startBrk + UInt64(SimulatedKernel.heapRegion.count) * Self.pageBytes
        if address >= w.startBrk && address <= heapEnd {
            return SimulatedKernel.heapBase + Int((address - w.startBrk) / Self.pageBytes)
        }
        if address >= Self.windowBase && address <= Self.windowEnd {
            return Int((address - Self.windowBase) / Self.pageBytes)
        }
        return nil
    }

    /// `[at, at + pages)` as host (address, length) pieces: the window's heap region is the
    /// worker's heap, elsewhere. An empty range stays one empty piece, for the kernel to judge.
    /// (A range straddling the heap region's bounds becomes several calls.)
    private func segments(_ w: WorkerProcess, at: Int, pages: Int) -> [(UInt64, UInt64)] {
        guard pages > 0 else { return [(hostAddress(w, at), 0)] }
        let heap = SimulatedKernel.heapRegion
        var cuts = [at, at + pages]
        for b in [heap.lowerBound, heap.upperBound] where b > at && b < at + pages { cuts.append(b) }
        cuts.sort()
        return zip(cuts, cuts.dropFirst()).map { (hostAddress(w, $0), UInt64($1 - $0) * Self.pageBytes) }
    }

    /// The VMAs of `w` in the window and the heap, in scenario pages, sorted.
    private func scenarioVMAs(_ w: WorkerProcess, _ host: [HostVMA]) throws -> [(HostVMA, Range<Int>)] {
        let heapEnd = w.startBrk + UInt64(SimulatedKernel.heapRegion.count) * Self.pageBytes
        var result: [(HostVMA, Range<Int>)] = []
        for v in host {
            let inWindow = v.start >= Self.windowBase && v.end <= Self.windowEnd
            let inHeap = v.start < heapEnd && v.end > w.startBrk
            guard inWindow || inHeap else { continue }
            if inHeap && (v.start < w.startBrk || v.end > heapEnd) {
                throw ScenarioError(
                    "process \(w.name)'s heap VMA \(hex(v.start))-\(hex(v.end)) reaches outside its heap region "
                        + "(is kernel.randomize_va_space below 2?)")
            }
            guard let s = scenarioPage(w, v.start), let e = scenarioPage(w, v.end) else { continue }
            result.append((v, s..<e))
        }
        return result.sorted { $0.1.lowerBound < $1.1.lowerBound }
    }

    private func hex(_ a: UInt64) -> String { String(a, radix: 16) }

    private func readProc(_ w: WorkerProcess, _ file: String) throws -> String {
        switch ProcFiles.read("/proc/\(w.pid)/\(file)") {
        case .success(let text): return text
        case .failure(let e):
            if e.errno == ENOENT || e.errno == ESRCH { throw ScenarioError("worker for process \(w.name) died") }
            throw ScenarioError(e.message)
        }
    }

    // MARK: mmap

    private func mmap(_ w: WorkerProcess, at: Int?, pages: Int, prot: Protection, _ spec: MapSpec) throws {
        let r = spec.request
        var flags: UInt64 = 0x10_0000  // MAP_FIXED_NOREPLACE
        flags |= r.shared ? 0x01 : 0x02  // MAP_SHARED : MAP_PRIVATE
        if r.noReserve { flags |= 0x4000 }  // MAP_NORESERVE
        var path: String?
        switch r.backing {
        case .anonymous:
            flags |= 0x20  // MAP_ANONYMOUS
        case .shmem:
            path = try backingFile(r, pages: pages, directory: &shmDirectory, template: "/dev/shm/ksm-host-XXXXXX")
        case .file(.mmapPrepare):
            path = try backingFile(r, pages: pages, directory: &fileDirectory, template: "/var/tmp/ksm-host-XXXXXX")
        case .file(.mmap) where r.file == "/dev/zero" && !r.shared:
            path = "/dev/zero"
        default:
            throw ScenarioError("\(spec.map) mappings cannot be reproduced on the host kernel")
        }

        // The place: the scenario's, or where the simulator would put it.
        let start: Int
        if let at {
            start = at
        } else if pages > 0 {
            let used = try scenarioVMAs(w, ProcFiles.parseMaps(readProc(w, "maps"))).map(\.1)
            guard let s = Self.topDownGap(used, pages: pages) else { throw Errno.ENOMEM }
            start = s
        } else {
            start = 0  // the kernel refuses an empty mapping wherever it is
        }
        let address = hostAddress(w, start)
        let length = UInt64(pages) * Self.pageBytes

        var fd: Int64 = -1
        if let path { fd = try openFile(w, path) }
        let result = try w.call(
            "mmap \(address) \(length) \(prot.rawValue) \(flags) \(fd + 1) \(UInt64(r.offset) * Self.pageBytes)")
        guard let result, UInt64(bitPattern: result) == address else {
            if let result { _ = try? w.call("munmap \(UInt64(bitPattern: result)) \(length)") }
            throw ScenarioError(
                "the host kernel mapped at \(result.map { hex(UInt64(bitPattern: $0)) } ?? "?"), not at \(hex(address))")
        }
    }

    /// The worker's descriptor for `path`, opened on first use (O_RDWR | O_CLOEXEC) and kept: the
    /// mappings of one scenario file must share one `struct file`, as the simulator's one object per
    /// name does, or the kernel would never merge them (`vma->vm_file` differs). A fork child
    /// inherits the descriptors; execve closes them.
    private func openFile(_ w: WorkerProcess, _ path: String) throws -> Int64 {
        if let fd = w.openFiles[path] { return fd }
        guard let fd = try w.call("open \(path) \(O_RDWR | O_CLOEXEC) 0"), fd >= 0 else {
            throw ScenarioError("the worker for process \(w.name) gave no descriptor for \(path)")
        }
        w.openFiles[path] = fd
        return fd
    }

    /// The host file standing for `request.file`: created once per scenario in a private directory,
    /// grown (never shrunk) to cover pages `[offset, offset + pages)`.
    private func backingFile(_ r: MapRequest, pages: Int, directory: inout String?, template: String) throws -> String {
        let name = r.file ?? "<unnamed>"
        var file: BackingFile
        if let f = files[name] {
            guard f.backing == r.backing else {
                throw ScenarioError("file \"\(name)\" is mapped with two backings; the host kernel cannot reproduce that")
            }
            file = f
        } else {
            let dir = try temporaryDirectory(&directory, template)
            let path = "\(dir)/obj\(files.count)"
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw HostError.system("create \(path)", errno) }
            file = BackingFile(backing: r.backing, path: path, fd: fd, size: 0)
            files[name] = file
        }
        let needed = (r.offset + pages) * Int(Self.pageBytes)
        if needed > file.size {
            guard ftruncate(file.fd, off_t(needed)) == 0 else { throw HostError.system("ftruncate \(file.path)", errno) }
            file.size = needed
            files[name] = file
        }
        return file.path
    }

    /// Why the host-kernel runner cannot perform `action`, or `nil` when it can: steps on the
    /// simulated clock and captured memory run on the simulator only.
    public static func simulatorOnly(_ action: StepAction) -> String? {
        switch action {
        case .runFor, .mutator, .ksmtuned, .ksmtunedStop:
            return
                "run_for, mutator and ksmtuned steps run on the simulated clock only: the host-kernel runner cannot replay them"
        case .load, .clone:
            return
                "load and clone steps run on the simulator only: the host-kernel runner cannot put captured memory into its workers"
        default:
            return nil
        }
    }

    /// Why the host-kernel runner cannot run `scenario` at all, naming the step, or `nil`: checked
    /// before the runner takes over the host's KSM (which writes run=2), so that a scenario it
    /// would refuse later unmerges nothing.
    public static func cannotRun(_ scenario: Scenario) -> String? {
        if scenario.ksmtuned != nil {
            return "\"ksmtuned\" runs on the simulated clock only: the host-kernel runner cannot replay it"
        }
        for step in scenario.steps {
            if let why = simulatorOnly(step.action) { return "step \(step.index) (\(step.op)): \(why)" }
        }
        return nil
    }

    /// The highest free range of `pages` pages below the window's end, outside the heap region,
    /// among the `used` ranges (sorted): the same search as `SimulatedKernel.topDownGap`, which
    /// works on the simulator's own address spaces and so cannot be called here.
    static func topDownGap(_ used: [Range<Int>], pages: Int) -> Int? {
        func fit(_ low: Int, _ high: Int) -> Int? {
            var high = high
            let heap = SimulatedKernel.heapRegion
            if high > heap.lowerBound && high - pages < heap.upperBound {
                if high - pages >= max(low, heap.upperBound) { return high - pages }
                high = min(high, heap.lowerBound)
            }
            return high - pages >= low ? high - pages : nil
        }
        var limit = SimulatedKernel.windowPages
        for v in used.reversed() {
            if let s = fit(v.upperBound, limit) { return s }
            limit = min(limit, v.lowerBound)
        }
        return fit(0, limit)
    }

    private func temporaryDirectory(_ slot: inout String?, _ template: String) throws -> String {
        if let slot { return slot }
        var t = Array(template.utf8CString)
        guard let p = mkdtemp(&t) else { throw HostError.system("mkdtemp \(template)", errno) }
        let dir = String(cString: p)
        slot = dir
        return dir
    }

    // MARK: write

    /// Forced writes through `/proc/PID/mem`, page by page, stopping at the first page the kernel
    /// refuses (EIO, like the simulator).
    ///
    /// The filler is called for a page before the kernel is asked to write it, while the simulator
    /// calls it only for pages that pass its checks: after a failed page the host has called the
    /// filler once more. That only shifts later `unique` fills, after a step that already failed.
    private func write(_ w: WorkerProcess, at: Int, pages: Int, fill: (Int, UnsafeMutableRawBufferPointer) -> Void) throws {
        guard pages > 0 else { return }
        let fd = try w.memFile()
        let page = UnsafeMutableRawBufferPointer(start: buffer, count: Int(Self.pageBytes))
        for n in 0..<pages {
            fill(n, page)
            let address = hostAddress(w, at + n)
            let r = pwrite(fd, buffer, Int(Self.pageBytes), off_t(Int64(bitPattern: address)))
            if r == Int(Self.pageBytes) { continue }
            if r < 0 { throw HostError.errno(errno) }
            throw Errno.EIO
        }
    }

    // MARK: Reports

    /// The counters, `ksm_stat`, VMAs and digests of `processes`, read from the kernel; the time
    /// fields are the wall-clock seconds since the backend took over KSM and ksmd's CPU time since
    /// then (`nil` when the ksmd thread's CPU time cannot be read).
    public func report(label: String, processes: [String]) throws -> Report {
        guard !isShutDown else { throw ScenarioError("the host-kernel backend has been shut down") }
        var result: [ProcessReport] = []
        for name in processes {
            let w = try worker(name)
            // A killed worker's /proc files read as empty until it is reaped: ask it first.
            guard try w.call("ping") == Int64(w.pid) else {
                throw ScenarioError("the worker for process \(name) answered ping wrongly")
            }
            let vmas = try scenarioVMAs(w, ProcFiles.parseSmaps(readProc(w, "smaps")))
            let stat = ProcFiles.parseKSMStat(try readProc(w, "ksm_stat"))
            let thp = thpBaseline != nil
            result.append(
                ProcessReport(
                    name: name, ksmStat: stat,
                    vmas: vmas.map {
                        VMAReport(
                            start: $0.1.lowerBound, end: $0.1.upperBound, flags: $0.0.flags, ksmKB: $0.0.ksmKB,
                            rssKB: thp ? $0.0.rssKB : nil, anonHugeKB: thp ? $0.0.anonHugeKB : nil)
                    },
                    contentDigest: thp ? try digestWithoutFaults(w, vmas) : try digest(w, vmas)))
        }
        var thp: THPEvents?
        if let base = thpBaseline {
            guard let now = ProcFiles.thpEvents() else { throw ScenarioError("cannot read /proc/vmstat") }
            var d = THPEvents()
            d.faultAlloc = now.faultAlloc - base.faultAlloc
            d.faultFallback = now.faultFallback - base.faultFallback
            d.splitPage = now.splitPage - base.splitPage
            d.splitPMD = now.splitPMD - base.splitPMD
            thp = d
        }
        let cpu = ksmdStartCPUSeconds.flatMap { start in ksmd?.cpuSeconds().map { max(0, $0 - start) } }
        var report = Report(
            label: label, ksm: counters(), processes: result,
            simulatedSeconds: WorkerProcess.monotonicSeconds() - startSeconds, ksmdCPUSeconds: cpu)
        report.thp = thp
        return report
    }

    /// ``ContentDigest`` of the reported VMAs' pages, in scenario order, read from `/proc/PID/mem`.
    private func digest(_ w: WorkerProcess, _ vmas: [(HostVMA, Range<Int>)]) throws -> UInt64 {
        let fd = try w.memFile()
        let digest = ContentDigest()
        for (v, _) in vmas {
            var address = v.start
            while address < v.end {
                let n = Int(min(UInt64(Self.bufferBytes), v.end - address))
                let r = pread(fd, buffer, n, off_t(Int64(bitPattern: address)))
                let good = max(r, 0) / Int(Self.pageBytes)
                for i in 0..<good { digest.add(UnsafeRawPointer(buffer + i * Int(Self.pageBytes))) }
                if r < n {
                    let bad = address + UInt64(good) * Self.pageBytes
                    let page = scenarioPage(w, bad).map(String.init) ?? hex(bad)
                    let why = r < 0 ? String(cString: strerror(errno)) : "short read"
                    throw ScenarioError("page \(page) of process \(w.name) cannot be read from /proc/\(w.pid)/mem: \(why)")
                }
                address += UInt64(n)
            }
        }
        return digest.finish()
    }

    /// ``ContentDigest`` as ``digest(_:_:)`` computes it, without faulting anything in: a read of
    /// `/proc/PID/mem` faults absent pages (the zero page, or in a `VM_HUGEPAGE` range the huge
    /// zero page, into anonymous VMAs; page-cache pages into file VMAs), which changes `Rss` and
    /// what a later write faults. Pages `/proc/PID/pagemap` shows present (or swapped) are read
    /// through `/proc/PID/mem`; absent ones are zero in anonymous VMAs and the backing file's bytes
    /// in file and shmem VMAs, read from the file.
    private func digestWithoutFaults(_ w: WorkerProcess, _ vmas: [(HostVMA, Range<Int>)]) throws -> UInt64 {
        let mem = try w.memFile()
        let pagemap = open("/proc/\(w.pid)/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { throw HostError.system("open /proc/\(w.pid)/pagemap", errno) }
        defer { close(pagemap) }
        let digest = ContentDigest()
        let page = Int(Self.pageBytes)
        var entry: UInt64 = 0
        for (v, _) in vmas {
            let anonymous = v.name.isEmpty || v.name == "[heap]"
            var file: Int32 = -1
            defer { if file >= 0 { close(file) } }
            if !anonymous {
                // The VMA's own file (also a shmem object without a name, "/dev/zero (deleted)").
                let path = "/proc/\(w.pid)/map_files/\(hex(v.start))-\(hex(v.end))"
                file = open(path, O_RDONLY | O_CLOEXEC)
                guard file >= 0 else { throw HostError.system("open \(path)", errno) }
            }
            var address = v.start
            while address < v.end {
                let at = off_t(Int64(bitPattern: address / Self.pageBytes * 8))
                guard pread(pagemap, &entry, 8, at) == 8 else { throw HostError.system("read /proc/\(w.pid)/pagemap", errno) }
                let r: Int
                if entry & (3 << 62) != 0 {  // present or swapped
                    r = pread(mem, buffer, page, off_t(Int64(bitPattern: address)))
                } else if anonymous {
                    memset(buffer, 0, page)
                    r = page
                } else {
                    let n = pread(file, buffer, page, off_t(Int64(bitPattern: v.offset + (address - v.start))))
                    if n >= 0 && n < page { memset(buffer + n, 0, page - n) }  // past the file's end: zeros
                    r = n < 0 ? n : page
                }
                guard r == page else {
                    let p = scenarioPage(w, address).map(String.init) ?? hex(address)
                    let why = r < 0 ? String(cString: strerror(errno)) : "short read"
                    throw ScenarioError("page \(p) of process \(w.name) cannot be read: \(why)")
                }
                digest.add(UnsafeRawPointer(buffer))
                address += Self.pageBytes
            }
        }
        return digest.finish()
    }

    /// The global counters; `pages_scanned` and `pages_skipped` count from the backend's creation.
    private func counters() -> KSMCounters {
        func value(_ name: String) -> Int { ProcFiles.integer("\(Self.ksmDirectory)/\(name)") ?? 0 }
        var c = KSMCounters()
        c.fullScans = value("full_scans")
        c.pagesShared = value("pages_shared")
        c.pagesSharing = value("pages_sharing")
        c.pagesUnshared = value("pages_unshared")
        c.pagesVolatile = value("pages_volatile")
        c.pagesScanned = value("pages_scanned") - baselineScanned
        c.pagesSkipped = value("pages_skipped") - baselineSkipped
        c.stableNodeChains = value("stable_node_chains")
        c.stableNodeDups = value("stable_node_dups")
        c.ksmZeroPages = value("ksm_zero_pages")
        c.generalProfit = value("general_profit")
        return c
    }

    // MARK: Host facts

    /// The host kernel's release and the rule set it runs, if any.
    static func hostKernelRules() -> (String, EligibilityRules?) {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return (release, nil) }
        let version = (numbers[0], numbers[1])
        if version >= (6, 17) { return (release, .linux6_17) }
        if version >= (6, 4) { return (release, .linux6_4) }
        return (release, nil)
    }

    /// Equal rule sets, whatever their names.
    static func sameRules(_ a: EligibilityRules, _ b: EligibilityRules) -> Bool {
        a.excludedFlags == b.excludedFlags && a.excludesDAX == b.excludesDAX && a.earlyClasses == b.earlyClasses
    }

    static func executableDirectory() -> String? {
        guard let exe = WorkerProcess.readLink("/proc/self/exe"), let slash = exe.lastIndex(of: "/") else { return nil }
        return String(exe[..<slash])
    }

    /// `ksm-worker` next to the running executable, else `$KSM_WORKER`.
    static func defaultWorkerPath() -> String? {
        if let dir = executableDirectory(), access(dir + "/ksm-worker", X_OK) == 0 { return dir + "/ksm-worker" }
        if let env = getenv("KSM_WORKER"), env.pointee != 0 { return String(cString: env) }
        return nil
    }

    private static func isZombie(_ pid: pid_t) -> Bool {
        guard case .success(let stat) = ProcFiles.read("/proc/\(pid)/stat"), let paren = stat.lastIndex(of: ")") else {
            return true
        }
        return stat[paren...].dropFirst().split(separator: " ").first == "Z"
    }
}
