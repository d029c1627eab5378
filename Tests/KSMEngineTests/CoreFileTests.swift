import Foundation
import Glibc
import Testing

@testable import KSMEngine

/// `estimate --core`: the ELF core reader on files written here (known pages, notes, and corrupt,
/// truncated and foreign variants), and on a real `gcore` of a child process compared with
/// `estimate --pid` of the same process.
@Suite struct CoreFileTests {
    // MARK: A synthetic core file

    /// An ELF64 x86-64 `ET_CORE` file: header, program headers, one `PT_NOTE`, then the segments'
    /// pages.
    struct SyntheticCore {
        struct Load {
            var address: UInt64
            var flags: UInt32
            var pages: [UInt8]  // whole pages dumped
            var memoryPages: Int  // p_memsz in pages (at least the dumped ones)
        }
        var loads: [Load] = []
        var files: [(start: UInt64, end: UInt64, pageOffset: UInt64, path: String)] = []
        var pid: Int32 = 4242
        var command = "synthetic"
        var vdso: UInt64?
        var qemuNote = false

        static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

        static func note(_ name: String, _ type: UInt32, _ desc: [UInt8]) -> [UInt8] {
            var n = Array(name.utf8) + [0]
            let nameSize = n.count
            while n.count % 4 != 0 { n.append(0) }
            var d = desc
            while d.count % 4 != 0 { d.append(0) }
            return le(UInt32(nameSize)) + le(UInt32(desc.count)) + le(type) + n + d
        }

        var notes: [UInt8] {
            var prpsinfo = [UInt8](repeating: 0, count: 136)
            prpsinfo.replaceSubrange(24..<28, with: Self.le(pid))
            let name = Array(command.utf8.prefix(15))
            prpsinfo.replaceSubrange(40..<(40 + name.count), with: name)
            var out = Self.note("CORE", 3, prpsinfo)
            out += Self.note("CORE", 1, [UInt8](repeating: 0, count: 336))  // NT_PRSTATUS: skipped
            if let vdso {
                out += Self.note("CORE", 6, Self.le(UInt64(33)) + Self.le(vdso) + Self.le(UInt64(0)) + Self.le(UInt64(0)))
            }
            if !files.isEmpty {
                var d = Self.le(UInt64(files.count)) + Self.le(UInt64(4096))
                for f in files { d += Self.le(f.start) + Self.le(f.end) + Self.le(f.pageOffset) }
                for f in files { d += Array(f.path.utf8) + [0] }
                out += Self.note("CORE", 0x4649_4c45, d)
            }
            if qemuNote { out += Self.note("QEMU", 0, [UInt8](repeating: 0, count: 24)) }
            return out
        }

        /// The file's bytes; `dataStart` is where the first segment's pages begin.
        var bytes: [UInt8] {
            let phnum = 1 + loads.count
            let notes = self.notes
            let notesOffset = 64 + 56 * phnum
            var offset = UInt64(notesOffset + notes.count)
            var header = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
            header += Self.le(UInt16(4)) + Self.le(UInt16(62)) + Self.le(UInt32(1)) + Self.le(UInt64(0))
            header += Self.le(UInt64(64)) + Self.le(UInt64(0)) + Self.le(UInt32(0))
            header += Self.le(UInt16(64)) + Self.le(UInt16(56)) + Self.le(UInt16(phnum)) + Self.le(UInt16(64))
            header += Self.le(UInt16(0)) + Self.le(UInt16(0))
            var ph = Self.le(UInt32(4)) + Self.le(UInt32(4)) + Self.le(UInt64(notesOffset)) + [UInt8](repeating: 0, count: 16)
            ph += Self.le(UInt64(notes.count)) + Self.le(UInt64(0)) + Self.le(UInt64(1))
            var data: [UInt8] = []
            for l in loads {
                ph += Self.le(UInt32(1)) + Self.le(l.flags) + Self.le(offset) + Self.le(l.address) + Self.le(UInt64(0))
                ph += Self.le(UInt64(l.pages.count)) + Self.le(UInt64(l.memoryPages * 4096)) + Self.le(UInt64(1))
                offset += UInt64(l.pages.count)
                data += l.pages
            }
            return header + ph + notes + data
        }

