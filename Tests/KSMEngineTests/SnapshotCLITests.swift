import Glibc
import Testing

@testable import KSMEngine

/// `ksmd-sim capture` and `ksmd-sim estimate --snapshot` as users meet them: exit statuses, one
/// error line, and the snapshot's estimate equal to the live one.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct SnapshotCLITests {
    @Test func captureThenEstimateEqualsTheLiveEstimate() throws {
        let child = try SnapshotTests.SleepingChild()
        defer { child.stop() }
        let path = try SnapshotTests.temporaryPath()
        let anonymized = try SnapshotTests.temporaryPath()
        defer {
            unlink(path)
            unlink(anonymized)
        }
        let c = try CLITests.ksmdSim(["capture", "--pid", "\(child.pid)", "-o", path])
        #expect(c.status == 0 && c.stderr.isEmpty)
        #expect(c.stdout.hasPrefix("captured 1 process: ") && c.stdout.hasSuffix("-> \(path)\n"))
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let a = try CLITests.ksmdSim(["capture", "--pid", "\(child.pid)", "-o", anonymized, "--anonymize"])
        #expect(a.status == 0 && a.stdout.contains(", anonymized -> "))

        let live = try CLITests.ksmdSim(["estimate", "--pid", "\(child.pid)", "--json"])
        let fromFile = try CLITests.ksmdSim(["estimate", "--snapshot", path, "--json"])
        let fromAnonymized = try CLITests.ksmdSim(["estimate", "--snapshot", anonymized, "--json"])
        #expect(live.status == 0 && fromFile.status == 0 && fromAnonymized.status == 0)
        #expect(fromFile.stdout == live.stdout)
        #expect(fromAnonymized.stdout == live.stdout)
        let text = try CLITests.ksmdSim(["estimate", "--snapshot", path])
        #expect(text.status == 0 && text.stdout.contains("pages_sharing"))
    }

    @Test func aBadSnapshotIsOneLine() throws {
        let path = try CLITests.scenarioFile(#"{"steps":[]}"#)
        defer { unlink(path) }
        let r = try CLITests.ksmdSim(["estimate", "--snapshot", path])
        #expect(r.status == 65 && r.stdout.isEmpty)
        #expect(r.stderrLines == ["ksmd-sim: estimate: \(path): not a ksmd-sim snapshot (it does not start with KSMSNAP)"])
        let missing = try CLITests.ksmdSim(["estimate", "--snapshot", "/nonexistent-ksmd-sim.ksmsnap"])
        #expect(missing.status == 66 && missing.stderrLines.count == 1)
    }

    @Test func aFailedCaptureWritesNothing() throws {
        guard case .success(let text) = ProcFiles.read("/proc/sys/kernel/pid_max"), let pidMax = Int32(text.trimmingWhitespace)
        else {
            Issue.record("cannot read pid_max")
            return
        }
        let path = try SnapshotTests.temporaryPath()
        let r = try CLITests.ksmdSim(["capture", "--pid", "\(pidMax)", "-o", path])
        #expect(r.status == 66 && r.stderrLines.count == 1 && r.stderr.hasPrefix("ksmd-sim: capture: no process \(pidMax)"))
        #expect(access(path, F_OK) != 0)
        let unwritable = try CLITests.ksmdSim(["capture", "--pid", "\(getpid())", "-o", "/nonexistent-ksmd-sim-dir/x"])
        #expect(unwritable.status == 73 && unwritable.stderrLines.count == 1)
    }

    @Test(
        arguments: [
            ["capture", "--pid", "1"],
            ["capture", "-o", "/tmp/x"],
            ["capture", "--pid", "1", "-o", "/tmp/x", "--key", "00"],
            ["capture", "--pid", "1", "-o", "/tmp/x", "--anonymize", "--key", "xyz"],
            ["estimate", "--pid", "1", "--snapshot", "/tmp/x"],
            ["estimate"],
        ])
    func badCommandLinesAreUsageErrors(args: [String]) throws {
        let r = try CLITests.ksmdSim(args)
        #expect(r.status == 64 && r.stderrLines.count == 1, "\(args): \(r.stderr)")
    }
}
