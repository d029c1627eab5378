import Foundation
import Glibc
import Testing

@testable import KSMEngine

/// `FileIO`, the one opening and reading of input files that snapshots, traces and core files
/// share, and the error lines each reader makes of its failures (unchanged since each had its own).
@Suite struct FileIOTests {
    @Test func aRegularFileOpensWithItsSizeAndReadsShortAtItsEnd() throws {
        let dir = CoreFileTests.TempDir()
        let path = dir.file("five")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let (fd, size) = try FileIO.openRegularFile(path)
        defer { close(fd) }
        #expect(size == 5)
        let all = FileIO.preadBytes(fd, count: 10, at: 0)
        #expect(all.bytes == Array("hello".utf8) && all.errno == 0)
        #expect(FileIO.preadBytes(fd, count: 2, at: 3).bytes == Array("lo".utf8))
        #expect(FileIO.preadBytes(fd, count: 0, at: 0).bytes.isEmpty)
        #expect(FileIO.preadBytes(fd, count: 4, at: 9).bytes.isEmpty)
    }

    @Test func aMissingFileAndADirectoryAreRefused() throws {
        let dir = CoreFileTests.TempDir()
        #expect {
            try FileIO.openRegularFile(dir.file("missing"))
        } throws: { ($0 as? FileIO.OpenError).map { $0.call == "open" && $0.errno == ENOENT } ?? false }
        #expect {
            try FileIO.openRegularFile(dir.path)
        } throws: { ($0 as? FileIO.OpenError).map { $0.call == nil } ?? false }
        #expect(FileIO.describe(errno: ENOENT) == "ENOENT (No such file or directory)")
    }

    /// Each reader's line for a missing file and for a directory, as before they shared `FileIO`.
    @Test func everyReaderKeepsItsErrorLines() throws {
        let dir = CoreFileTests.TempDir()
        let missing = dir.file("missing")
        func core(_ path: String) -> CoreFileError? {
            do {
                _ = try ELFCoreFile(path: path)
                return nil
            } catch { return error }
        }
        func snapshot(_ path: String, trace: Bool) -> SnapshotError? {
            do {
                if trace { _ = try SnapshotFile.load(trace: path) } else { _ = try SnapshotFile.load(from: path) }
                return nil
            } catch { return error }
        }
        #expect(core(missing)?.description == "cannot read \(missing): ENOENT (No such file or directory)")
        #expect(core(missing)?.errno == ENOENT && core(missing)?.kind == .unreadable)
        #expect(core(dir.path)?.description == "cannot read \(dir.path): not a regular file")
        #expect(core(dir.path)?.errno == nil)
        for trace in [false, true] {
            let m = snapshot(missing, trace: trace)
            #expect(m?.kind == .cannotRead && m?.message == "cannot open \(missing): ENOENT (No such file or directory)")
            let d = snapshot(dir.path, trace: trace)
            #expect(d?.kind == .cannotRead && d?.message == "cannot read \(dir.path): not a regular file")
        }
    }
}