        func write(to path: String) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    /// A temporary directory removed at the end of a test.
    final class TempDir {
        let path: String
        init() {
            var template = Array("/tmp/ksmd-sim-core-XXXXXX".utf8CString)
            path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        }
        func file(_ name: String) -> String { path + "/" + name }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func page(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 4096) }

    /// The known pages of ``EstimateTests/knownPages()`` in an anonymous segment (32 of 4 classes,
    /// 16 zeros, 16 unique), a file-backed writable segment of 4 pages of which 2 equal the file
    /// and 2 are written copies equal to the first class, a file-backed text segment not dumped,
    /// and a vDSO.
    static func knownCore(in dir: TempDir) throws -> SyntheticCore {
        let libPath = dir.file("libknown.so")
        // The file: 8 pages; the mapping maps its pages 2-5.
        var lib: [UInt8] = []
        for i in 0..<8 { lib += page(UInt8(0xA0 + i)) }
        try Data(lib).write(to: URL(fileURLWithPath: libPath))
        var core = SyntheticCore()
        core.loads.append(.init(address: 0x10_0000, flags: 6, pages: EstimateTests.knownPages(), memoryPages: 64))
        core.loads.append(.init(address: 0x7f00_0000_0000, flags: 5, pages: [], memoryPages: 2))
        core.loads.append(
            .init(
                address: 0x7f00_0000_2000, flags: 6, pages: page(0xA2) + page(0x10) + page(0xA4) + page(0x10),
                memoryPages: 4))
        core.loads.append(.init(address: 0x7fff_0000_0000, flags: 5, pages: page(0x90), memoryPages: 1))
        core.files = [(0x7f00_0000_0000, 0x7f00_0000_2000, 0, libPath), (0x7f00_0000_2000, 0x7f00_0000_6000, 2, libPath)]
        core.vdso = 0x7fff_0000_0000
        return core
    }

    @Test func theReaderSeesSegmentsNotesAndFiles() throws {
        let dir = TempDir()
        let core = try Self.knownCore(in: dir)
        try core.write(to: dir.file("core"))
        let f = try ELFCoreFile(path: dir.file("core"))
        #expect(f.segments.map(\.start) == [0x10_0000, 0x7f00_0000_0000, 0x7f00_0000_2000, 0x7fff_0000_0000])
        #expect(f.segments.map(\.dumpedPages) == [64, 0, 4, 1])
        #expect(f.segments.map(\.pages) == [64, 2, 4, 1])
        #expect(f.pid == 4242 && f.command == "synthetic" && f.vdsoAddress == 0x7fff_0000_0000)
        #expect(
            f.mappedFiles.count == 2 && f.mappedFiles[1].fileOffset == 2 * 4096
                && f.mappedFiles[1].path == dir.file("libknown.so"))
        #expect(!f.isQEMUDump && !f.usesPhysicalAddresses)
        var buffer = [UInt8](repeating: 0, count: 4096)
        try buffer.withUnsafeMutableBytes { try f.readPages(of: f.segments[2], at: 1, count: 1, into: $0) }
        #expect(buffer == Self.page(0x10))

