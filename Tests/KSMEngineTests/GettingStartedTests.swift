import KSMEngine  // not @testable: the article's code uses the public API only
import Testing

/// The code of the DocC article "Getting Started" (Sources/KSMEngine/KSMEngine.docc/GettingStarted.md),
/// step by step, with every value the article states checked.
@Suite struct GettingStartedTests {
    /// Two processes with 64 pages each of 8 contents, merged by two full scans.
    func mergedPair() throws -> (SimulatedKernel, ProcessID, ProcessID) {
        let kernel = SimulatedKernel(rules: .linux6_17)
        let a = kernel.spawn()
        let b = kernel.spawn()
        for p in [a, b] {
            try kernel.mmap(p, at: 0, pages: 64, prot: .readWrite, .privateAnonymous)
            try kernel.madvise(p, at: 0, pages: 64, advice: .mergeable)
            try kernel.write(p, at: 0, pages: 64) { i, page in
                page.initializeMemory(as: UInt8.self, repeating: UInt8(i % 8 + 1))
            }
        }
        try kernel.runKSMD(fullScans: 2)
        return (kernel, a, b)
    }

    @Test func mergeTwoProcesses() throws {
        let (kernel, a, b) = try mergedPair()
        let c = kernel.ksmCounters
        #expect(c.fullScans == 2 && c.pagesShared == 8 && c.pagesSharing == 120 && c.pagesUnshared == 0)
        #expect(c.generalProfit == 120 * 4096 - 128 * 64)

        let stat = try kernel.ksmStat(a)
        #expect(stat.rmapItems == 64 && stat.mergingPages == 64 && stat.mergeable && !stat.mergeAny)

        let vmas = try kernel.vmas(a)
        #expect(vmas.count == 1)
        #expect(vmas[0].range == 0..<64)
        #expect(vmas[0].flags.mnemonics == ["rd", "wr", "mr", "mw", "me", "ac", "mg"])
        #expect(try kernel.ksmKilobytes(a, vmas[0]) == 256)

        #expect(try kernel.contentDigest(a) == kernel.contentDigest(b))
        let byte = try kernel.withPage(a, 9) { $0[0] }
        #expect(byte == 2)
        #expect(try kernel.withPage(a, 64) { $0[0] } == nil)
    }

    /// Continues where ``mergeTwoProcesses()`` ends, as the article does.
    @Test func forkCopyOnWriteKnobsAndUnmerge() throws {
        let (kernel, a, _) = try mergedPair()
        let child = try kernel.fork(a)
        try kernel.runKSMD(fullScans: 1)
        #expect(kernel.ksmCounters.pagesShared == 8 && kernel.ksmCounters.pagesSharing == 184)
        #expect(try kernel.ksmStat(child).mergingPages == 64)

        try kernel.write(child, at: 0, pages: 1) { _, page in
            page.initializeMemory(as: UInt8.self, repeating: 0xAA)
        }
        #expect(try kernel.withPage(child, 0) { $0[0] } == 0xAA)
        #expect(try kernel.withPage(a, 0) { $0[0] } == 1)
        #expect(try kernel.contentDigest(child) != kernel.contentDigest(a))
        // The counters follow at ksmd's next visit of the page, as the kernel's do.
        #expect(try kernel.ksmStat(child).mergingPages == 64 && kernel.ksmCounters.pagesSharing == 184)
        try kernel.runKSMD(fullScans: 1)
        #expect(try kernel.ksmStat(child).mergingPages == 63 && kernel.ksmCounters.pagesSharing == 183)

        #expect(kernel.ksmKnobs.pagesToScan == 100 && kernel.ksmKnobs.maxPageSharing == 256)
        try kernel.setKSMKnob("pages_to_scan", .int(1000))
        #expect(kernel.ksmKnobs.pagesToScan == 1000)
        #expect {
            try kernel.setKSMKnob("max_page_sharing", .int(16))
        } throws: { ($0 as? KnobError)?.errno == .EBUSY }

        try kernel.madvise(a, at: 0, pages: 64, advice: .unmergeable)
        #expect(try kernel.vmas(a)[0].flags.mnemonics == ["rd", "wr", "mr", "mw", "me", "ac"])
        #expect(try kernel.withPage(a, 9) { $0[0] } == 2)
        // a's rmap items go at ksmd's next pass, and the counters with them.
        #expect(try kernel.ksmStat(a).mergingPages == 64)
        try kernel.runKSMD(fullScans: 1)
        #expect(try kernel.ksmStat(a).mergingPages == 0 && kernel.ksmStat(a).rmapItems == 0)
        #expect(kernel.ksmCounters.pagesShared == 8 && kernel.ksmCounters.pagesSharing == 119)
    }
}
