import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Soak: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Model-based soak test: random scenarios, each step checked against a reference model of memory and the simulator's invariants.",
        discussion: """
            Scenario k uses seed SEED + k (odd seeds also map DAX files, devices and legacy-driver \
            files). After every step, every live process's memory must read what a naive reference \
            model computes, and SimulatedKernel.invariantViolations() must be empty; the same \
            scenario without its scan, ksm and ksm_run steps must read the same at every step. \
            Stops at the first failure and prints its seed and its shrunk scenario (exit status 1).
            """)

    @Option(parsing: .unconditional, help: "Scenario steps to execute in all.")
    var operations: Int = 1_000_000

    @Option(parsing: .unconditional, help: "The first scenario's seed.", transform: parseSeed)
    var seed: UInt64 = 1

    func validate() throws {
        try requireOption("--operations", operations, in: 1...Int.max, unbounded: true)
    }

    func run() throws {
        SoakCrashNote.install()
        var done = 0
        var scenarios = 0
        let progressEvery = 100_000
        var nextProgress = progressEvery
        while done < operations {
            let s = seed &+ UInt64(scenarios)
            SoakCrashNote.set(
                "ksmd-sim soak: crashed in the scenario of seed \(s) (ksmd-sim soak --operations 1 --seed \(s) runs it alone)\n")
            let outcome = ModelCheck.runCounting(seed: s)
            scenarios += 1
            done += outcome.operations
            if let failure = outcome.failure {
                SoakCrashNote.set("ksmd-sim soak: crashed while shrinking the failure of seed \(s)\n")
                let shrunk = ModelCheck.shrink(failure)
                print("\(done) operations in \(scenarios) scenarios; FAILED:")
                print(shrunk)
                fflush(nil)
                throw ExitCode(1)
            }
            while done >= nextProgress && nextProgress < operations {
                print("\(nextProgress) operations, \(scenarios) scenarios (seeds \(seed)...\(s)), no violation")
                fflush(nil)
                nextProgress += progressEvery
            }
        }
        print("\(done) operations in \(scenarios) scenarios, no violation")
    }
}

/// One line printed to stderr if the process crashes (a trap in the simulator), naming the seed;
/// then the previous handler (the runtime's backtrace, or the default action) takes over.
private enum SoakCrashNote {
    static let size = 512
    nonisolated(unsafe) static let note: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        p.initialize(repeating: 0, count: size)
        return p
    }()
    nonisolated(unsafe) static let previous: UnsafeMutablePointer<sigaction> = .allocate(capacity: 65)
    static let signals = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    static func install() {
        _ = note
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                _ = write(2, SoakCrashNote.note, strlen(SoakCrashNote.note))
                // Back to the previous handler; the faulting instruction (or abort) signals again.
                _ = sigaction(sig, SoakCrashNote.previous + Int(sig), nil)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(sig, &action, previous + Int(sig))
        }
    }

    static func set(_ text: String) {
        var bytes = Array(text.utf8.prefix(size - 1))
        bytes.append(0)
        bytes.withUnsafeBytes { note.update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: bytes.count) }
    }
}