        // The offset of a segment with nothing in the file does not matter.
        var bytes = core.bytes
        let ph2 = 64 + 56 * 2
        bytes.replaceSubrange((ph2 + 8)..<(ph2 + 16), with: SyntheticCore.le(UInt64.max))
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("core2")))
        #expect(try ELFCoreFile(path: dir.file("core2")).segments.count == 4)
    }

    /// The estimate of the known core equals the simulator's counters for the pages it takes:
    /// 48 non-zero anonymous pages and the 2 written copies of the file-backed segment.
    @Test func aKnownCoreGivesTheSimulatorsCounters() throws {
        let dir = TempDir()
        try Self.knownCore(in: dir).write(to: dir.file("core"))
        let e = try KSMEstimator().estimate(coreFiles: [dir.file("core")])
        let p = try #require(e.processes.first)
        #expect(p.pid == 4242 && p.command == "synthetic")
        #expect(p.vmas == 4 && p.eligibleVMAs == 3)
        #expect(e.exclusions == [KSMEstimate.Exclusion(reason: "VM_DONTEXPAND", vmas: 1, pages: 1, residentPages: 1)])
        #expect(p.eligiblePages == 50 && p.zeroPageMappings == 16 && p.zeroFilledPages == 0)
        // The first class has 8 + 2 copies, the other three 8 each; 16 unique pages stay unshared.
        #expect(
            [e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared, e.counters.ksmZeroPages] as [Int] == [
                4, 30, 16, 0,
            ])
        #expect(p.mergingPages == 34)
        #expect(e.zeroPage == .notRecorded(zeroFilledSkipped: true))
        #expect(e.notes.contains { $0.hasPrefix("16 all-zero pages") })
        #expect(e.notes.contains { $0.hasPrefix("2 dumped pages of file mappings equal the file's page") })
        #expect(e.json["zero_page"]?["detection"] == .string("not-recorded"))
        #expect(e.json["zero_page"]?["zero_filled_pages"] == .string("skipped"))

        // The same pages in the simulator directly.
        let snapshot = KSMSnapshot(rules: .linux6_17, memoryBudgetPages: 1 << 16)
        let layout = try snapshot.addProcess(vmaPages: [48, 2])
        let known = EstimateTests.knownPages()
        try (Array(known[0..<(32 * 4096)]) + Array(known[(48 * 4096)...])).withUnsafeBytes {
            try KSMSnapshot.write($0, to: layout.pid, at: layout.starts[0], in: snapshot.kernel)
        }
        try (Self.page(0x10) + Self.page(0x10)).withUnsafeBytes { try KSMSnapshot.write($0, to: layout.pid, at: layout.starts[1], in: snapshot.kernel) }
        let c = snapshot.converge(maxFullScans: 50, stableScans: 2).counters
        #expect(
            [c.pagesShared, c.pagesSharing, c.pagesUnshared] as [Int] == [
                e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared,
            ])
    }

    @Test func countingZeroFilledPagesMergesThemAsWrittenZeros() throws {
        let dir = TempDir()
        try Self.knownCore(in: dir).write(to: dir.file("core"))
        let e = try KSMEstimator().estimate(coreFiles: [dir.file("core")], zeroFilledPages: .counted)
        let p = try #require(e.processes.first)
        #expect(p.eligiblePages == 66 && p.zeroPageMappings == 0 && p.zeroFilledPages == 16)
        #expect([e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared] as [Int] == [5, 45, 16])
    }

    @Test func aRangeRestrictsTheSegments() throws {
        let dir = TempDir()
        try Self.knownCore(in: dir).write(to: dir.file("core"))
        let e = try KSMEstimator(options: .init(range: 0x10_0000..<0x12_0000)).estimate(coreFiles: [dir.file("core")])
        let p = try #require(e.processes.first)
        #expect(p.vmas == 1 && p.eligiblePages == 32)  // pages 0-31: the four classes
        #expect([e.counters.pagesShared, e.counters.pagesSharing] as [Int] == [4, 28])
    }

    @Test func anUnreadableMappedFileIsNotCounted() throws {
        let dir = TempDir()
        var core = try Self.knownCore(in: dir)
        core.files = core.files.map { ($0.start, $0.end, $0.pageOffset, "/nonexistent/libgone.so (deleted)") }
        try core.write(to: dir.file("core"))
        let e = try KSMEstimator().estimate(coreFiles: [dir.file("core")])
        #expect(e.processes[0].eligiblePages == 48)
        #expect(
            e.notes.contains {
                $0.hasPrefix("4 dumped pages of 1 file mapping not readable here (/nonexistent/libgone.so (deleted))")
            })
    }

    /// A QEMU `dump-guest-memory` without paging: every `p_vaddr` 0, RAM at its physical addresses,
    /// no `NT_FILE`.
    @Test func aGuestDumpIsOneProcessAtPhysicalAddresses() throws {
        let dir = TempDir()
        var core = SyntheticCore()
        core.qemuNote = true
        core.loads = [
            .init(address: 0, flags: 7, pages: Self.page(1) + Self.page(2), memoryPages: 2),
            .init(address: 0, flags: 7, pages: Self.page(1) + Self.page(3), memoryPages: 2),
        ]
        var bytes = core.bytes
        // p_paddr of the second segment (program header 2, field at 24): 1 MiB.
        let ph2 = 64 + 56 * 2
        bytes.replaceSubrange((ph2 + 24)..<(ph2 + 32), with: SyntheticCore.le(UInt64(0x10_0000)))
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("guest")))
        let f = try ELFCoreFile(path: dir.file("guest"))
        #expect(f.isQEMUDump && f.usesPhysicalAddresses && f.segments.map(\.start) == [0, 0x10_0000])
        let e = try KSMEstimator().estimate(coreFiles: [dir.file("guest")])
        #expect(e.processes[0].eligiblePages == 4 && e.counters.pagesShared == 1 && e.counters.pagesSharing == 1)
        #expect(e.notes.contains { $0.hasPrefix("a guest's RAM") })
    }

    // MARK: Bad files

    @Test func everyTruncationIsRefusedWithOneLine() throws {
        let dir = TempDir()
        let bytes = try Self.knownCore(in: dir).bytes
        let path = dir.file("cut")
        let lengths = Array(0..<1200) + Array(stride(from: 1200, to: bytes.count, by: 997))
        for n in lengths {
            try Data(bytes[0..<n]).write(to: URL(fileURLWithPath: path))
            #expect(throws: CoreFileError.self, "\(n) bytes") {
                let f = try ELFCoreFile(path: path)
                // Opened: then the segments reach past the end, which the header check must have seen.
                Issue.record("a core cut at \(n) bytes opened with \(f.segments.count) segments")
            }
            do {
                _ = try KSMEstimator().estimate(coreFiles: [path])
                Issue.record("a core cut at \(n) bytes was estimated")
            } catch {
                #expect(error.kind == .malformedFile || error.kind == .noFile)
                #expect(!error.message.contains("\n") && (error.message.hasPrefix(path) || error.message.hasPrefix("cannot read")))
            }
        }
    }

    /// Every byte of the headers and notes of a small core flipped: refused with one line, or
    /// estimated; never a trap.
    @Test func flippedHeaderBytesNeverTrap() throws {
        let dir = TempDir()
        var core = try Self.knownCore(in: dir)
        core.loads[0].pages = Self.page(1) + Self.page(0) + Self.page(1)
        core.loads[0].memoryPages = 3
        let bytes = core.bytes
        let path = dir.file("flipped")
        let headersAndNotes = 64 + 56 * (1 + core.loads.count) + core.notes.count
        for i in 0..<headersAndNotes {
            for mask: UInt8 in [0xff, 0x80] {
                var b = bytes
                b[i] ^= mask
                try Data(b).write(to: URL(fileURLWithPath: path))
                do {
                    _ = try KSMEstimator().estimate(coreFiles: [path])
                } catch {
                    #expect(error.kind == .malformedFile, "byte \(i): \(error.message)")
                    #expect(!error.message.contains("\n"))
                }
            }
        }
    }

    @Test(
        arguments: [
            (4, 1, "ELF class 1, not ELFCLASS64 (2)"), (5, 2, "ELF data encoding 2, not little-endian (1)"),
            (16, 1, "ELF type 1, not ET_CORE (4)"), (18, 3, "machine 3, not EM_X86_64 (62)"), (0, 0x7e, "no ELF magic"),
        ] as [(Int, UInt8, String)])
    func foreignFilesAreNamed(offset: Int, value: UInt8, reason: String) throws {
        let dir = TempDir()
        var bytes = try Self.knownCore(in: dir).bytes
        bytes[offset] = value
        let path = dir.file("foreign")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try ELFCoreFile(path: path)
        } throws: { error in
            (error as? CoreFileError)?.description == "\(path): not an x86-64 ELF core file: \(reason)"
        }
    }

    @Test func overlappingOverflowingAndOutOfFileSegmentsAreRefused() throws {
        let dir = TempDir()
        func refusal(_ edit: (inout SyntheticCore) -> Void, patch: ((inout [UInt8]) -> Void)? = nil) throws -> String {
            var core = SyntheticCore()
            core.loads = [
                .init(address: 0x1000, flags: 6, pages: Self.page(1), memoryPages: 2),
                .init(address: 0x4000, flags: 6, pages: Self.page(2), memoryPages: 1),
            ]
            edit(&core)
            var bytes = core.bytes
            patch?(&bytes)
            let path = dir.file("c")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try ELFCoreFile(path: path)
                return "opened"
            } catch {
                return error.reason
            }
        }
        #expect(try refusal { $0.loads[1].address = 0x2000 } == "segments 0x1000-0x3000 and 0x2000-0x3000 overlap")
        #expect(try refusal { $0.loads[1].address = UInt64.max - 0xfff }.hasSuffix("overflows the address space"))
        #expect(try refusal { $0.loads[1].address = 0x4010 }.contains("not a whole number of 4096-byte pages"))
        // p_offset of segment 2 far beyond the end.
        let ph2 = 64 + 56 * 2
        #expect(
            try refusal({ _ in }, patch: { $0.replaceSubrange((ph2 + 8)..<(ph2 + 16), with: SyntheticCore.le(UInt64.max - 10)) })
                .contains("extend past the end of the file"))
        // A NT_FILE note claiming 2^60 entries.
        #expect(
            try refusal(
                { $0.files = [(0x1000, 0x2000, 0, "/x")] },
                patch: { b in
                    let at = b.firstRange(of: SyntheticCore.le(UInt64(1)) + SyntheticCore.le(UInt64(4096)))!.lowerBound
                    b.replaceSubrange(at..<(at + 8), with: SyntheticCore.le(UInt64(1) << 60))
                }
            ).contains("the NT_FILE note lists"))
        #expect(try refusal { _ in } == "opened")
    }

    @Test func aMissingFileIsNoFile() {
        #expect {
            try KSMEstimator().estimate(coreFiles: ["/nonexistent/core.1"])
        } throws: { error in
            (error as? EstimateError)?.kind == .noFile
                && "\(error)" == "cannot read /nonexistent/core.1: ENOENT (No such file or directory)"
        }
    }
}

