import Testing

@testable import KSMEngine

/// The kernel's KSM selftests (tools/testing/selftests/mm/ksm_functional_tests.c and ksm_tests.c),
/// ported to the simulator under their own names. Each builds the scenario the selftest builds and
/// checks what the selftest checks, plus the counters the kernel reports for it.
@Suite struct KSMSelftests {
    /// A process with `pages` pages at page 0, madvised mergeable and filled by `fill`.
    static func mergeable(_ pages: Int, fill: String, knobs: String = "{}", prctl: Bool = false) -> String {
        let advise =
            prctl
            ? #"{"op":"prctl","process":"p","memory_merge":true},"#
            : ""
        let madvise = prctl ? "" : #"{"op":"madvise","process":"p","at":0,"pages":\#(pages),"advice":"mergeable"},"#
        return """
            {"ksm": \(knobs), "steps": [
              {"op":"spawn","process":"p"},
              \(advise)
              {"op":"mmap","process":"p","at":0,"pages":\(pages),"prot":"rw","map":"private-anon"},
              \(madvise)
              {"op":"write","process":"p","at":0,"pages":\(pages),"fill":\(fill)},
              {"op":"scan","full_scans":2},
              {"op":"report","label":"merged"}
            ]}
            """
    }

    @Test func ksm_merge_10_pages() throws {
        let r = try simulate(Self.mergeable(10, fill: #"{"byte":42}"#))[0]
        #expect(r.ksm.pagesShared == 1 && r.ksm.pagesSharing == 9)
        #expect(r.ksm.fullScans == 2)
        #expect(r.processes[0].ksmStat.mergingPages == 10)
        #expect(r.processes[0].ksmStat.rmapItems == 10)
        #expect(r.processes[0].vmas[0].ksmKB == 40)
        #expect(r.ksm.generalProfit == 9 * 4096 - 10 * 64)
    }

    @Test func ksm_merge_2_pages() throws {
        let r = try simulate(Self.mergeable(2, fill: #"{"byte":1}"#))[0]
        #expect(r.ksm.pagesShared == 1 && r.ksm.pagesSharing == 1)
    }

    @Test func ksm_merge_needs_a_second_visit() throws {
        let text = Self.mergeable(4, fill: #"{"byte":3}"#).replacingFirst("\"full_scans\":2", with: "\"full_scans\":1")
        let r = try simulate(text)[0]
        #expect(r.ksm.pagesShared == 0 && r.ksm.pagesSharing == 0)
        #expect(r.ksm.pagesVolatile == 4)
    }

    @Test(arguments: [false, true])
    func ksm_zero_pages(useZeroPages: Bool) throws {
        let r = try simulate(Self.mergeable(10, fill: #"{"byte":0}"#, knobs: "{\"use_zero_pages\": \(useZeroPages)}"))[0]
        if useZeroPages {
            #expect(r.ksm.pagesShared == 0 && r.ksm.pagesSharing == 0)
            #expect(r.ksm.ksmZeroPages == 10 && r.processes[0].ksmStat.zeroPages == 10)
            #expect(r.processes[0].vmas[0].ksmKB == 0)
        } else {
            #expect(r.ksm.pagesShared == 1 && r.ksm.pagesSharing == 9 && r.ksm.ksmZeroPages == 0)
        }
    }

    @Test func test_unmerge() throws {
        let text = """
            {"steps": [
              {"op":"spawn","process":"p"},
              {"op":"mmap","process":"p","at":0,"pages":2,"prot":"rw","map":"private-anon"},
              {"op":"madvise","process":"p","at":0,"pages":2,"advice":"mergeable"},
              {"op":"write","process":"p","at":0,"pages":2,"fill":{"byte":7}},
              {"op":"scan","full_scans":2},
              {"op":"report","label":"merged"},
              {"op":"madvise","process":"p","at":0,"pages":2,"advice":"unmergeable"},
              {"op":"report","label":"unmerged, before ksmd"},
              {"op":"scan","full_scans":1},
              {"op":"report","label":"after ksmd"}
            ]}
            """
        let r = try simulate(text)
        #expect(r[0].ksm.pagesShared == 1 && r[0].ksm.pagesSharing == 1)
        // Unmerged at once, counted until ksmd's next pass drops the items.
        #expect(r[1].processes[0].vmas.allSatisfy { $0.ksmKB == 0 })
        #expect(r[1].ksm.pagesShared == 1)
        #expect(r[2].ksm.pagesShared == 0 && r[2].ksm.pagesSharing == 0 && r[2].processes[0].ksmStat.rmapItems == 0)
        #expect(r[0].processes[0].contentDigest == r[2].processes[0].contentDigest)
    }

    @Test func ksm_write_breaks_merge() throws {
        let text = """
            {"steps": [
              {"op":"spawn","process":"p"},
              {"op":"mmap","process":"p","at":0,"pages":2,"prot":"rw","map":"private-anon"},
              {"op":"madvise","process":"p","at":0,"pages":2,"advice":"mergeable"},
              {"op":"write","process":"p","at":0,"pages":2,"fill":{"byte":7}},
              {"op":"scan","full_scans":2},
              {"op":"write","process":"p","at":0,"pages":1,"fill":{"unique":true}},
              {"op":"write","process":"p","at":1,"pages":1,"fill":{"unique":true}},
              {"op":"scan","full_scans":1},
              {"op":"report","label":"after"}
            ]}
            """
        let r = try simulate(text)[0]
        #expect(r.ksm.pagesShared == 0 && r.ksm.pagesSharing == 0)
    }

    @Test func test_prot_none() throws {
        let text = """
            {"steps": [
              {"op":"spawn","process":"p"},
              {"op":"mmap","process":"p","at":0,"pages":4,"prot":"none","map":"private-anon"},
              {"op":"madvise","process":"p","at":0,"pages":4,"advice":"mergeable"},
              {"op":"write","process":"p","at":0,"pages":4,"fill":{"byte":9}},
              {"op":"scan","full_scans":2},
              {"op":"report","label":"merged"}
            ]}
            """
        let r = try simulate(text)[0]
        #expect(r.ksm.pagesShared == 1 && r.ksm.pagesSharing == 3)
    }

    @Test func test_prctl_and_prctl_unmerge() throws {
        let r = try simulate(Self.mergeable(4, fill: #"{"byte":5}"#, prctl: true))[0]
        #expect(r.processes[0].ksmStat.mergeAny && r.processes[0].ksmStat.mergeable)
        #expect(r.ksm.pagesShared == 1 && r.ksm.pagesSharing == 3)
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        try k.mmap(p, at: 0, pages: 4, prot: .readWrite, .privateAnonymous)
        try fill(k, p, at: 0, pages: 4)
        try k.runKSMD(fullScans: 2)
        #expect(k.ksmCounters.pagesSharing == 3)
        try k.setMemoryMerge(p, false)
        #expect(try !k.memoryMerge(p) && !k.ksmStat(p).mergeable)
        #expect(try k.ksmKilobytes(p, k.vmas(p)[0]) == 0)
    }

    @Test func test_prctl_fork_and_exec() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        let child = try k.fork(p)
        #expect(try k.memoryMerge(child) && k.isKSMRegistered(child))
        try k.exec(child)
        #expect(try k.memoryMerge(child) && k.isKSMRegistered(child))
    }

    @Test func test_fork_ksm_merging_page_count() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 4, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 4, advice: .mergeable)
        try fill(k, p, at: 0, pages: 4)
        try k.runKSMD(fullScans: 2)
        #expect(try k.ksmStat(p).mergingPages == 4)
        let child = try k.fork(p)
        #expect(try k.ksmStat(child).mergingPages == 0 && k.ksmStat(child).rmapItems == 0)
        // The child's mappings of the KSM page are appended when ksmd visits them.
        try k.runKSMD(fullScans: 1)
        #expect(try k.ksmStat(child).mergingPages == 4)
        #expect(k.ksmCounters.pagesShared == 1 && k.ksmCounters.pagesSharing == 7)
    }

    @Test func test_unmerge_zero_pages() throws {
        let k = SimulatedKernel()
        try k.setKSMKnob("use_zero_pages", .bool(true))
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 8, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 8, advice: .mergeable)
        try fill(k, p, at: 0, pages: 8, byte: 0)
        try k.runKSMD(fullScans: 2)
        #expect(try k.ksmCounters.ksmZeroPages == 8 && k.ksmStat(p).zeroPages == 8)
        // Unmerging one page, then writing another, then unmapping one: each leaves the count.
        try k.madvise(p, at: 0, pages: 1, advice: .unmergeable)
        try fill(k, p, at: 1, pages: 1, byte: 1)
        try k.munmap(p, at: 2, pages: 1)
        #expect(try k.ksmCounters.ksmZeroPages == 5 && k.ksmStat(p).zeroPages == 5)
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: 0, pages: 8, advice: .unmergeable) }  // the hole
        #expect(k.ksmCounters.ksmZeroPages == 0)
        #expect(try k.withPage(p, 3) { $0.allSatisfy { $0 == 0 } } == true)
    }

    @Test func test_unmerge_discarded() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 4, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 4, advice: .mergeable)
        try fill(k, p, at: 0, pages: 4)
        try k.runKSMD(fullScans: 2)
        // Discard the KSM pages, then unmerge: nothing to break, and nothing fails.
        try k.madvise(p, at: 0, pages: 4, advice: .dontNeed)
        try k.madvise(p, at: 0, pages: 4, advice: .unmergeable)
        #expect(try k.ksmKilobytes(p, k.vmas(p)[0]) == 0)
        try k.runKSMD(fullScans: 1)
        #expect(try k.ksmCounters.pagesShared == 0 && k.ksmCounters.pagesSharing == 0 && k.ksmStat(p).rmapItems == 0)
    }

    @Test func test_prctl_fork() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        let child = try k.fork(p)
        #expect(try k.memoryMerge(child))
        try k.mmap(child, at: 0, pages: 2, prot: .readWrite, .privateAnonymous)
        try fill(k, child, at: 0, pages: 2)
        try k.runKSMD(fullScans: 2)
        #expect(try k.ksmStat(child).mergingPages == 2)
    }

