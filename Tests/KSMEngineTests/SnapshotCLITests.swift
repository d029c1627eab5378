import Foundation
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

    /// A file error gets the same line and exit status from every command that reads the file
    /// (`Exit.status(of:)`): 66 missing or not a regular file, 65 not what it should be, 73 an
    /// output that cannot be written.
    @Test func fileErrorsGetOneStatusInEveryCommand() throws {
        let dir = CoreFileTests.TempDir()
        let missing = dir.file("missing")
        let bad = dir.file("bad.trace")
        let good = dir.file("good.trace")
        let badText = "ksmd-sim-trace 1\nprocess a\nnot-a-hash\n"
        try Data(badText.utf8).write(to: URL(fileURLWithPath: bad))
        try Data(TraceTests.sampleTrace().0.utf8).write(to: URL(fileURLWithPath: good))
        let out = dir.file("out.ksmsnap")
        let cases: [(args: [String], status: Int32, line: String)] = [
            (["estimate", "--snapshot", missing], 66, "estimate: cannot open \(missing): ENOENT (No such file or directory)"),
            (["estimate", "--trace", missing], 66, "estimate: cannot open \(missing): ENOENT (No such file or directory)"),
            (
                ["capture", "--trace", missing, "-o", out], 66,
                "capture: cannot open \(missing): ENOENT (No such file or directory)"
            ),
            (["estimate", "--core", missing], 66, "estimate: cannot read \(missing): ENOENT (No such file or directory)"),
            (["estimate", "--snapshot", dir.path], 66, "estimate: cannot read \(dir.path): not a regular file"),
            (["capture", "--trace", dir.path, "-o", out], 66, "capture: cannot read \(dir.path): not a regular file"),
            (["estimate", "--core", dir.path], 66, "estimate: cannot read \(dir.path): not a regular file"),
            (["estimate", "--snapshot", bad], 65, "estimate: \(bad): not a ksmd-sim snapshot (it does not start with KSMSNAP)"),
            (
                ["estimate", "--core", bad], 65,
                "estimate: \(bad): not an x86-64 ELF core file: no ELF magic (the file has \(badText.utf8.count) bytes)"
            ),
            (["capture", "--trace", good, "-o", dir.file("no-dir/out")], 73, "capture: cannot create"),
        ]
        for c in cases {
            let r = try CLITests.ksmdSim(c.args)
            #expect(r.status == c.status && r.stdout.isEmpty, "\(c.args): \(r.status) \(r.stderr)")
            #expect(r.stderrLines.count == 1 && r.stderr.hasPrefix("ksmd-sim: " + c.line), "\(c.args): \(r.stderr)")
        }
        // A bad trace: the same line, after the command's name, from estimate and capture.
        let e = try CLITests.ksmdSim(["estimate", "--trace", bad])
        let c = try CLITests.ksmdSim(["capture", "--trace", bad, "-o", out])
        #expect(e.status == 65 && c.status == 65)
        #expect(e.stderr.dropFirst("ksmd-sim: estimate: ".count) == c.stderr.dropFirst("ksmd-sim: capture: ".count))
        #expect(access(out, F_OK) != 0)
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