/// `ksmd-sim estimate --core` as a user meets it: the output of a good file, one line and exit
/// status 65 for a bad one, 66 for a missing one, 64 for bad options.
@Suite(.enabled(if: FuzzTests.ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"))
struct CoreFileCLITests {
    @Test func goodBadAndMissingCoreFiles() throws {
        let dir = CoreFileTests.TempDir()
        let good = dir.file("core")
        try CoreFileTests.knownCore(in: dir).write(to: good)
        let text = try CLITests.ksmdSim(["estimate", "--core", good])
        #expect(text.status == 0 && text.stdout.hasPrefix("KSM estimate: 1 process, rules linux-6.17"), "\(text.stderr)")
        #expect(text.stdout.contains("all-zero anonymous pages are skipped"))
        let json = try CLITests.ksmdSim(["estimate", "--core", good, "--json", "--zero-filled-pages", "counted"])
        #expect(
            json.status == 0 && json.stdout.contains("\"zero_filled_pages\" : \"counted\"")
                || json.stdout.contains("\"zero_filled_pages\": \"counted\""))

        var bytes = try CoreFileTests.knownCore(in: dir).bytes
        bytes[18] = 183  // EM_AARCH64
        let foreign = dir.file("foreign")
        try Data(bytes).write(to: URL(fileURLWithPath: foreign))
        let bad = try CLITests.ksmdSim(["estimate", "--core", foreign])
        #expect(bad.status == 65 && bad.stdout.isEmpty)
        #expect(
            bad.stderrLines == ["ksmd-sim: estimate: \(foreign): not an x86-64 ELF core file: machine 183, not EM_X86_64 (62)"])

        let missing = try CLITests.ksmdSim(["estimate", "--core", dir.file("none")])
        #expect(missing.status == 66 && missing.stderrLines.count == 1)

        for args in [
            ["estimate", "--core", good, "--pid", "1"], ["estimate", "--pid", "1", "--zero-filled-pages", "counted"],
            ["estimate", "--core", good, "--zero-filled-pages", "maybe"],
        ] {
            let usage = try CLITests.ksmdSim(args)
            #expect(
                usage.status == 64 && usage.stderrLines.first?.hasPrefix("ksmd-sim: estimate: ") == true,
                "\(args): \(usage.stderr)")
        }
    }
}