    @Test func test_prctl_fork_exec() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        let child = try k.fork(p)
        try k.exec(child)
        #expect(try k.memoryMerge(child))
        try k.mmap(child, at: 0, pages: 4, prot: .readWrite, .privateAnonymous)
        #expect(try k.vmas(child)[0].flags.contains(.mergeable))
        try fill(k, child, at: 0, pages: 4)
        try k.runKSMD(fullScans: 2)
        #expect(try k.ksmStat(child).mergingPages == 4)
    }

    /// tools/testing/selftests/mm/merge.c, `ksm_merge`: with PR_SET_MEMORY_MERGE, a new mapping
    /// still merges with its neighbour (the 2025 fix); before it, it did not.
    @Test(arguments: [EligibilityRules.linux6_17, .linux6_4])
    func merge_ksm_merge(rules: EligibilityRules) throws {
        let k = SimulatedKernel(rules: rules)
        let p = k.spawn()
        try k.mmap(p, at: 1, pages: 1, prot: .readWrite, .privateAnonymous)
        try k.mmap(p, at: 2, pages: 1, prot: .readWrite, .privateAnonymous)
        #expect(try k.vmas(p).map(\.range) == [1..<3])
        try k.munmap(p, at: 2, pages: 1)
        try k.setMemoryMerge(p, true)
        try k.mmap(p, at: 2, pages: 1, prot: .readWrite, .privateAnonymous)
        #expect(try k.vmas(p).map(\.range) == (rules == .linux6_17 ? [1..<3] : [1..<2, 2..<3]))
        try k.munmap(p, at: 1, pages: 2)
        try k.mmap(p, at: 1, pages: 1, prot: .readWrite, .privateAnonymous)
        try k.mmap(p, at: 2, pages: 1, prot: .readWrite, .privateAnonymous)
        #expect(try k.vmas(p).count == (rules == .linux6_17 ? 1 : 2))
    }

    @Test func maxPageSharingFormsChains() throws {
        let r = try simulate(Self.mergeable(5, fill: #"{"byte":8}"#, knobs: #"{"max_page_sharing": 2}"#))[0]
        #expect(r.ksm.pagesShared == 2 && r.ksm.pagesSharing == 2 && r.ksm.pagesUnshared == 1)
        #expect(r.ksm.stableNodeChains == 1 && r.ksm.stableNodeDups == 2)
    }

    @Test func runTwoUnmergesEverythingAndResetsFullScans() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 8, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 8, advice: .mergeable)
        try fill(k, p, at: 0, pages: 8)
        let before = try k.contentDigest(p)
        try k.runKSMD(fullScans: 3)
        #expect(k.ksmCounters.pagesSharing == 7)
        #expect { try k.setKSMKnob("max_page_sharing", .int(10)) } throws: { ($0 as? KnobError)?.errno == .EBUSY }
        try k.setKSMKnob("run", .int(2))
        let c = k.ksmCounters
        #expect(try c.pagesShared == 0 && c.pagesSharing == 0 && c.fullScans == 0 && k.ksmStat(p).rmapItems == 0)
        #expect(try k.isKSMRegistered(p) && k.contentDigest(p) == before)
        try k.setKSMKnob("max_page_sharing", .int(10))
        #expect { try k.setKSMKnob("run", .int(3)) } throws: { ($0 as? KnobError)?.errno == .EINVAL }
        #expect { try k.setKSMKnob("max_page_sharing", .int(1)) } throws: { ($0 as? KnobError)?.errno == .EINVAL }
    }

    @Test func smartScanSkipSchedule() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 1, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 1, advice: .mergeable)
        try fill(k, p, at: 0, pages: 1)
        var scannedAt: [Int] = []
        for pass in 1...20 {
            let before = k.ksmCounters.pagesScanned
            try k.runKSMD(fullScans: 1)
            if k.ksmCounters.pagesScanned > before { scannedAt.append(pass) }
        }
        // 4 visits, then 1 skip, scan, 2 skips, scan, 4 skips, scan, then 8 skips.
        #expect(scannedAt == [1, 2, 3, 4, 6, 9, 14])
        #expect(k.ksmCounters.pagesSkipped == 20 - scannedAt.count)
    }

    @Test func noRegisteredProcessScanEndsAtOnce() throws {
        let r = try simulate(#"{"steps":[{"op":"spawn","process":"p"},{"op":"scan","full_scans":3}]}"#)
        #expect(r[0].ksm.fullScans == 0)
    }

    @Test func emptyMergeAnyProcessIsUnregisteredKeepsMergeAnyAndComesBack() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        try k.runKSMD(fullScans: 2)
        #expect(k.ksmCounters.fullScans == 1)
        #expect(try !k.isKSMRegistered(p) && k.memoryMerge(p))
        // A new mapping is flagged and registers the process again (ksm_vma_flags()).
        try k.mmap(p, at: 0, pages: 2, prot: .readWrite, .privateAnonymous)
        #expect(try k.isKSMRegistered(p))
        try fill(k, p, at: 0, pages: 2)
        try k.runKSMD(fullScans: 2)
        #expect(try k.vmas(p)[0].flags.contains(.mergeable) && k.ksmCounters.pagesSharing == 1)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        replacing(target, with: replacement, maxReplacements: 1)
    }
}
