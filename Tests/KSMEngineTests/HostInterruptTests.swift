import Glibc
import Testing

@testable import KSMEngine

/// `ksmd-sim kernel` interrupted mid-scan by SIGINT or SIGTERM puts every KSM knob back as it found
/// it. Needs root and /sys/kernel/mm/ksm, and the ksmd-sim binary built next to the tests.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct HostInterruptTests {
    static let knobs = "/sys/kernel/mm/ksm"

    /// A scenario whose scans take long: many pages, a small batch, a long sleep.
    static let slowScenario = """
        {"ksm": {"pages_to_scan": 10, "sleep_millisecs": 200},
         "steps": [
          {"op": "spawn", "process": "p"},
          {"op": "mmap", "process": "p", "at": 0, "pages": 2000, "prot": "rw", "map": "private-anon"},
          {"op": "madvise", "process": "p", "at": 0, "pages": 2000, "advice": "mergeable"},
          {"op": "write", "process": "p", "at": 0, "pages": 2000, "fill": {"classes": 7, "namespace": "slow"}},
          {"op": "scan", "full_scans": 50}
        ]}
        """

    static func read(_ name: String) -> String {
        guard case .success(let s) = ProcFiles.read("\(knobs)/\(name)") else { return "?" }
        return s.trimmingWhitespace
    }

    /// Runs with the host KSM lock held, so no other runner is mid-run.
    static func withLock<R>(_ body: () throws -> R) rethrows -> R {
        let fd = open(HostKSMControl.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        precondition(fd >= 0)
        flock(fd, LOCK_EX)
        defer {
            flock(fd, LOCK_UN)
            close(fd)
        }
        return try body()
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedRunRestoresKnobs(signal sig: Int32) throws {
        try HostKernel.withKnobTestLock { try interruptRun(signal: sig) }
    }

    private func interruptRun(signal sig: Int32) throws {
        guard let dir = HostKernelBackend.executableDirectory(), access(dir + "/ksmd-sim", X_OK) == 0 else {
            Issue.record("ksmd-sim is not built next to the tests (run `swift build --build-tests`)")
            return
        }
        // A non-default value the run must give back.
        Self.withLock { _ = HostKSMControl.writeFile("\(Self.knobs)/pages_to_scan", "123") }
        defer { Self.withLock { _ = HostKSMControl.writeFile("\(Self.knobs)/pages_to_scan", "100") } }
        let path = "/tmp/ksmd-sim-interrupt-\(getpid()).json"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = Self.slowScenario.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        defer { unlink(path) }

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(dir + "/ksmd-sim"), strdup("kernel"), strdup(path), nil]
        defer { for a in argv { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The test runner's threads block signals; the child starts with none blocked, as from a shell.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        #expect(posix_spawn(&pid, argv[0]!, &actions, &attr, argv, environ) == 0)

        // Wait until it is scanning (run=1 with the scenario's batch size), then interrupt it. It
        // may first wait for another runner to release the host lock.
        let deadline = WorkerProcess.monotonicSeconds() + 600
        while !(Self.read("run") == "1" && Self.read("pages_to_scan") == "10") && WorkerProcess.monotonicSeconds() < deadline {
            usleep(5_000)
        }
        #expect(Self.read("run") == "1", "the run never started scanning")
        kill(pid, sig)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let signalled = (status & 0x7f) == sig
        #expect(signalled, "ksmd-sim should die of the signal after restoring (status \(status))")

        Self.withLock {
            #expect(Self.read("run") == "0")
            #expect(Self.read("pages_to_scan") == "123")
            #expect(Self.read("sleep_millisecs") == "20")
            #expect(Self.read("full_scans") == "0")
            #expect(Self.read("pages_shared") == "0")
        }
    }
}
