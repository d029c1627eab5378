import Glibc
import Testing

@testable import KSMEngine

/// `ksmd-sim estimate`'s library: smaps classification, the snapshot's layout and convergence, and
/// estimates of this test process itself (no root needed: a process may read its own /proc files).
@Suite struct EstimateTests {
    // MARK: VMAs

    @Test func smapsLinesBecomeVMAsWithFlagsAndSizes() {
        let text = """
            00400000-00452000 r-xp 00000000 08:02 173521                             /usr/bin/python3
            Size:                328 kB
            Rss:                 300 kB
            Swap:                  0 kB
            VmFlags: rd ex mr mw me dw
            7f0000000000-7f0000004000 rw-p 00000000 00:00 0 
            Size:                 16 kB
            Rss:                   8 kB
            Swap:                  4 kB
            VmFlags: rd wr mr mw me ac sd um
            7fff00000000-7fff00002000 rw-s 00000000 00:01 1025                       /dev/zero (deleted)
            Rss:                   8 kB
            VmFlags: rd wr sh mr mw me ms sd
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            VmFlags: ex
            """
        let vmas = LiveVMA.parseSmaps(text)
        #expect(vmas.map(\.pages) == [82, 4, 2, 1])
        #expect(vmas[0].name == "/usr/bin/python3" && vmas[0].isFileBacked && vmas[0].residentKB == 300)
        #expect(vmas[1].name == "" && !vmas[1].isFileBacked && vmas[1].residentKB == 8 && vmas[1].swapKB == 4)
        // Unknown mnemonics ("dw", "um") are kept but not parsed.
        #expect(vmas[1].mnemonics.last == "um")
        #expect(vmas[1].flags == [.read, .write, .mayRead, .mayWrite, .mayExec, .account, .softDirty])
        #expect(vmas[0].exclusionReason(under: .linux6_17) == nil)  // its written pages would be anonymous
        #expect(vmas[1].exclusionReason(under: .linux6_17) == nil)
        #expect(vmas[2].exclusionReason(under: .linux6_17) == "VM_SHARED")
        #expect(vmas[3].isGateArea && !vmas[2].isGateArea)
    }

    @Test(
        arguments: [
            ("rd wr mr mw me ac", nil),
            ("rd mr pf io de dd", "VM_PFNMAP"),  // [vvar]: the first in the kernel's bit order
            ("rd ex mr mw me de", "VM_DONTEXPAND"),  // [vdso]
            ("rd mr me ms", "VM_MAYSHARE"),  // a shared read-only file mapping
            ("rd wr mr mw me io", "VM_IO"),
            ("rd wr mr mw me ht", "VM_HUGETLB"),
            ("rd wr mr mw me mm", "VM_MIXEDMAP"),
            ("rd wr mr mw me dp", "VM_DROPPABLE"),
            ("rd wr mr mw me lo gd", nil),  // locked and grows-down memory is mergeable
        ] as [(String, String?)])
    func theFirstExcludedFlagNamesTheReason(mnemonics: String, reason: String?) {
        let v = LiveVMA(start: 0x1000, end: 0x2000, name: "", mnemonics: mnemonics.split(separator: " ").map(String.init))
        #expect(v.exclusionReason(under: .linux6_17) == reason)
    }

    @Test func researchRulesChangeEligibility() {
        var rules = EligibilityRules.linux6_17
        rules.excludedFlags.subtract([.pfnMap, .io])
        let v = LiveVMA(start: 0, end: 4096, name: "", mnemonics: ["rd", "pf", "io"])
        #expect(v.exclusionReason(under: rules) == nil)
        rules.excludedFlags.insert(.locked)
        #expect(LiveVMA(start: 0, end: 4096, name: "", mnemonics: ["rd", "lo"]).exclusionReason(under: rules) == "VM_LOCKED")
    }

