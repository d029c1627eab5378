import Testing

@testable import KSMEngine

/// The one sorting of VMAs into eligible and excluded that the estimate from pagemaps (live or
/// captured) and from core files share (`ProcessPlan.sorting`), and the runs of pages it collects.
@Suite struct ProcessPlanTests {
    static func vma(_ start: UInt64, _ pages: UInt64, _ mnemonics: [String], name: String = "", kb: Int = 0) -> LiveVMA {
        LiveVMA(start: start, end: start + pages * 4096, name: name, mnemonics: mnemonics, residentKB: kb)
    }

    @Test func pagesInARowMakeOneRun() {
        var runs: [PageRun] = []
        for page: UInt64 in [1, 2, 3, 5, 6, 9] { PageRun.append(page, to: &runs) }
        #expect(
            runs == [PageRun(first: 1, count: 3), PageRun(first: 5, count: 2), PageRun(first: 9, count: 1)])
    }

    @Test func vmasAreCountedExcludedInKernelOrderAndCollected() throws {
        let anon = ["rd", "wr", "mr", "mw", "me", "ac"]
        let vmas = [
            Self.vma(0x1000_0000, 4, ["rd", "wr", "mr", "mw", "me", "pf"], kb: 16),
            Self.vma(0x2000_0000, 8, anon, kb: 32),
            Self.vma(0x3000_0000, 2, ["rd", "wr", "sh", "mr", "mw", "me", "ms"], kb: 8),
            Self.vma(0x4000_0000, 1, ["rd", "sh", "mr", "ms"], kb: 4),
            Self.vma(0xffff_ffff_ff60_0000, 1, ["rd", "ex"], name: "[vsyscall]"),
            Self.vma(0x9000_0000, 4, anon, kb: 16),  // outside the range
        ]
        var collected: [UInt64] = []
        let plan = try ProcessPlan.sorting(
            vmas, vma: { $0 }, pid: 7, command: "c", rules: .linux6_17, range: 0x1000_0000..<0x5000_0000
        ) { (v: LiveVMA, e: inout ProcessPlan.EligibleVMA, plan: inout ProcessPlan) throws(EstimateError) in
            collected.append(v.start)
            #expect(e.vma == v)
            for page in [0, 1, 3] as [UInt64] { PageRun.append(v.start / 4096 + page, to: &e.runs) }
            e.pages = 3
            plan.zeroPageMappings += 1
        }
        #expect(plan.pid == 7 && plan.command == "c")
        #expect(collected == [0x2000_0000])
        #expect(plan.vmaCount == 4)
        #expect(plan.eligible.map(\.vma.start) == [0x2000_0000] && plan.eligible[0].runs.count == 2)
        #expect(plan.candidatePages == 3 && plan.zeroPageMappings == 1)
        // VM_SHARED before VM_PFNMAP, as the kernel's flag bits go; the two shared VMAs as one entry.
        #expect(
            plan.exclusions == [
                KSMEstimate.Exclusion(reason: "VM_SHARED", vmas: 2, pages: 3, residentPages: 3),
                KSMEstimate.Exclusion(reason: "VM_PFNMAP", vmas: 1, pages: 4, residentPages: 4),
            ])
    }

    @Test func aRangeClipsTheVMAHandedToCollect() throws {
        let vmas = [Self.vma(0x1000_0000, 16, ["rd", "wr", "mr", "mw", "me", "ac"], kb: 64)]
        var seen: [LiveVMA] = []
        let plan = try ProcessPlan.sorting(
            vmas, vma: { $0 }, pid: 1, command: "", rules: .linux6_17, range: 0x1000_4000..<0x1000_6000
        ) { (v: LiveVMA, e: inout ProcessPlan.EligibleVMA, _: inout ProcessPlan) throws(EstimateError) in
            seen.append(e.vma)
            #expect(v.start == 0x1000_0000)
        }
        #expect(seen.map { [$0.start, $0.end] } == [[0x1000_4000, 0x1000_6000]])
        #expect(plan.vmaCount == 1 && plan.candidatePages == 0)
    }

    @Test func collectsErrorStopsTheSorting() {
        let vmas = [
            Self.vma(0x1000_0000, 1, ["rd", "wr", "mr", "mw", "me", "ac"]),
            Self.vma(0x2000_0000, 1, ["rd", "wr", "mr", "mw", "me", "ac"]),
        ]
        var calls = 0
        #expect(throws: EstimateError.self) {
            _ = try ProcessPlan.sorting(vmas, vma: { $0 }, pid: 1, command: "", rules: .linux6_17, range: nil) {
                (_: LiveVMA, _: inout ProcessPlan.EligibleVMA, _: inout ProcessPlan) throws(EstimateError) in
                calls += 1
                throw EstimateError(.readFailed, "stop")
            }
        }
        #expect(calls == 1)
    }
}
