import Glibc

/// One `ksm-worker` process standing for one scenario process, and the driver's end of its line
/// protocol (see the header comment of `Sources/ksm-worker/main.c`).
///
/// A worker is either spawned by the driver (pipes on its fd 0/1; the driver reaps it) or forked by
/// another worker (FIFOs; its parent worker ignores SIGCHLD, so the kernel reaps it).
final class WorkerProcess {
    /// The scenario process the worker stands for.
    let name: String
    let pid: pid_t
    /// Whether the driver spawned it (and so must `waitpid` it).
    let spawnedDirectly: Bool
    /// The worker binary's resolved path, as `/proc/PID/exe` shows it.
    let executable: String
    /// The worker's `start_brk`: the host address of the scenario's ``SimulatedKernel/heapBase``.
    var startBrk: UInt64 = 0
    /// The worker's descriptors for backing files, by host path.
    var openFiles: [String: Int64] = [:]
    /// Whether the worker has not been seen to end.
    private(set) var isRunning = true

    private var commandFD: Int32
    private var replyFD: Int32
    private var memFD: Int32 = -1
    private var pending: [UInt8] = []
    private var reaped = false

    /// How long a reply may take before the worker is declared stuck.
    static let replyTimeoutSeconds = 300

    private init(name: String, pid: pid_t, spawnedDirectly: Bool, executable: String, commandFD: Int32, replyFD: Int32) {
        self.name = name
        self.pid = pid
        self.spawnedDirectly = spawnedDirectly
        self.executable = executable
        self.commandFD = commandFD
        self.replyFD = replyFD
    }

    deinit { closeDescriptors() }

    // MARK: Starting

