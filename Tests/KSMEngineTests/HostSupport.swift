import Glibc
import Testing

@testable import KSMEngine

/// Whether the host-kernel tests can run here: they need root and KSM (`/sys/kernel/mm/ksm`).
enum HostKernel {
    static var available: Bool { geteuid() == 0 && access("/sys/kernel/mm/ksm", F_OK) == 0 }
    /// The trait's comment, shown where the tests are skipped.
    static let skipReason: Comment = "needs root and /sys/kernel/mm/ksm: the comparison with the host kernel is skipped"

    /// Runs `body` holding a lock of the tests' own (not the runners' host lock, which a runner
    /// takes and lets go during the test): tests that leave a knob changed between runs
    /// (`HostInterruptTests`) and tests that compare the knobs before and after a run
    /// (`HostKernelBenchmarkTests`) hold it, so that neither sees the other's change.
    static func withKnobTestLock<R>(_ body: () throws -> R) rethrows -> R {
        let fd = open("/run/lock/ksmd-sim-knob-tests.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { flock(fd, LOCK_EX) }
        defer {
            if fd >= 0 {
                flock(fd, LOCK_UN)
                close(fd)
            }
        }
        return try body()
    }
}

/// The package's root directory (this file is Tests/KSMEngineTests/HostSupport.swift).
let packageRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The `.json` files of a directory under the package root, sorted, as paths relative to it.
func scenarioFiles(in directory: String) -> [String] {
    guard let dir = opendir(packageRoot + "/" + directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name.hasSuffix(".json") { names.append(directory + "/" + name) }
    }
    return names.sorted()
}

/// Examples too big for the suites that run every example in full (`ContentModeTests` would run
/// them with 4 KiB a page, `KernelDifferentialTests` on this machine's memory, `ModelBasedTests`
/// against a reference model): `host-fleet.json` simulates 32 Mi pages, 128 GiB, and takes
/// minutes and gigabytes even with content ids. `HostFleetExampleTests` runs a copy scaled down
/// 4,096 times in both content modes instead; docs/scale.md gives the full run's numbers.
let hostSizedExamples: Set<String> = ["examples/host-fleet.json"]

/// The scenario files of `examples/` that every-example suites run: all but ``hostSizedExamples``.
func exampleFiles() -> [String] {
    scenarioFiles(in: "examples").filter { !hostSizedExamples.contains($0) }
}

/// Reads and parses a scenario file under the package root.
func loadScenario(_ relativePath: String) throws -> Scenario {
    switch ProcFiles.read(packageRoot + "/" + relativePath) {
    case .success(let text):
        let full = packageRoot + "/" + relativePath
        return try Scenario.parse(text, baseDirectory: String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
    case .failure(let e): throw ScenarioError("cannot read \(relativePath): errno \(e.errno)")
    }
}

/// Why the host kernel cannot run `scenario`, or `nil` if it can: other rules than the host's, or
/// mapping kinds that need a device, a DAX filesystem or a legacy-driver file.
func hostCannotRun(_ scenario: Scenario) -> String? {
    if scenario.rules != .linux6_17 { return "rule set \(scenario.rules.name)" }
    if scenario.ksmtuned != nil { return "ksmtuned (top-level)" }
    for step in scenario.steps {
        switch step.action {
        case .runFor, .mutator, .ksmtuned, .ksmtunedStop: return "simulated-clock steps (step \(step.index), \(step.op))"
        case .load, .clone: return "captured-memory steps (step \(step.index), \(step.op))"
        default: break
        }
        if case .mmap(_, _, _, _, let spec) = step.action {
            switch spec.request.backing {
            case .anonymous, .shmem, .file(.mmapPrepare): continue
            case .file(.mmap) where spec.request.file == "/dev/zero": continue
            default: return "\(spec.map) mappings (step \(step.index))"
            }
        }
    }
    return nil
}