// MARK: gcore of a live process

/// gdb's `gcore`, if installed.
enum GCore {
    static let path: String? = (["/usr/bin/gcore", "/usr/local/bin/gcore"] as [String]).first { (p: String) in
        access(p, X_OK) == 0
    }
    static let skipReason: Comment =
        "gcore (Debian package gdb) is not installed: the core-file comparisons with live processes are skipped"

    /// Dumps `pid` to `prefix.PID` with gcore; the path, or `nil` when gcore could not (ptrace refused).
    static func dump(_ pid: pid_t, prefix: String) -> String? {
        guard let gcore = path else { return nil }
        let status = run([gcore, "-o", prefix, "\(pid)"])
        let out = "\(prefix).\(pid)"
        return status == 0 && access(out, R_OK) == 0 ? out : nil
    }

    /// Runs `argv` with its output discarded; its exit status.
    static func run(_ argv: [String]) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        guard posix_spawn(&pid, argv[0], &actions, nil, cargs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }
}

/// A Python interpreter (child of the test process) that imported a few modules and wrote some
/// zero-filled and some duplicate memory (or runs another script), says it is ready (`r`) on a
/// pipe, then sleeps.
final class PythonChild {
    let pid: pid_t
    /// The read end of the child's stdout.
    private let output: Int32