    /// Spawns the worker binary at `path` with pipes on its fd 0 and 1 (stderr inherited) and pings it.
    static func spawn(path: String, executable: String, name: String) throws -> WorkerProcess {
        var toWorker: [Int32] = [-1, -1]
        var fromWorker: [Int32] = [-1, -1]
        guard pipe(&toWorker) == 0 else { throw HostError.system("pipe", errno) }
        guard pipe(&fromWorker) == 0 else {
            let e = errno
            close(toWorker[0])
            close(toWorker[1])
            throw HostError.system("pipe", e)
        }
        // pipe2() is not visible from Swift: close-on-exec so that no other worker inherits them.
        for fd in toWorker + fromWorker { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the copies; every other descriptor of ours is close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, toWorker[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromWorker[1], 1)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The driver ignores SIGPIPE, and a test runner's thread may block signals: the worker gets
        // default dispositions and an empty mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attr, &mask)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        defer { free(argv[0]) }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, environ)
        close(toWorker[0])
        close(fromWorker[1])
        guard rc == 0 else {
            close(toWorker[1])
            close(fromWorker[0])
            throw ScenarioError("cannot start the worker \(path): \(String(cString: strerror(rc)))")
        }
        let w = WorkerProcess(
            name: name, pid: pid, spawnedDirectly: true, executable: executable, commandFD: toWorker[1], replyFD: fromWorker[0])
        do {
            let answer = try w.call("ping")
            guard answer == Int64(pid) else {
                throw ScenarioError(
                    "the worker for process \(name) answered ping with \(answer.map(String.init) ?? "nothing"), not its pid \(pid)"
                )
            }
        } catch {
            w.kill()
            throw error
        }
        return w
    }

    /// Connects to a worker just forked by another one: opens the command FIFO for writing and the
    /// reply FIFO for reading, in the order the child opens them, and reads the child's `ok PID`.
    static func attachForked(
        name: String, pid: pid_t, executable: String, commandPath: String, replyPath: String
    ) throws -> WorkerProcess {
        var commandFD: Int32 = -1
        // Non-blocking opens with a deadline, so that a child that died before opening its FIFOs
        // cannot hang the driver. O_WRONLY | O_NONBLOCK fails with ENXIO until the child reads.
        let deadline = monotonicSeconds() + 30
        while true {
            commandFD = open(commandPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if commandFD >= 0 { break }
            let e = errno
            guard e == ENXIO || e == EINTR else { throw HostError.system("open \(commandPath)", e) }
            if Glibc.kill(pid, 0) != 0 && errno == ESRCH { throw ScenarioError("worker for process \(name) died") }
            if monotonicSeconds() > deadline { throw ScenarioError("worker for process \(name) did not open its command FIFO") }
            usleep(1000)
        }
        // A reader opened without O_NONBLOCK would wait for the child's open; O_NONBLOCK plus poll()
        // waits for its first reply instead (poll reports no hangup before a writer ever came).
        let replyFD = open(replyPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard replyFD >= 0 else {
            let e = errno
            close(commandFD)
            throw HostError.system("open \(replyPath)", e)
        }
        setBlocking(commandFD)
        setBlocking(replyFD)
        let w = WorkerProcess(
            name: name, pid: pid, spawnedDirectly: false, executable: executable, commandFD: commandFD, replyFD: replyFD)
        let line = try w.readLine()
        guard line == "ok \(pid)" else {
            throw ScenarioError("the forked worker for process \(name) answered \"\(line)\", not \"ok \(pid)\"")
        }
        return w
    }

    private static func setBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    }

    // MARK: Protocol

    /// Sends one command and returns its reply's value (`nil` for a bare `ok`); `err E` throws the
    /// ``Errno`` (or a ``ScenarioError`` for an errno the model has no name for).
    @discardableResult
    func call(_ command: String) throws -> Int64? {
        try send(command)
        let line = try readLine()
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("ok", 1):
            return nil
        case ("ok", 2):
            if let v = Int64(parts[1]) { return v }
            if let v = UInt64(parts[1]) { return Int64(bitPattern: v) }
        case ("err", 2):
            if let e = Int32(parts[1]) { throw HostError.errno(e) }
        default:
            break
        }
        throw ScenarioError("the worker for process \(name) answered \"\(line)\" to \"\(command)\"")
    }

    /// Sends one command line.
    func send(_ command: String) throws {
        let bytes = Array((command + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let r = bytes.withUnsafeBytes { write(commandFD, $0.baseAddress! + offset, $0.count - offset) }
            if r < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EPIPE { throw died() }
                throw HostError.system("write to the worker for process \(name)", e)
            }
            offset += r
        }
    }

    /// The next reply line, without its newline.
    func readLine() throws -> String {
        while true {
            if let i = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<i], as: UTF8.self)
                pending.removeSubrange(...i)
                return line
            }
            guard try readMore(timeoutSeconds: Self.replyTimeoutSeconds) else { throw died() }
        }
    }

    /// Reads what the worker sent into `pending`; false at end of file.
    private func readMore(timeoutSeconds: Int) throws -> Bool {
        var waited = 0
        while true {
            var pfd = pollfd(fd: replyFD, events: Int16(POLLIN), revents: 0)
            let n = poll(&pfd, 1, 1000)
            if n < 0 {
                if errno == EINTR { continue }
                throw HostError.system("poll", errno)
            }
            if n == 0 {
                // A forked worker is reaped as soon as it ends, so its pid vanishing means death
                // even when no writer ever opened its reply FIFO.
                if !spawnedDirectly && Glibc.kill(pid, 0) != 0 && errno == ESRCH { return false }
                waited += 1
                if waited >= timeoutSeconds {
                    throw ScenarioError("the worker for process \(name) did not answer within \(timeoutSeconds) s")
                }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let r = chunk.withUnsafeMutableBytes { read(replyFD, $0.baseAddress, $0.count) }
            if r < 0 {
                let e = errno
                if e == EINTR || e == EAGAIN { continue }
                throw HostError.system("read from the worker for process \(name)", e)
            }
            if r == 0 { return false }
            pending.append(contentsOf: chunk[..<r])
            return true
        }
    }

    /// Marks the worker dead and returns the error saying so.
    private func died() -> ScenarioError {
        isRunning = false
        return ScenarioError("worker for process \(name) died")
    }

    /// Sends `exit` and waits until the worker has closed its end (that is, has ended); reaps it
    /// if the driver spawned it. A worker that does not end in time is killed.
    func exit() throws {
        defer { finish() }
        try send("exit")
        do {
            while try readMore(timeoutSeconds: 30) { pending.removeAll() }
        } catch {
            kill()
        }
        isRunning = false
    }

    /// Kills the worker (SIGKILL) if it still runs, closes the driver's descriptors and reaps it if
    /// the driver spawned it. A forked worker is only signalled while `pid` still names a worker.
    func kill() {
        if isRunning {
            if spawnedDirectly {
                _ = Glibc.kill(pid, SIGKILL)  // unreaped: the pid cannot have been reused
            } else if isStillWorker {
                _ = Glibc.kill(pid, SIGKILL)
            }
            isRunning = false
        }
        finish()
    }

    /// Whether `pid` is still a process running the worker binary (guards against pid reuse).
    var isStillWorker: Bool {
        guard let target = Self.readLink("/proc/\(pid)/exe") else { return false }
        return target == executable || target == executable + " (deleted)"
    }

    private func finish() {
        closeDescriptors()
        if spawnedDirectly && !reaped {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }
    }

    private func closeDescriptors() {
        for fd in [commandFD, replyFD, memFD] where fd >= 0 { close(fd) }
        commandFD = -1
        replyFD = -1
        memFD = -1
    }

    // MARK: Memory

    /// `/proc/PID/mem`, opened read-write once per address space.
    func memFile() throws -> Int32 {
        if memFD >= 0 { return memFD }
        let fd = open("/proc/\(pid)/mem", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT || e == ESRCH { throw died() }
            throw HostError.system("open /proc/\(pid)/mem", e)
        }
        memFD = fd
        return fd
    }

    /// Forgets the `/proc/PID/mem` descriptor: after execve it refers to the old address space.
    func dropMemFile() {
        if memFD >= 0 { close(memFD) }
        memFD = -1
    }

    // MARK: Helpers

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buf, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Errors of the host runner's system calls.
enum HostError {
    /// The ``Errno`` for a kernel error number, or a ``ScenarioError`` naming a number the model does
    /// not know.
    static func errno(_ e: Int32) -> Error {
        if let known = Errno(rawValue: e) { return known }
        return ScenarioError(
            "the host kernel returned errno \(e) (\(String(cString: strerror(e)))), which the model has no name for")
    }

    /// A failed system call of the driver itself (not a scenario step's).
    static func system(_ what: String, _ e: Int32) -> ScenarioError {
        ScenarioError("\(what): \(String(cString: strerror(e)))")
    }
}
