import Testing

@testable import KSMEngine

/// Time and CPU in reports, convergence as defined by `CounterSeries.Convergence`, and the times to
/// 50% and 90% of the savings, on every example.
@Suite struct TimeAndConvergenceTests {
    static let examples = [
        "custom-rules.json", "fleet-convergence.json", "fleet-vmas.json", "fork-cow.json", "merge-any-vmas.json",
        "selftest-merge.json",
    ]

    static func run(_ name: String) throws -> (SimulatorBackend, [Report]) {
        let text = try #require(try? ProcFiles.read(packageRoot + "/examples/" + name).get())
        let s = try Scenario.parse(text)
        let backend = SimulatorBackend(rules: s.rules)
        return (backend, try ScenarioRunner.run(s, on: backend))
    }

    /// The definition, derived again from the series by time: full scans are the samples where
    /// full_scans grew; the window is everything after the completion of the third-to-last one.
    static func expected(_ series: CounterSeries) -> CounterSeries.Convergence {
        let s = series.samples
        let completions = s.indices.dropFirst().filter { s[$0].counters.fullScans > s[$0 - 1].counters.fullScans }
        guard !completions.isEmpty else { return .noFullScan }
        let windowStart = completions.count >= 3 ? s[completions[completions.count - 3]].seconds : -Double.infinity
        let changes = series.mergePoints.dropFirst()
        if let last = changes.last, last.seconds > windowStart { return .notConverged(lastChangeSeconds: last.seconds) }
        if completions.count == 1 { return .oneFullScan }
        return .converged(atSeconds: changes.last?.seconds ?? series.mergePoints.first?.seconds ?? s[0].seconds)
    }

    @Test(arguments: examples)
    func convergenceFollowsTheDefinition(example: String) throws {
        let (backend, _) = try Self.run(example)
        var series = backend.series
        series.noteMergeCounters(seconds: backend.kernel.simulatedSeconds, counters: backend.kernel.ksmCounters)
        let summary = backend.summary
        #expect(summary.convergence == Self.expected(series), "\(example): \(summary.text)")
        #expect(summary.fullScansCompleted == series.completedScans)
        // "Converged" means what it says: two more full scans change no merge counter.
        if case .converged = summary.convergence {
            let before = backend.kernel.ksmCounters
            try backend.kernel.runKSMD(fullScans: 2)
            let after = backend.kernel.ksmCounters
            #expect(
                [before.pagesShared, before.pagesSharing, before.ksmZeroPages] == [
                    after.pagesShared, after.pagesSharing, after.ksmZeroPages,
                ])
        }
        // A run with no full scan says so, not "not converged".
        if series.completedScans == 0 { #expect(summary.text.hasPrefix("no full scan completed")) }
    }

    @Test func theExamplesCoverEveryAnswerButOne() throws {
        var seen: Set<String> = []
        for e in Self.examples { seen.insert(try Self.run(e).0.summary.convergence.name) }
        #expect(seen.isSuperset(of: ["no_full_scan", "converged", "not_converged"]), "\(seen)")
    }

    @Test(arguments: examples)
    func reportsCarryTimeAndCPUNonDecreasing(example: String) throws {
        let (backend, reports) = try Self.run(example)
        var last = (0.0, 0.0)
        for r in reports {
            let t = try #require(r.simulatedSeconds)
            let cpu = try #require(r.ksmdCPUSeconds)
            #expect(t >= last.0 && cpu >= last.1)
            #expect(cpu <= t)
            last = (t, cpu)
            let json = r.json
            #expect(json["simulated_seconds"] == .double(t) && json["ksmd_cpu_seconds"] == .double(cpu))
            #expect(r.text.hasPrefix("== \(r.label) (t = \(t) s, ksmd CPU \(cpu) s)"))
        }
        #expect(backend.summary.ksmdCPUSeconds == last.1)
        #expect(backend.summary.simulatedSeconds == last.0)
    }

    @Test func savingsTimesAreOrderedAndReachTheirFractions() throws {
        let (backend, _) = try Self.run("fleet-convergence.json")
        let s = backend.summary
        let t50 = try #require(s.secondsTo50PercentSavings)
        let t90 = try #require(s.secondsTo90PercentSavings)
        let converged = try #require(s.convergedAtSeconds)
        #expect(t50 <= t90 && t90 <= converged)
        let points = backend.series.mergePoints
        #expect(s.savedPages == points.last?.savedPages)
        // Before t90 the savings were below 90%; at t90 they reached it.
        let target = Int((Double(s.savedPages) * 0.9).rounded(.up))
        #expect(points.filter { $0.seconds < t90 }.allSatisfy { $0.savedPages < target })
        #expect(points.contains { $0.seconds == t90 && $0.savedPages >= target })
        // The JSON form reads back as the same summary.
        #expect(try RunSummary(json: JSON.parse(s.json.serialized())) == s)
    }

    @Test func nothingSavedHasNoSavingsTimes() throws {
        let s = try Scenario(actions: [
            .spawn("a"), .mmap("a", at: 0, pages: 8, prot: .readWrite, .privateAnonymous),
            .madvise("a", at: 0, pages: 8, advice: .mergeable), .write("a", at: 0, pages: 8, fill: .unique), .scan(fullScans: 3),
        ])
        let backend = SimulatorBackend(rules: s.rules)
        _ = try ScenarioRunner.run(s, on: backend)
        let summary = backend.summary
        #expect(summary.savedPages == 0)
        #expect(summary.secondsTo50PercentSavings == nil && summary.secondsTo90PercentSavings == nil)
        // Nothing merged in three full scans: converged, since the start.
        #expect(summary.convergence == .converged(atSeconds: backend.series.samples[0].seconds))
    }

    @Test func oneFullScanIsTooFewToTell() throws {
        let s = try Scenario(actions: [
            .spawn("a"), .mmap("a", at: 0, pages: 8, prot: .readWrite, .privateAnonymous),
            .madvise("a", at: 0, pages: 8, advice: .mergeable), .write("a", at: 0, pages: 8, fill: .byte(7)), .scan(fullScans: 1),
        ])
        let backend = SimulatorBackend(rules: s.rules)
        _ = try ScenarioRunner.run(s, on: backend)
        #expect(backend.summary.convergence == .oneFullScan)
        try backend.kernel.runKSMD(fullScans: 1)  // and the second full scan merges
        #expect(backend.kernel.ksmCounters.pagesSharing == 7)
    }

    @Test func theComparisonIgnoresTheTimeFields() throws {
        let (_, reports) = try Self.run("selftest-merge.json")
        let shifted = reports.map { r in
            var r = r
            r.simulatedSeconds = (r.simulatedSeconds ?? 0) + 12.5
            r.ksmdCPUSeconds = nil
            return r
        }
        #expect(ReportComparison.differences(reports, shifted).isEmpty)
        var changed = shifted
        changed[0].ksm.pagesSharing += 1
        #expect(ReportComparison.differences(reports, changed).count == 1)
    }

    @Test func statLineGivesUtimePlusStime() {
        let line = "47 (ksmd) S 2 0 0 0 -1 2097216 0 0 0 0 150 250 0 0 25 5 1 0 12 0 0 18446744073709551615"
        #expect(KsmdThread.statCPUSeconds(line, ticksPerSecond: 100) == 4.0)
        #expect(KsmdThread.statCPUSeconds("12 (a) b) S 1 2", ticksPerSecond: 100) == nil)
        #expect(KsmdThread.statCPUSeconds("garbage", ticksPerSecond: 100) == nil)
    }
}
