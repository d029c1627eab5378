import Testing

@testable import KSMEngine

/// `NumberText`, the one spelling of seconds and shares in the text of run summaries, sweeps and
/// estimates.
@Suite struct NumberTextTests {
    @Test func secondsToTheMillisecondAndSharesToTheirDecimals() {
        #expect(NumberText.seconds(1.23456) == "1.235")
        #expect(NumberText.seconds(0.5) == "0.5")
        #expect(NumberText.seconds(0) == "0.0")
        #expect(NumberText.percent(0.123456, decimals: 2) == "12.35%")
        #expect(NumberText.percent(0.123456, decimals: 1) == "12.3%")
        #expect(NumberText.percent(0.5, decimals: 0) == "50.0%")
        #expect(NumberText.percent(1, of: 3) == "33.3%")
        #expect(NumberText.percent(1, of: 8) == "12.5%")
        #expect(NumberText.percent(5, of: 0) == "0%")
    }

    /// The spellings the summaries and the sweep table had written out each for itself.
    @Test(arguments: [0.0, 0.0004, 0.0005, 0.001234, 0.3333333, 0.66666, 1.0, 2.5e-7, 12.3456789, 1234.5678])
    func theSpellingsItReplaced(value: Double) {
        #expect(NumberText.seconds(value) == "\((value * 1000).rounded() / 1000)")
        #expect(NumberText.percent(value, decimals: 2) == "\((value * 10000).rounded() / 100)%")
        #expect(NumberText.percent(value, decimals: 1) == "\((value * 1000).rounded() / 10)%")
    }

    /// A sweep's table and the run summary of the same point show its CPU time and share alike.
    @Test func theSweepTableAndTheRunSummarySpellAlike() throws {
        let result = try SweepTests.result()
        let rows = result.text.split(separator: "\n").dropFirst()
        #expect(rows.count == result.points.count)
        for (p, row) in zip(result.points, rows) {
            guard case .summary(let s) = p.outcome else {
                Issue.record("point \(p.point.index) failed")
                continue
            }
            let seconds = NumberText.seconds(s.ksmdCPUSeconds)
            let share = NumberText.percent(s.ksmdCPUShare, decimals: 2)
            // The last two columns: ksmd CPU (s) and CPU share.
            #expect(row.split(separator: " ").suffix(2).map(String.init) == [seconds, share], "\(row)")
            #expect(s.text.contains("ksmd used \(share) of a CPU (\(seconds) s) over \(NumberText.seconds(s.simulatedSeconds))"))
        }
    }
}
