import Glibc
import Testing

@testable import KSMEngine

/// Snapshots: capture of live processes, the file's round trip, hashes-only and anonymized pages,
/// and `estimate --snapshot` against `estimate --pid`. No root needed: the processes captured are
/// this test's own children.
@Suite struct SnapshotTests {
    // MARK: Children with known memory

    /// A child forked from this process after it mapped ``EstimateTests/OwnRegion`` (64 written
    /// pages of known bytes, 8 read-faulted, 4 shared): the child only waits in `pause()`, so its
    /// memory stays exactly as forked.
    final class ForkedChild {
        let pid: pid_t
        let region: EstimateTests.OwnRegion

        init() throws {
            region = try EstimateTests.OwnRegion()
            let p = fork()
            if p == 0 {
                while true { pause() }
            }
            guard p > 0 else {
                region.unmap()
                throw Errno.ENOMEM
            }
            pid = p
        }

        var range: Range<UInt64> { region.range }

        func stop() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            region.unmap()
        }
    }

    /// `/bin/sleep` started by this test, once it sleeps (after its exec).
    final class SleepingChild {
        let pid: pid_t

        init() throws {
            var p: pid_t = 0
            var argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sleep", "600"].map { (a: String) in strdup(a) } + [nil]
            defer { for a in argv { free(a) } }
            try #require(posix_spawn(&p, "/bin/sleep", nil, nil, &argv, environ) == 0)
            pid = p
            // Asleep: its comm is sleep (exec done) and its state is S.
            for _ in 0..<500 {
                if case .success(let stat) = ProcFiles.read("/proc/\(p)/stat"), stat.contains("(sleep) S") { return }
                usleep(10_000)
            }
            Issue.record("sleep did not start sleeping")
        }

        func stop() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// A temporary path (no file at it) in /tmp.
    static func temporaryPath(_ suffix: String = ".ksmsnap") throws -> String {
        var template = Array("/tmp/ksmd-sim-snapshot-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        close(fd)
        let path = String(cString: template)
        unlink(path)
        return path + suffix
    }

    // MARK: Round trip

    /// The known region of a forked child, captured, written and loaded: every VMA, every page's
    /// flags and bytes as the child has them.
    @Test func aCapturedChildRoundTripsPageForPage() throws {
        let child = try ForkedChild()
        defer { child.stop() }
        let snapshot = try SnapshotFile.capture(pids: [child.pid], range: child.range)
        let path = try Self.temporaryPath()
        defer { unlink(path) }
        try snapshot.write(to: path)
        let loaded = try SnapshotFile.load(from: path)
        #expect(loaded.processes == snapshot.processes)
        #expect(loaded.range == child.range && loaded.zeroPage == snapshot.zeroPage && loaded.encoding == .bytes)
        #expect(loaded.pages.count == snapshot.pages.count)
        for id in 0..<loaded.pages.count { #expect(loaded.pages.page(id) == snapshot.pages.page(id)) }

        let p = try #require(loaded.processes.first)
        #expect(p.pid == child.pid)
        // Private (0-71), shared (73-76), PROT_NONE (72, 77-79).
        let vmas = p.vmas.map { ($0.vma.start - child.range.lowerBound) / 4096 }
        #expect(vmas == [0, 72, 73, 77])
        #expect(p.vmas.map(\.backing) == [.anonymous, .anonymous, .file, .anonymous])
        #expect(p.vmas[2].vma.name.hasPrefix("/dev/zero") && p.vmas[2].vma.mnemonics.contains("sh"))

        let known = EstimateTests.knownPages()
        let privatePages = p.vmas[0].pages
        #expect(privatePages.map(\.index) == (0..<72).map(UInt64.init))
        for r in privatePages.prefix(64) {
            let i = Int(r.index)
            let expected = Array(known[(i * 4096)..<((i + 1) * 4096)])
            #expect(r.flags.contains(.present) && !r.flags.contains(.exclusive))  // shared with the parent since fork
            if expected.allSatisfy({ $0 == 0 }) {
                #expect(r.flags.contains(.zeroFilled), "page \(i)")
            } else {
                #expect(r.flags.contains(.stored), "page \(i)")
                #expect(loaded.pages.page(Int(r.content)) == expected, "page \(i)")
            }
        }
        // 4 classes, 16 unique pages: 20 distinct pages stored, the zeros as a flag.
        #expect(loaded.pages.count == 20)
        if case .pfn = loaded.zeroPage {
            #expect(privatePages.suffix(8).allSatisfy { $0.flags == [.present, .zeroPageMapping] })
        }
        // fork() does not copy a shared mapping's page tables: the child has faulted none of it in.
        #expect(p.vmas[2].vma.residentKB == 0 && p.vmas[2].pages.isEmpty)
        #expect(p.vmas[1].pages.isEmpty && p.vmas[3].pages.isEmpty)
    }

    /// A whole process (`/bin/sleep`): the loaded snapshot equals the capture, and every stored
    /// page equals what /proc/PID/mem reads at its address now.
    @Test func aWholeProcessRoundTripsAndMatchesItsMemory() throws {
        let child = try SleepingChild()
        defer { child.stop() }
        let snapshot = try SnapshotFile.capture(pids: [child.pid])
        let path = try Self.temporaryPath()
        defer { unlink(path) }
        try snapshot.write(to: path)
        let loaded = try SnapshotFile.load(from: path)
        #expect(loaded.processes == snapshot.processes)
        let p = try #require(loaded.processes.first)
        #expect(p.command == "sleep")

        // The VMAs are smaps's.
        guard case .success(let smaps) = ProcFiles.read("/proc/\(child.pid)/smaps") else {
            Issue.record("cannot read the child's smaps")
            return
        }
        let live = LiveVMA.parseSmaps(smaps)
        #expect(p.vmas.map(\.vma.start) == live.map(\.start))
        #expect(p.vmas.map(\.vma.mnemonics) == live.map(\.mnemonics))
        #expect(p.vmas.map(\.vma.name) == live.map(\.name))

        // Every stored page is the child's.
        let fd = open("/proc/\(child.pid)/mem", O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        var checked = 0
        var page = [UInt8](repeating: 0, count: 4096)
        for v in p.vmas {
            for r in v.pages where r.flags.contains(.stored) || r.flags.contains(.zeroFilled) {
                let address = v.vma.start + r.index * 4096
                let n = page.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4096, off_t(Int64(bitPattern: address))) }
                #expect(n == 4096)
                let stored = r.flags.contains(.stored) ? loaded.pages.page(Int(r.content)) : [UInt8](repeating: 0, count: 4096)
                #expect(stored == page, "page at 0x\(String(address, radix: 16))")
                checked += 1
            }
        }
        #expect(checked > 0)
        // Page-cache pages of its file mappings are recorded present, file, without contents.
        let filePages = p.vmas.filter { $0.backing == .file }.flatMap(\.pages).filter { $0.flags.contains(.fileOrShared) }
        #expect(!filePages.isEmpty)
        #expect(filePages.allSatisfy { $0.flags.isDisjoint(with: [.stored, .zeroFilled, .unreadable]) && $0.content == 0 })
    }

    // MARK: Estimates

    /// The snapshot's estimate is the live estimate of the same (unchanged) process, whole JSON.
    @Test func estimateOfASnapshotEqualsTheLiveEstimate() throws {
        let child = try SleepingChild()
        defer { child.stop() }
        let live = try KSMEstimator().estimate(pids: [child.pid])
        let snapshot = try SnapshotFile.capture(pids: [child.pid])
        let fromSnapshot = try KSMEstimator().estimate(snapshot: snapshot)
        #expect(fromSnapshot.json == live.json)
        #expect(fromSnapshot.eligiblePages > 0 && fromSnapshot.processes[0].command == "sleep")
    }

    /// The known region of a forked child: the exact numbers, live and from the snapshot. (Not
    /// the whole child: which of its pages are shared with this process changes as this process
    /// runs other tests.)
    @Test func aKnownRegionEstimatesAlikeLiveAndFromTheSnapshot() throws {
        let child = try ForkedChild()
        defer { child.stop() }
        let options = KSMEstimator.Options(range: child.range)
        let live = try KSMEstimator(options: options).estimate(pids: [child.pid])
        let snapshot = try SnapshotFile.capture(pids: [child.pid], range: child.range)
        let region = try KSMEstimator().estimate(snapshot: snapshot)  // the capture's range applies
        #expect(region.json == live.json)
        #expect(region.range == child.range)
        if case .pfn = snapshot.zeroPage {
            #expect([region.counters.pagesShared, region.counters.pagesSharing, region.counters.pagesUnshared] == [5, 43, 16])
            #expect(region.processes[0].mergingPages == 48 && region.processes[0].zeroPageMappings == 8)
            #expect(region.processes[0].notExclusivePages == 64)
        }
    }

    /// Hashes-only and anonymized snapshots (any key) give the same estimate as the bytes.
    @Test func hashesOnlyAndAnonymizedGiveTheSameCounters() throws {
        let child = try ForkedChild()
        defer { child.stop() }
        let sleeper = try SleepingChild()
        defer { sleeper.stop() }
        let plain = try SnapshotFile.capture(pids: [child.pid, sleeper.pid])
        let key = try #require(AnonymizationKey(hex: String(repeating: "5a", count: 32)))
        let variants = [
            try plain.hashesOnly(), try plain.anonymized(key: key), try plain.anonymized(key: .random()),
        ]
        let expected = try KSMEstimator().estimate(snapshot: plain).json
        for (i, v) in variants.enumerated() {
            let path = try Self.temporaryPath()
            defer { unlink(path) }
            try v.write(to: path)
            let loaded = try SnapshotFile.load(from: path)
            #expect(loaded.encoding == v.encoding && loaded.pages.count == plain.pages.count)
            #expect(try KSMEstimator().estimate(snapshot: loaded).json == expected, "variant \(i)")
        }
        // Equal pages stay equal, distinct pages distinct, no page becomes zeros.
        let anonymized = variants[1]
        var seen: [[UInt8]: Int] = [:]
        for id in 0..<anonymized.pages.count {
            let page = try #require(anonymized.pages.page(id))
            #expect(page != plain.pages.page(id))
            #expect(page.contains { $0 != 0 })
            #expect(seen.updateValue(id, forKey: page) == nil, "pages \(id) and \(seen[page] ?? -1) expanded alike")
        }
        // The same key anonymizes alike; a hashes-only snapshot cannot be anonymized again.
        #expect(try plain.anonymized(key: key).pages.seeds == anonymized.pages.seeds)
        #expect(throws: SnapshotError.self) { try variants[0].anonymized(key: key) }
    }

    @Test func expansionIsDeterministicAndInjective() {
        let a = PageHash(low: 1, high: 2)
        let b = PageHash(low: 2, high: 1)
        let pa = PageExpansion.page(a)
        #expect(pa == PageExpansion.page(a) && pa != PageExpansion.page(b))
        #expect(pa.prefix(16) == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
        #expect(PageExpansion.page(PageHash(low: 0, high: 0)).contains { $0 != 0 })
    }

    // MARK: The file

    @Test func theFileIsCreatedMode0600AndReplacedWhole() throws {
        let path = try Self.temporaryPath()
        defer { unlink(path) }
        // An existing, world-readable file is replaced by a 0600 one.
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        try #require(fd >= 0)
        fchmod(fd, 0o644)
        close(fd)
        let snapshot = try Self.synthetic()
        let old = umask(0)
        defer { umask(old) }
        try snapshot.write(to: path)
        var st = stat()
        try #require(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try SnapshotFile.load(from: path).processes == snapshot.processes)

        // A write that fails leaves nothing behind.
        #expect {
            try snapshot.write(to: "/nonexistent-ksmd-sim-dir/x.ksmsnap")
        } throws: { ($0 as? SnapshotError)?.kind == .cannotWrite }
    }

    /// A snapshot of two processes with known pages, made without any process: 64 pages as
    /// ``EstimateTests/knownPages()`` in process 1, the same 64 again in process 2's two VMAs.
    static func synthetic() throws -> SnapshotFile {
        var dedup = PageDeduplicator()
        let known = EstimateTests.knownPages()
        var records: [SnapshotPage] = []
        known.withUnsafeBytes { b in
            for i in 0..<64 {
                if let id = dedup.add(b.baseAddress! + i * 4096) {
                    records.append(SnapshotPage(index: UInt64(i), flags: [.present, .exclusive, .stored], content: id))
                } else {
                    records.append(SnapshotPage(index: UInt64(i), flags: [.present, .exclusive, .zeroFilled]))
                }
            }
        }
        let rw = ["rd", "wr", "mr", "mw", "me", "ac"]
        let a = ProcessSnapshot(
            pid: 100, command: "a",
            vmas: [
                SnapshotVMA(vma: LiveVMA(start: 0x10000, end: 0x60000, name: "", mnemonics: rw, residentKB: 256), pages: records),
                SnapshotVMA(
                    vma: LiveVMA(start: 0x70000, end: 0x71000, name: "[vvar]", mnemonics: ["rd", "mr", "pf", "io", "de", "dd"])),
            ])
        let b = ProcessSnapshot(
            pid: 101, command: "b",
            vmas: [
                SnapshotVMA(
                    vma: LiveVMA(start: 0x10000, end: 0x30000, name: "[heap]", mnemonics: rw, residentKB: 128),
                    pages: Array(records[0..<32])),
                SnapshotVMA(
                    vma: LiveVMA(start: 0x40000, end: 0x80000, name: "", mnemonics: rw, residentKB: 128),
                    pages: records[32...].map { SnapshotPage(index: $0.index - 32, flags: $0.flags, content: $0.content) }),
            ])
        return SnapshotFile(zeroPage: .pfn(0x1234), range: nil, processes: [a, b], pages: dedup.pages)
    }

    @Test func aSyntheticSnapshotGivesTheKernelsCounters() throws {
        let e = try KSMEstimator().estimate(snapshot: try Self.synthetic())
        // 128 pages: 64 of 4 classes, 32 zeros, 32 pages of 16 distinct ones.
        #expect([e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared] == [21, 107, 0])
        #expect(e.processes.map(\.eligiblePages) == [64, 64])
        #expect(e.exclusions == [KSMEstimate.Exclusion(reason: "VM_PFNMAP", vmas: 1, pages: 1, residentPages: 0)])
    }

    // MARK: Bad files

    /// The bytes of a small valid snapshot file.
    static func validFileBytes(_ snapshot: SnapshotFile) throws -> [UInt8] {
        let path = try temporaryPath()
        defer { unlink(path) }
        try snapshot.write(to: path)
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            try #require(n >= 0)
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    /// Loads `bytes` from a file; the error, which must be one line naming the file.
    static func loadError(_ bytes: [UInt8]) throws -> SnapshotError? {
        let path = try temporaryPath()
        defer { unlink(path) }
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        try #require(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        do {
            _ = try SnapshotFile.load(from: path)
            return nil
        } catch {
            #expect(!error.message.contains("\n") && error.message.hasPrefix(path + ": "), "\(error.message)")
            return error
        }
    }

    @Test(arguments: [DistinctPages.Encoding.bytes, .hashes])
    func everyTruncationIsRefused(encoding: DistinctPages.Encoding) throws {
        let s = try Self.synthetic()
        let bytes = try Self.validFileBytes(encoding == .bytes ? s : s.hashesOnly())
        for n in 0..<bytes.count {
            let e = try Self.loadError(Array(bytes[0..<n]))
            #expect(e?.kind == .truncated, "truncated to \(n) of \(bytes.count) bytes: \(e?.message ?? "loaded")")
        }
        #expect(try Self.loadError(bytes) == nil)
    }

    @Test(arguments: [DistinctPages.Encoding.bytes, .anonymized])
    func everyFlippedByteIsRefused(encoding: DistinctPages.Encoding) throws {
        let s = try Self.synthetic()
        let bytes = try Self.validFileBytes(encoding == .bytes ? s : s.anonymized(key: .random()))
        for offset in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x80] {
                var b = bytes
                b[offset] ^= mask
                let e = try Self.loadError(b)
                #expect(e != nil, "byte \(offset) ^ \(mask) loaded")
                if let e { #expect([.corrupt, .truncated, .notASnapshot, .unsupportedVersion].contains(e.kind)) }
            }
        }
        // Bytes after the end, and a foreign first byte.
        #expect(try Self.loadError(bytes + [0])?.kind == .corrupt)
        var foreign = bytes
        foreign[0] = UInt8(ascii: "{")
        #expect(try Self.loadError(foreign)?.kind == .notASnapshot)
    }

    /// `bytes` with the header's and every section's checksum made right again (as far as the
    /// section lengths still lead from one section to the next).
    static func rechecksummed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
        func put(_ v: UInt64, _ at: Int) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
        guard b.count >= 64 else { return b }
        put(b.withUnsafeBytes { SnapshotFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<56])) }, 56)
        var offset = 64
        while offset + 32 <= b.count {
            let stored = u64(offset + 8)
            guard stored <= UInt64(b.count - offset - 32) else { break }
            let end = offset + 32 + Int(stored)
            let sum = b.withUnsafeBytes {
                SnapshotFormat.sectionChecksum(
                    header: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + 32)]),
                    payload: UnsafeRawBufferPointer(rebasing: $0[(offset + 32)..<end]))
            }
            put(sum, offset + 24)
            offset = end
        }
        return b
    }

    /// Files whose checksums are right but whose fields are not (every byte changed three ways,
    /// checksums recomputed): each loads as a valid snapshot or is refused with one line, and
    /// none crashes or allocates what a field claims.
    @Test(arguments: [DistinctPages.Encoding.bytes, .hashes])
    func wrongFieldsWithRightChecksumsNeverCrash(encoding: DistinctPages.Encoding) throws {
        let s = try Self.synthetic()
        let bytes = try Self.validFileBytes(encoding == .bytes ? s : s.hashesOnly())
        #expect(Self.rechecksummed(bytes) == bytes)
        var refused = 0
        var loaded = 0
        for offset in 0..<bytes.count {
            for change in [{ (x: UInt8) in x ^ 0x01 }, { $0 ^ 0x80 }, { _ in 0xFF }] {
                var b = bytes
                b[offset] = change(b[offset])
                if b == bytes { continue }
                if try Self.loadError(Self.rechecksummed(b)) == nil { loaded += 1 } else { refused += 1 }
            }
        }
        // Page bytes and seeds may change freely; the structure may not.
        #expect(refused > 0 && loaded > 0)
    }

    @Test func foreignFilesAreNotSnapshots() throws {
        #expect(try Self.loadError(Array(#"{"steps":[]}"#.utf8))?.kind == .notASnapshot)
        #expect(try Self.loadError([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])?.kind == .notASnapshot)
        #expect(try Self.loadError([])?.kind == .truncated)
        // A later version is named as such.
        var later = try Self.validFileBytes(try Self.synthetic())
        later[8] = 2
        #expect(try Self.loadError(later)?.kind == .unsupportedVersion)
        #expect {
            try SnapshotFile.load(from: "/tmp")
        } throws: { ($0 as? SnapshotError)?.kind == .cannotRead }
        #expect {
            try SnapshotFile.load(from: "/nonexistent-ksmd-sim.ksmsnap")
        } throws: { ($0 as? SnapshotError)?.message.contains("ENOENT") == true }
    }

    @Test func inconsistentSnapshotsAreRefusedBeforeWriting() throws {
        var s = try Self.synthetic()
        s.processes[0].vmas[0].pages[0].content = 999
        let path = try Self.temporaryPath()
        #expect {
            try s.write(to: path)
        } throws: { ($0 as? SnapshotError)?.kind == .invalidOptions }
        #expect(access(path, F_OK) != 0)
    }
}