    static let script = """
        import json, decimal, zlib, os, sys, time, mmap
        zeros = bytearray(64 * 4096)
        zeros[::4096] = bytes(64)
        m = mmap.mmap(-1, 64 * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        for i in range(64): m[i * 4096:(i + 1) * 4096] = bytes([i % 4 + 1]) * 4096
        os.write(1, b'r')
        time.sleep(300)
        """

    /// Idle interpreters with modules loaded, as in docs/estimate.md: `PR_SET_MEMORY_MERGE` on at
    /// `SIGUSR1` (answering `m` on stdout).
    static let idleScript = """
        import ctypes, signal, os, time, json, decimal, zlib, email.message, http.client, argparse
        libc = ctypes.CDLL(None, use_errno=True)
        def on(sig, frame):
            os.write(1, b'm' if libc.prctl(67, 1, 0, 0, 0) == 0 else b'e')
        signal.signal(signal.SIGUSR1, on)
        os.write(1, b'r')
        while True: time.sleep(1)
        """

    init?(script: String = PythonChild.script) {
        guard
            let python = (["/usr/bin/python3", "/usr/local/bin/python3"] as [String]).first(where: { (p: String) in
                access(p, X_OK) == 0
            })
        else { return nil }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        // The test's threads block signals; the child must get SIGUSR1, with its default action.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var usr1 = sigset_t()
        sigemptyset(&usr1)
        sigaddset(&usr1, SIGUSR1)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &usr1)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let argv = [python, "-c", script]
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let r = posix_spawn(&child, python, &actions, &attributes, cargs, environ)
        close(fds[1])
        guard r == 0 else {
            close(fds[0])
            return nil
        }
        pid = child
        output = fds[0]
        guard nextByte() == UInt8(ascii: "r") else {
            stop()
            return nil
        }
    }

    deinit { close(output) }

    /// The next byte the child writes, or `nil` at its end (or if it writes nothing for a minute:
    /// a guard against a hung test, not a measurement).
    func nextByte() -> UInt8? {
        var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        var ready: Int32 = 0
        repeat { ready = poll(&p, 1, 60_000) } while ready < 0 && errno == EINTR
        guard ready == 1 else { return nil }
        var byte: UInt8 = 0
        var got = 0
        repeat { got = read(output, &byte, 1) } while got < 0 && errno == EINTR
        return got == 1 ? byte : nil
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

@Suite(.serialized, .enabled(if: GCore.path != nil, GCore.skipReason))
struct CoreFileGCoreTests {
    /// A gcore of a Python child, estimated, against `estimate --pid` of the same process right
    /// after: the core counts the same pages but the written zeros (it cannot tell them from absent
    /// pages) and the written file pages equal to the file (taken for page cache).
    @Test func aGcoreOfAChildEstimatesAsTheLiveProcessDoes() throws {
        guard let child = PythonChild() else {
            Issue.record("no python3 to start a child process (/usr/bin/python3)")
            return
        }
        defer { child.stop() }
        let dir = CoreFileTests.TempDir()
        guard let core = GCore.dump(child.pid, prefix: dir.file("core")) else {
            // Without root, Yama or a container may forbid ptrace; as root gcore must work.
            if getuid() == 0 { Issue.record("gcore failed on a child process as root") }
            print("CoreFileGCoreTests: gcore could not attach to the child (ptrace not permitted): skipped")
            return
        }
        let live = try KSMEstimator().estimate(pids: [child.pid])
        let skipped = try KSMEstimator().estimate(coreFiles: [core])
        let counted = try KSMEstimator().estimate(coreFiles: [core], zeroFilledPages: .counted)
        let l = live.processes[0]
        let s = skipped.processes[0]
        #expect(s.pid == child.pid && s.command == l.command)
        // Every page the core counts is one the live process has (the file pages equal to the file
        // aside), and it misses the written zeros.
        let writtenZeros = l.zeroFilledPages
        #expect(writtenZeros >= 63)  // the script's bytearray of 64 zero pages (one may share a page with other data)
        let missing = l.eligiblePages - writtenZeros - s.eligiblePages
        #expect(
            abs(missing) * 100 <= l.eligiblePages * 3,
            "live \(l.eligiblePages), written zeros \(writtenZeros), core \(s.eligiblePages)")
        // The unique pages are the same pages: pages_unshared within 3%.
        let lu = live.counters.pagesUnshared
        #expect(abs(skipped.counters.pagesUnshared - lu) * 100 <= max(lu, 1) * 3, "\(skipped.counters.pagesUnshared) vs \(lu)")
        // The live estimate lies between the two readings of the zero pages.
        #expect(s.mergingPages <= l.mergingPages && l.mergingPages <= counted.processes[0].mergingPages)
        #expect(l.mergingPages - s.mergingPages <= writtenZeros + abs(missing))
    }
}

