import Glibc
import Testing

@testable import KSMEngine

/// `estimate --snapshot` of a `ksm-worker` with known memory, checked against what the host
/// kernel's ksmd then merges in the live worker, as ``EstimateHostKernelTests`` checks
/// `estimate --pid`. Root only.
@Suite(.serialized, .enabled(if: HostKernel.available, HostKernel.skipReason))
struct SnapshotHostKernelTests {
    @Test func theSnapshotOfAWorkerEstimatesWhatTheKernelMerges() throws {
        let s = try Scenario.parse(EstimateHostKernelTests.scenario)
        let backend = try HostKernelBackend(rules: s.rules)
        defer { backend.shutdown() }
        let before = try #require(try ScenarioRunner.run(s, on: backend).last)
        let pid = try #require(backend.hostPID("p"))

        // Captured (the window only), written, loaded; plain and anonymized.
        let path = try SnapshotTests.temporaryPath()
        let anonymizedPath = try SnapshotTests.temporaryPath()
        defer {
            unlink(path)
            unlink(anonymizedPath)
        }
        let snapshot = try SnapshotFile.capture(pids: [pid], range: EstimateHostKernelTests.window)
        try snapshot.write(to: path)
        try snapshot.anonymized(key: .random()).write(to: anonymizedPath)
        let e = try KSMEstimator().estimate(snapshot: try SnapshotFile.load(from: path))
        let anonymized = try KSMEstimator().estimate(snapshot: try SnapshotFile.load(from: anonymizedPath))
        let live = try KSMEstimator(options: .init(range: EstimateHostKernelTests.window)).estimate(pids: [pid])
        #expect(e.json == live.json)
        #expect(anonymized.json == e.json)
        let p = try #require(e.processes.first)
        #expect(p.eligiblePages == 64 && p.zeroPageMappings == 8 && p.zeroFilledPages == 16)
        #expect(
            [e.counters.pagesShared, e.counters.pagesSharing, e.counters.pagesUnshared, e.counters.ksmZeroPages] == [
                5, 43, 16, 0,
            ])

        // Capturing changed nothing in the worker.
        let after = try backend.report(label: "after capture", processes: ["p"])
        #expect(after.processes[0].contentDigest == before.processes[0].contentDigest)

        // The kernel's own ksmd, PR_SET_MEMORY_MERGE on and default knobs, merges as the snapshot says.
        let fills = FillGenerator()
        try backend.perform(.prctl("p", memoryMerge: true), fills: fills)
        try backend.perform(.scan(fullScans: 3), fills: fills)
        let merged = try backend.report(label: "merged", processes: ["p"])
        let window = try #require(merged.processes.first).vmas.filter { !SimulatedKernel.heapRegion.contains($0.start) }
        #expect(window.reduce(0) { $0 + $1.ksmKB / 4 } == p.mergingPages)
        let stat = merged.processes[0].ksmStat
        #expect(
            [stat.rmapItems, stat.mergingPages, stat.zeroPages, stat.processProfit] == [
                p.rmapItems, p.mergingPages, 0, p.processProfit,
            ])
    }
}
