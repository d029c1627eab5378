import Testing

@testable import KSMEngine

/// VMA merging, splitting and flags, each case as measured on Linux 6.18 (x86_64).
@Suite struct VMALayoutTests {
    let rw = Protection.readWrite

    @Test func adjacentAnonymousMappingsMerge() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(p, at: 2, pages: 2, prot: rw, .privateAnonymous)
        #expect(try layout(k, p) == ["0-4 rd wr mr mw me ac"])
    }

    @Test func baseFlagsOfEachKind() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 1, prot: .read, .privateAnonymous)
        try k.mmap(p, at: 10, pages: 1, prot: .none, .privateAnonymous)
        try k.mmap(p, at: 20, pages: 1, prot: rw, .sharedAnonymous)
        try k.mmap(p, at: 30, pages: 1, prot: rw, MapRequest(backing: .shmem, shared: false, file: "m"))
        try k.mmap(p, at: 40, pages: 1, prot: rw, MapRequest(backing: .anonymous, shared: false, noReserve: true))
        #expect(
            try layout(k, p) == [
                "0-1 rd mr mw me", "10-11 mr mw me", "20-21 rd wr sh mr mw me ms", "30-31 rd wr mr mw me ac",
                "40-41 rd wr mr mw me nr",
            ])
    }

    @Test(arguments: [EligibilityRules.linux6_17, .linux6_4])
    func mergeAnyNewMappings(rules: EligibilityRules) throws {
        let k = SimulatedKernel(rules: rules)
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        for i in 0..<8 { try k.mmap(p, at: i, pages: 1, prot: rw, .privateAnonymous) }
        let expected = rules == .linux6_17 ? 1 : 8
        #expect(try k.vmas(p).count == expected)
        #expect(try k.vmas(p).allSatisfy { $0.flags.contains(.mergeable) })
    }

    @Test(arguments: [EligibilityRules.linux6_17, .linux6_4])
    func brkUnderMergeAny(rules: EligibilityRules) throws {
        let k = SimulatedKernel(rules: rules)
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        try k.setHeapSize(p, pages: 2)
        try k.setHeapSize(p, pages: 4)
        let heap = SimulatedKernel.heapBase
        if rules == .linux6_17 {
            #expect(try layout(k, p) == ["\(heap)-\(heap + 4) rd wr mr mw me ac mg"])
        } else {
            #expect(
                try layout(k, p) == ["\(heap)-\(heap + 2) rd wr mr mw me ac mg", "\(heap + 2)-\(heap + 4) rd wr mr mw me ac mg"])
        }
        try k.setHeapSize(p, pages: 1)
        #expect(try k.vmas(p).count == 1 && k.vmas(p)[0].end == heap + 1)
    }

    @Test func prctlSetsFlagInPlaceWithoutMerging() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 10, pages: 2, prot: rw, .privateAnonymous)
        try k.madvise(p, at: 10, pages: 2, advice: .mergeable)
        try k.mmap(p, at: 12, pages: 2, prot: rw, .privateAnonymous)
        #expect(try k.vmas(p).count == 2)
        try k.setMemoryMerge(p, true)
        #expect(try layout(k, p) == ["10-12 rd wr mr mw me ac mg", "12-14 rd wr mr mw me ac mg"])
        // Touching D (r, then rw) merges them.
        try k.mprotect(p, at: 12, pages: 2, prot: .read)
        try k.mprotect(p, at: 12, pages: 2, prot: rw)
        #expect(try layout(k, p) == ["10-14 rd wr mr mw me ac mg"])
    }

    @Test func madviseMiddleThirdSplitsAndUnmergeableRemerges() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 9, prot: rw, .privateAnonymous)
        try k.madvise(p, at: 3, pages: 3, advice: .mergeable)
        #expect(try layout(k, p) == ["0-3 rd wr mr mw me ac", "3-6 rd wr mr mw me ac mg", "6-9 rd wr mr mw me ac"])
        #expect(try k.isKSMRegistered(p))
        try k.madvise(p, at: 3, pages: 3, advice: .unmergeable)
        #expect(try layout(k, p) == ["0-9 rd wr mr mw me ac"])
    }

    @Test func madviseOverHoleFlagsMappedPartsAndFailsENOMEM() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(p, at: 3, pages: 2, prot: rw, .privateAnonymous)
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: 0, pages: 5, advice: .mergeable) }
        #expect(try k.vmas(p).allSatisfy { $0.flags.contains(.mergeable) })
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: 10, pages: 2, advice: .mergeable) }
        #expect(throws: Errno.ENOMEM) { try k.madvise(p, at: 2, pages: 3, advice: .dontNeed) }
    }

    @Test func madviseMergeableIgnoredOnSharedMappings() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .sharedAnonymous)
        try k.madvise(p, at: 0, pages: 2, advice: .mergeable)
        #expect(try layout(k, p) == ["0-2 rd wr sh mr mw me ms"])
    }

    @Test func prctlOffClearsOnlyWhenMergeAnyWasOn() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 2, advice: .mergeable)
        try k.setMemoryMerge(p, false)
        #expect(try k.vmas(p)[0].flags.contains(.mergeable))
        try k.setMemoryMerge(p, true)
        try k.setMemoryMerge(p, false)
        #expect(try !k.vmas(p)[0].flags.contains(.mergeable))
        try k.mmap(p, at: 2, pages: 1, prot: rw, .privateAnonymous)
        #expect(try !k.vmas(p).last!.flags.contains(.mergeable))
    }

    @Test func mprotectMiddlePageSplitsAndRemerges() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 3, prot: rw, .privateAnonymous)
        try k.mprotect(p, at: 1, pages: 1, prot: .none)
        #expect(try layout(k, p) == ["0-1 rd wr mr mw me ac", "1-2 mr mw me", "2-3 rd wr mr mw me ac"])
        try k.mprotect(p, at: 1, pages: 1, prot: rw)
        #expect(try layout(k, p) == ["0-3 rd wr mr mw me ac"])
    }

    @Test func accountFlagFollowsWritesAndFaults() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(p, at: 2, pages: 2, prot: .read, .privateAnonymous)
        #expect(try k.vmas(p).count == 2)
        try k.mprotect(p, at: 2, pages: 2, prot: rw)
        #expect(try layout(k, p) == ["0-4 rd wr mr mw me ac"])
        // Never written: read-only drops VM_ACCOUNT again.
        try k.mprotect(p, at: 2, pages: 2, prot: .read)
        #expect(try layout(k, p) == ["0-2 rd wr mr mw me ac", "2-4 rd mr mw me"])
        // Written: keeps it.
        try fill(k, p, at: 4 - 4, pages: 1)
        try k.mprotect(p, at: 0, pages: 1, prot: .read)
        #expect(try layout(k, p).first == "0-1 rd mr mw me ac")
    }

    @Test func mprotectHolesKeepEarlierChanges() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(p, at: 3, pages: 2, prot: rw, .privateAnonymous)
        #expect(throws: Errno.ENOMEM) { try k.mprotect(p, at: 0, pages: 5, prot: .read) }
        #expect(try layout(k, p) == ["0-2 rd mr mw me", "3-5 rd wr mr mw me ac"])
        #expect(throws: Errno.ENOMEM) { try k.mprotect(p, at: 2, pages: 2, prot: .read) }
        #expect(try layout(k, p)[1] == "3-5 rd wr mr mw me ac")
        try k.mprotect(p, at: 9, pages: 0, prot: .read)
    }

    @Test func forkChildFaultedVMADoesNotMergeWithNewNeighbour() throws {
        let k = SimulatedKernel()
        let parent = k.spawn()
        try k.mmap(parent, at: 0, pages: 4, prot: rw, .privateAnonymous)
        try fill(k, parent, at: 0, pages: 4)
        try k.mmap(parent, at: 10, pages: 4, prot: rw, .privateAnonymous)
        let child = try k.fork(parent)
        try k.mmap(child, at: 4, pages: 2, prot: rw, .privateAnonymous)
        #expect(try layout(k, child).prefix(2) == ["0-4 rd wr mr mw me ac", "4-6 rd wr mr mw me ac"])
        // The unwritten inherited VMA merges on both sides.
        try k.mmap(child, at: 8, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(child, at: 14, pages: 2, prot: rw, .privateAnonymous)
        #expect(try layout(k, child).last == "8-16 rd wr mr mw me ac")
        // The parent's own VMA still merges.
        try k.mmap(parent, at: 4, pages: 2, prot: rw, .privateAnonymous)
        #expect(try layout(k, parent).first == "0-6 rd wr mr mw me ac")
    }

    @Test func anonVMAReuseNeedsFlagsEqualBeyondAccess() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try fill(k, p, at: 0, pages: 2)
        try k.mmap(p, at: 2, pages: 2, prot: .read, .privateAnonymous)
        try fill(k, p, at: 2, pages: 1)  // forced write: B faults with its own anon_vma ('ac' differs)
        try k.mprotect(p, at: 2, pages: 2, prot: rw)
        #expect(try k.vmas(p).count == 2)

        let q = k.spawn()
        try k.mmap(q, at: 0, pages: 2, prot: rw, .privateAnonymous)
        try k.mmap(q, at: 2, pages: 2, prot: [.read, .write, .exec], .privateAnonymous)
        try fill(k, q, at: 2, pages: 1)
        try fill(k, q, at: 0, pages: 1)  // A reuses B's anon_vma
        try k.mprotect(q, at: 2, pages: 2, prot: rw)
        #expect(try k.vmas(q).count == 1)
    }

    @Test func munmapHoleRefilledMergesBack() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 5, prot: rw, .privateAnonymous)
        try fill(k, p, at: 0, pages: 5)
        try k.munmap(p, at: 2, pages: 1)
        #expect(try k.vmas(p).count == 2)
        try k.mmap(p, at: 2, pages: 1, prot: rw, .privateAnonymous)
        #expect(try layout(k, p) == ["0-5 rd wr mr mw me ac"])
    }

    @Test func fileMappingsMergeAtContiguousOffsets() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        let f = MapRequest(backing: .file(.mmapPrepare), shared: true, file: "f")
        var g = f
        g.offset = 2
        try k.mmap(p, at: 0, pages: 2, prot: rw, f)
        try k.mmap(p, at: 2, pages: 2, prot: rw, g)
        #expect(try layout(k, p) == ["0-4 rd wr sh mr mw me ms"])
        try k.mmap(p, at: 4, pages: 2, prot: rw, f)  // offset 0 again: not contiguous
        #expect(try k.vmas(p).count == 2)
        // Shared anonymous mappings are separate objects.
        try k.mmap(p, at: 10, pages: 1, prot: rw, .sharedAnonymous)
        try k.mmap(p, at: 11, pages: 1, prot: rw, .sharedAnonymous)
        #expect(try k.vmas(p).count == 4)
    }

    @Test func legacyDriverFilesDoNotMergeUnderMergeAny() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setMemoryMerge(p, true)
        let zero = MapRequest(backing: .file(.mmap), shared: false, file: "/dev/zero")
        var next = zero
        next.offset = 2
        try k.mmap(p, at: 0, pages: 2, prot: rw, zero)
        try k.mmap(p, at: 2, pages: 2, prot: rw, next)
        #expect(try layout(k, p) == ["0-2 rd wr mr mw me ac mg", "2-4 rd wr mr mw me ac mg"])
        // A rule set that sets it early for private legacy files merges them.
        var rules = EligibilityRules.linux6_17
        rules.earlyClasses.insert(.privateFileLegacy)
        let k2 = SimulatedKernel(rules: rules)
        let q = k2.spawn()
        try k2.setMemoryMerge(q, true)
        try k2.mmap(q, at: 0, pages: 2, prot: rw, zero)
        try k2.mmap(q, at: 2, pages: 2, prot: rw, next)
        #expect(try k2.vmas(q).count == 1)
    }

    @Test func deviceMappingsAreSpecialAndNeverMergeable() throws {
        var allowing = EligibilityRules.linux6_17
        allowing.excludedFlags.subtract([.pfnMap, .io, .dontExpand])
        for rules in [EligibilityRules.linux6_17, allowing] {
            let k = SimulatedKernel(rules: rules)
            let p = k.spawn()
            try k.setMemoryMerge(p, true)
            let dev = MapRequest(backing: .device([.io, .pfnMap, .dontExpand, .dontDump]), shared: false, file: "dev")
            try k.mmap(p, at: 0, pages: 1, prot: rw, dev)
            var next = dev
            next.offset = 1
            try k.mmap(p, at: 1, pages: 1, prot: rw, next)
            #expect(try k.vmas(p).count == 2)
            #expect(try k.vmas(p)[0].flags.contains(.mergeable) == (rules != .linux6_17))
            #expect(throws: Errno.EIO) { try fill(k, p, at: 0, pages: 1) }
        }
    }

    @Test func mmapErrors() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 2, prot: rw, .privateAnonymous)
        #expect(throws: Errno.EEXIST) { try k.mmap(p, at: 1, pages: 2, prot: rw, .privateAnonymous) }
        #expect(throws: Errno.EINVAL) { try k.mmap(p, at: 5, pages: 0, prot: rw, .privateAnonymous) }
        #expect(throws: Errno.EINVAL) { try k.munmap(p, at: 0, pages: 0) }
        try k.munmap(p, at: 100, pages: 3)
        let placed = try k.mmap(p, at: nil, pages: 3, prot: rw, .privateAnonymous)
        #expect(placed == SimulatedKernel.windowPages - 3)
        let below = try k.mmap(p, at: nil, pages: 2, prot: rw, .privateAnonymous)
        #expect(below == placed - 2)
        #expect(try k.vmas(p).count == 2)
    }

    @Test func maxMapCountLimits() throws {
        let k = SimulatedKernel()
        k.maxMapCount = 10
        let p = k.spawn()
        for i in 0..<11 { try k.mmap(p, at: 2 * i, pages: 1, prot: i % 2 == 0 ? rw : .read, .privateAnonymous) }
        #expect(try k.vmas(p).count == 11)  // the check is map_count > max
        #expect(throws: Errno.ENOMEM) { try k.mmap(p, at: 100, pages: 1, prot: rw, .privateAnonymous) }
        try k.munmap(p, at: 20, pages: 1)
        try k.mmap(p, at: 30, pages: 3, prot: rw, .privateAnonymous)
        #expect(try k.vmas(p).count == 11)
        #expect(throws: Errno.ENOMEM) { try k.mprotect(p, at: 30, pages: 1, prot: .read) }
        #expect(throws: Errno.ENOMEM) { try k.munmap(p, at: 31, pages: 1) }
        #expect(throws: Errno.EAGAIN) { try k.madvise(p, at: 30, pages: 1, advice: .mergeable) }
        try k.munmap(p, at: 30, pages: 1)  // no three-way split: allowed
    }

    @Test func forcedWritesFollowFOLLFORCE() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 1, prot: .none, .privateAnonymous)
        try k.mmap(p, at: 2, pages: 1, prot: .read, .sharedAnonymous)
        try k.mmap(p, at: 4, pages: 1, prot: .read, MapRequest(backing: .file(.mmapPrepare), shared: false, file: "f"))
        try fill(k, p, at: 0, pages: 1)
        #expect(throws: Errno.EIO) { try fill(k, p, at: 2, pages: 1) }
        try fill(k, p, at: 4, pages: 1)
        #expect(throws: Errno.EIO) { try fill(k, p, at: 7, pages: 1) }
        #expect(throws: Errno.EFAULT) { try fill(k, p, at: 0, pages: 1, forced: false) }
        // A short write keeps the pages written before the hole.
        #expect(throws: Errno.EIO) { try fill(k, p, at: 4, pages: 2, byte: 7) }
        #expect(try k.withPage(p, 4) { $0[0] } == 7)
    }
}