    @Test func rangesClipVMAsToWholePages() {
        let v = LiveVMA(start: 0x10000, end: 0x20000, name: "", mnemonics: [])
        #expect(v.clipped(to: nil) == v)
        #expect(v.clipped(to: 0x20000..<0x30000) == nil)
        #expect(v.clipped(to: 0x0..<0x10000) == nil)
        let c = v.clipped(to: 0x12345..<0x14001)
        #expect(c?.start == 0x12000 && c?.end == 0x15000)
        #expect(v.clipped(to: 0..<UInt64.max)?.end == 0x20000)
    }

    // MARK: The snapshot

    @Test func layoutLeavesOnePageGapsAndSkipsTheHeapRegion() throws {
        #expect(KSMSnapshot.layout([3, 1, 2]) == [0, 4, 6])
        let big = SimulatedKernel.heapBase - 10
        #expect(
            KSMSnapshot.layout([big, 20, 5]) == [
                0, SimulatedKernel.heapRegion.upperBound, SimulatedKernel.heapRegion.upperBound + 21,
            ])
        #expect(KSMSnapshot.layout([SimulatedKernel.windowPages]) == nil)
    }

    /// 32 pages of 4 classes, 16 written zero pages, 16 unique ones, in two VMAs of one process:
    /// with use_zero_pages 0 the zeros merge into a KSM page of their own.
    @Test func aSnapshotOfKnownPagesConvergesToTheKernelsCounters() throws {
        let snapshot = KSMSnapshot(rules: .linux6_17, memoryBudgetPages: 1 << 16)
        let layout = try snapshot.addProcess(vmaPages: [40, 24])
        #expect(try snapshot.kernel.vmas(layout.pid).count == 2)  // the gap keeps them apart
        let pages = Self.knownPages()
        try pages.withUnsafeBytes { all in
            try KSMSnapshot.write(UnsafeRawBufferPointer(rebasing: all[0..<(40 * 4096)]), to: layout.pid, at: layout.starts[0], in: snapshot.kernel)
            try KSMSnapshot.write(UnsafeRawBufferPointer(rebasing: all[(40 * 4096)...]), to: layout.pid, at: layout.starts[1], in: snapshot.kernel)
        }
        let c = snapshot.converge(maxFullScans: 50, stableScans: 2)
        #expect(c.converged)
        #expect(c.fullScansToConverge == 2)
        #expect(c.counters.fullScans == 4)
        #expect(
            [c.counters.pagesShared, c.counters.pagesSharing, c.counters.pagesUnshared, c.counters.ksmZeroPages] == [
                5, 43, 16, 0,
            ])
        #expect(try snapshot.kernel.ksmStat(layout.pid).mergingPages == 48)
    }

    /// The note on written zero pages says into how many KSM pages they merge, as ksmd merges them
    /// with max_page_sharing 256 (1,024 make four, not one).
    @Test(arguments: [(2, 1), (20, 1), (256, 1), (257, 1), (1024, 4), (1100, 5)])
    func zeroPagesNoteCountsTheKSMPagesKsmdMakes(zeros: Int, ksmPages: Int) throws {
        let s = try Scenario.parse(
            #"{"steps":[{"op":"spawn","process":"a"},{"op":"mmap","process":"a","at":0,"pages":\#(zeros),"prot":"rw","map":"private-anon"},"#
                + #"{"op":"madvise","process":"a","at":0,"pages":\#(zeros),"advice":"mergeable"},"#
                + #"{"op":"write","process":"a","at":0,"pages":\#(zeros),"fill":{"byte":0}},{"op":"scan","full_scans":6}]}"#)
        let last = try #require(try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules)).last)
        #expect(last.ksm.pagesShared == ksmPages)
        let note = KSMEstimate.zeroMerge(zeros)
        #expect(note.contains(ksmPages == 1 ? "into one KSM page" : "into \(ksmPages) KSM pages"), "\(note)")
        #expect(note.hasSuffix("one left unmerged") == (last.ksm.pagesUnshared == 1), "\(note)")
    }

    @Test func anEmptySnapshotNeedsNoScan() throws {
        let snapshot = KSMSnapshot(rules: .linux6_17, memoryBudgetPages: 16)
        _ = try snapshot.addProcess(vmaPages: [])
        let c = snapshot.converge(maxFullScans: 50, stableScans: 2)
        #expect(c.converged && c.counters.fullScans == 0 && c.fullScansToConverge == 0)
    }

    @Test func zeroFilledPagesAreCounted() {
        var bytes = [UInt8](repeating: 0, count: 3 * 4096)
        bytes[4096 + 17] = 1
        #expect(bytes.withUnsafeBytes { KSMEstimator.zeroFilledPages($0) } == 2)
    }

    // MARK: This process

    @Test func estimatingThisProcessGivesSaneNumbers() throws {
        let e = try KSMEstimator().estimate(pids: [getpid()])
        let p = try #require(e.processes.first)
        #expect(e.processes.count == 1 && p.pid == getpid())
        #expect(p.eligiblePages > 0 && p.eligibleVMAs > 0 && p.vmas >= p.eligibleVMAs)
        #expect(p.mergingPages <= p.eligiblePages)
        let c = e.counters
        #expect(c.pagesShared + c.pagesSharing + c.pagesUnshared <= e.eligiblePages)
        #expect(c.pagesSharing >= c.pagesShared)
        #expect(e.savedBytes == (c.pagesSharing + c.ksmZeroPages) * 4096)
        #expect(e.converged && e.fullScansToConverge <= c.fullScans)
        // [vvar] and [vdso] are never eligible.
        #expect(e.exclusions.contains { $0.reason == "VM_PFNMAP" || $0.reason == "VM_DONTEXPAND" })
        #expect(e.json["processes"] != nil && e.json["saved_bytes"] == .int(e.savedBytes))
        #expect(e.text.contains("pages_sharing"))
    }

    /// A region of this process with known bytes, restricted by range: exact numbers without root.
    /// Pages 0-63 are written (32 of 4 classes, 16 zeros, 16 unique), 64-71 only read (the zero
    /// page), 73-76 are a shared mapping, the rest untouched.
    @Test func aKnownRegionOfThisProcessGivesExactNumbers() throws {
        let region = try OwnRegion()
        defer { region.unmap() }
        let e = try KSMEstimator(options: .init(range: region.range)).estimate(pids: [getpid()])
        let p = try #require(e.processes.first)
        #expect(e.exclusions == [KSMEstimate.Exclusion(reason: "VM_SHARED", vmas: 1, pages: 4, residentPages: 4)])
        #expect(p.vanishedPages == 0 && p.swappedPages == 0)
        switch e.zeroPage {
        case .pfn:
            // The 8 read-faulted pages map the zero page, which ksmd skips.
            #expect(p.zeroPageMappings == 8)
            #expect(p.eligiblePages == 64 && p.zeroFilledPages == 16)
            #expect([e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared] == [5, 43, 16])
            #expect(p.mergingPages == 48)
        case .pfnsHidden:
            // Without CAP_SYS_ADMIN they look like written zeros and merge with them.
            #expect(p.eligiblePages == 72 && p.zeroFilledPages == 24)
            #expect([e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared] == [5, 51, 16])
            #expect(e.notes.contains { $0.hasPrefix("PFNs are hidden") })
        case .noZeroPage:
            #expect(p.eligiblePages >= 64)
        case .notRecorded:
            Issue.record("a live process's pagemap records which pages are present")
        }
        #expect(e.savedBytes == e.counters.pagesSharing * 4096)
        #expect(e.counters.ksmZeroPages == 0)  // use_zero_pages is 0 by default
        #expect(e.range == region.range)
    }

    @Test func theMemoryBudgetIsEnforcedBeforeReading() throws {
        let region = try OwnRegion()
        defer { region.unmap() }
        var options = KSMEstimator.Options(range: region.range)
        options.memoryBudgetPages = 10
        #expect {
            try KSMEstimator(options: options).estimate(pids: [getpid()])
        } throws: { error in
            (error as? EstimateError)?.kind == .tooLarge && "\(error)".contains("memory budget of 10 pages")
        }
    }

    @Test func aMissingProcessIsOneClearError() throws {
        // pid_max itself is never a pid.
        guard case .success(let text) = ProcFiles.read("/proc/sys/kernel/pid_max"), let pidMax = Int32(text.trimmingWhitespace)
        else {
            Issue.record("cannot read pid_max")
            return
        }
        #expect {
            try KSMEstimator().estimate(pids: [pidMax])
        } throws: { error in
            guard let e = error as? EstimateError else { return false }
            return e.kind == .noProcess && e.errno == ENOENT && e.message.contains("/proc/\(pidMax)/")
                && e.message.contains("ENOENT")
        }
    }

    @Test func deniedReadsMapToPermissionDenied() {
        let e = EstimateError.system("open", "/proc/1/mem", errno: EACCES, pid: 1)
        #expect(e.kind == .permissionDenied && e.message == "cannot open /proc/1/mem: EACCES (Permission denied)")
        #expect(EstimateError.system("open", "/proc/1/mem", errno: EPERM, pid: 1).kind == .permissionDenied)
        #expect(EstimateError.system("read", "/proc/9/smaps", errno: ESRCH, pid: 9).kind == .noProcess)
        #expect(EstimateError.system("read", "/proc/9/smaps", errno: EIO, pid: 9).kind == .readFailed)
    }

    // MARK: Helpers

    /// 64 pages: 32 of 4 classes, 16 zero pages, 16 unique pages.
    static func knownPages() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64 * 4096)
        for i in 0..<64 {
            let page = i * 4096
            if i < 32 {
                for j in 0..<4096 { bytes[page + j] = UInt8(0x10 + i % 4) }
            } else if i >= 48 {
                for j in 0..<4096 { bytes[page + j] = UInt8(truncatingIfNeeded: i &* 31 &+ j &* 7 &+ j >> 8) }
                bytes[page] = 0xEE
                bytes[page + 1] = UInt8(i)
            }
        }
        return bytes
    }

    /// 80 pages of this process: a private anonymous region (pages 0-71, 64 written and 8 read), a
    /// shared anonymous one (73-76, written), the rest `PROT_NONE`.
    final class OwnRegion {
        let base: UnsafeMutableRawPointer
        static let pages = 80

        init() throws {
            guard let b = mmap(nil, Self.pages * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                b != MAP_FAILED
            else {
                throw Errno.ENOMEM
            }
            base = b
            guard mprotect(b, 72 * 4096, PROT_READ | PROT_WRITE) == 0,
                mmap(b + 73 * 4096, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == b + 73
                    * 4096
            else { throw Errno.ENOMEM }
            EstimateTests.knownPages().withUnsafeBytes { b.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var sum = 0
            for i in 64..<72 { sum += Int(b.load(fromByteOffset: i * 4096, as: UInt8.self)) }
            precondition(sum == 0, "untouched memory reads as zeros")
            (b + 73 * 4096).initializeMemory(as: UInt8.self, repeating: 7, count: 4 * 4096)
        }

        var range: Range<UInt64> {
            let a = UInt64(UInt(bitPattern: base))
            return a..<(a + UInt64(Self.pages * 4096))
        }

        func unmap() { munmap(base, Self.pages * 4096) }
    }
}

/// Estimates of a `ksm-worker` with known memory, checked against what the host kernel's ksmd then
/// merges in it. Root only.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct EstimateHostKernelTests {
    /// Window pages 0-63 as in ``EstimateTests/knownPages()`` (by scenario fills), 64-71 mapped and
    /// untouched (the report's digest reads fault in the zero page), 100-103 shared anonymous.
    static let scenario = """
        {"steps":[
          {"op":"spawn","process":"p"},
          {"op":"mmap","process":"p","at":0,"pages":72,"prot":"rw","map":"private-anon"},
          {"op":"write","process":"p","at":0,"pages":32,"fill":{"classes":4,"namespace":"x"}},
          {"op":"write","process":"p","at":32,"pages":16,"fill":{"byte":0}},
          {"op":"write","process":"p","at":48,"pages":16,"fill":{"unique":true}},
          {"op":"mmap","process":"p","at":100,"pages":4,"prot":"rw","map":"shared-anon"},
          {"op":"write","process":"p","at":100,"pages":4,"fill":{"byte":7}}
        ]}
        """

    static let window = HostKernelBackend.windowBase..<HostKernelBackend.windowEnd

    /// The window's VMAs of a report (the heap region's left out).
    func windowVMAs(_ r: Report) throws -> [VMAReport] {
        try #require(r.processes.first).vmas.filter { !SimulatedKernel.heapRegion.contains($0.start) }
    }

    @Test func theEstimateOfAWorkerMatchesWhatTheKernelMerges() throws {
        let s = try Scenario.parse(Self.scenario)
        let backend = try HostKernelBackend(rules: s.rules)
        defer { backend.shutdown() }
        let before = try #require(try ScenarioRunner.run(s, on: backend).last)
        let pid = try #require(backend.hostPID("p"))

        let e = try KSMEstimator(options: .init(range: Self.window)).estimate(pids: [pid])
        let p = try #require(e.processes.first)
        #expect(p.vmas == 2 && p.eligibleVMAs == 1)
        #expect(p.eligiblePages == 64)
        #expect(p.zeroPageMappings == 8)  // faulted in by the report's digest read
        #expect(p.zeroFilledPages == 16)
        #expect(
            [e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared, e.counters.ksmZeroPages] == [
                5, 43, 16, 0,
            ])
        #expect(p.mergingPages == 48)
        #expect(e.exclusions == [KSMEstimate.Exclusion(reason: "VM_SHARED", vmas: 1, pages: 4, residentPages: 4)])
        #expect(e.savedBytes == 43 * 4096)

        // Reading changed nothing in the worker.
        let after = try backend.report(label: "after estimate", processes: ["p"])
        #expect(after.processes[0].contentDigest == before.processes[0].contentDigest)
        #expect(try windowVMAs(after) == windowVMAs(before))

        // The kernel's own ksmd, PR_SET_MEMORY_MERGE on and default knobs, merges as estimated.
        let fills = FillGenerator()
        try backend.perform(.prctl("p", memoryMerge: true), fills: fills)
        try backend.perform(.scan(fullScans: 3), fills: fills)
        let merged = try backend.report(label: "merged", processes: ["p"])
        let ksmPages = try windowVMAs(merged).reduce(0) { $0 + $1.ksmKB / 4 }
        #expect(ksmPages == p.mergingPages)
        // Only the window (and the worker's untouched heap) is mergeable: ksm_stat agrees as a whole.
        let stat = merged.processes[0].ksmStat
        #expect(
            [stat.rmapItems, stat.mergingPages, stat.zeroPages, stat.processProfit] == [
                p.rmapItems, p.mergingPages, 0, p.processProfit,
            ])
        #expect(merged.processes[0].contentDigest == before.processes[0].contentDigest)
    }

    @Test func estimatingTheWholeWorkerChangesNothingInIt() throws {
        let s = try Scenario.parse(Self.scenario)
        let backend = try HostKernelBackend(rules: s.rules)
        defer { backend.shutdown() }
        let before = try #require(try ScenarioRunner.run(s, on: backend).last)
        let pid = try #require(backend.hostPID("p"))
        // Its libraries, stack and heap too: more eligible pages than the window's.
        let e = try KSMEstimator().estimate(pids: [pid, getpid()])
        #expect(e.processes.map(\.pid) == [pid, getpid()])
        #expect(e.processes[0].eligiblePages > 64 && e.processes[0].command == "ksm-worker")
        #expect(e.exclusions.contains { $0.reason == "VM_SHARED" && $0.vmas >= 1 })
        let after = try backend.report(label: "after", processes: ["p"])
        #expect(after.processes[0].contentDigest == before.processes[0].contentDigest)
        #expect(after.processes[0].ksmStat == before.processes[0].ksmStat)
    }
}