/// The core-file estimate of a `ksm-worker` with known memory, checked against what the host
/// kernel's ksmd then merges in it. Root only, and gcore.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason), .enabled(if: GCore.path != nil, GCore.skipReason))
struct CoreFileHostKernelTests {
    @Test func theCoreOfAWorkerEstimatesWhatTheKernelMerges() throws {
        let s = try Scenario.parse(EstimateHostKernelTests.scenario)
        let backend = try HostKernelBackend(rules: s.rules)
        defer { backend.shutdown() }
        _ = try ScenarioRunner.run(s, on: backend)
        let pid = try #require(backend.hostPID("p"))
        let dir = CoreFileTests.TempDir()
        let core = try #require(GCore.dump(pid, prefix: dir.file("core")), "gcore of the worker failed")
        let window = EstimateHostKernelTests.window
        let skipped = try KSMEstimator(options: .init(range: window)).estimate(coreFiles: [core])
        let counted = try KSMEstimator(options: .init(range: window)).estimate(coreFiles: [core], zeroFilledPages: .counted)
        let live = try KSMEstimator(options: .init(range: window)).estimate(pids: [pid])
        let p = try #require(skipped.processes.first)
        // The 16 written zero pages and the 8 read ones are all-zero pages of the core: skipped.
        #expect(p.eligiblePages == 48 && p.zeroPageMappings == 24)
        #expect(
            [skipped.counters.pagesShared, skipped.counters.pagesSharing, skipped.counters.pagesUnshared] as [Int] == [4, 28, 16])
        #expect(p.mergingPages == live.processes[0].mergingPages - live.processes[0].zeroFilledPages)
        // Counted, they merge with the written ones (the 8 zero-page mappings too many).
        #expect(counted.processes[0].eligiblePages == 72 && counted.processes[0].mergingPages == 56)

        // The kernel's ksmd, PR_SET_MEMORY_MERGE on and default knobs.
        let fills = FillGenerator()
        try backend.perform(.prctl("p", memoryMerge: true), fills: fills)
        try backend.perform(.scan(fullScans: 3), fills: fills)
        let merged = try backend.report(label: "merged", processes: ["p"])
        let ksmPages = try EstimateHostKernelTests().windowVMAs(merged).reduce(0) { $0 + $1.ksmKB / 4 }
        #expect(ksmPages == 48)
        #expect(p.mergingPages <= ksmPages && ksmPages <= counted.processes[0].mergingPages)
        #expect(ksmPages - p.mergingPages == live.processes[0].zeroFilledPages)
    }
}

/// Idle Python interpreters with modules loaded, dumped with gcore and estimated from the cores,
/// then merged by the host kernel's ksmd (`PR_SET_MEMORY_MERGE` on, default knobs, through
/// `HostKSMControl`, which restores the knobs): the numbers of docs/estimate.md's table. Root only.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason), .enabled(if: GCore.path != nil, GCore.skipReason))
struct CoreFilePythonHostKernelTests {
    @Test(arguments: [1, 2])
    func coresOfIdlePythonsAgainstTheKernel(processes: Int) throws {
        let control = try HostKSMControl()
        defer { control.restore() }
        var children: [PythonChild] = []
        defer { for c in children { c.stop() } }
        for _ in 0..<processes {
            guard let c = PythonChild(script: PythonChild.idleScript) else {
                Issue.record("no python3 to start (/usr/bin/python3)")
                return
            }
            children.append(c)
        }
        let dir = CoreFileTests.TempDir()
        var cores: [String] = []
        for c in children {
            cores.append(try #require(GCore.dump(c.pid, prefix: dir.file("core")), "gcore of python \(c.pid) failed"))
        }
        let skipped = try KSMEstimator().estimate(coreFiles: cores)
        let counted = try KSMEstimator().estimate(coreFiles: cores, zeroFilledPages: .counted)
        let live = try KSMEstimator().estimate(pids: children.map(\.pid))

        for c in children {
            kill(c.pid, SIGUSR1)
            #expect(c.nextByte() == UInt8(ascii: "m"), "prctl(PR_SET_MEMORY_MERGE) failed in \(c.pid)")
        }
        try control.scan(fullScans: 4)
        var kernelMerging = 0
        var kernelRmapItems = 0
        for c in children {
            guard case .success(let text) = ProcFiles.read("/proc/\(c.pid)/ksm_stat") else {
                Issue.record("cannot read /proc/\(c.pid)/ksm_stat")
                return
            }
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 2, let v = Int(f[1]) else { continue }
                if f[0] == "ksm_merging_pages" { kernelMerging += v }
                if f[0] == "ksm_rmap_items" { kernelRmapItems += v }
            }
        }
        let kernelSharing = control.read("pages_sharing")
        let kernelShared = control.read("pages_shared")
        func sum(_ e: KSMEstimate, _ f: (KSMEstimate.Process) -> Int) -> Int { e.processes.reduce(0) { $0 + f($1) } }
        print(
            "core-file measurement, \(processes) python3: kernel rmap_items \(kernelRmapItems) shared \(kernelShared) "
                + "sharing \(kernelSharing) merging \(kernelMerging); --pid \(live.eligiblePages) \(live.counters.pagesShared) "
                + "\(live.counters.pagesSharing) \(sum(live, \.mergingPages)); core skipped \(skipped.eligiblePages) "
                + "\(skipped.counters.pagesShared) \(skipped.counters.pagesSharing) \(sum(skipped, \.mergingPages)); "
                + "core counted \(counted.eligiblePages) \(counted.counters.pagesShared) \(counted.counters.pagesSharing) "
                + "\(sum(counted, \.mergingPages)); written zeros (--pid) \(sum(live, \.zeroFilledPages))")
        // The pages ksmd scans: the core's within 3% of the kernel's rmap items.
        #expect(abs(skipped.eligiblePages - kernelRmapItems) * 100 <= kernelRmapItems * 3)
        // What merges lies between the two readings of the all-zero pages.
        #expect(sum(skipped, \.mergingPages) <= kernelMerging && kernelMerging <= sum(counted, \.mergingPages))
    }
}
