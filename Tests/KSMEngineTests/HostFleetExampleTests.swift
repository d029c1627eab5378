import Testing

@testable import KSMEngine

/// `examples/host-fleet.json`, the host-sized fleet of docs/scale.md: too big for the suites that
/// run every example (``hostSizedExamples``), so its copy 4,096 times smaller runs here, in both
/// content modes. The full run's numbers are measured, not tested: docs/scale.md.
@Suite struct HostFleetExampleTests {
    static let path = "examples/host-fleet.json"
    /// The example's size, each occurrence of which the scaled copy divides by 4,096: pages per
    /// guest and pages_to_scan (a guest per batch).
    static let fullSize = "1048576"

    /// The example with every `1048576` replaced by `256`.
    static func scaledDown() throws -> Scenario {
        let text = try #require(try? ProcFiles.read(packageRoot + "/" + path).get())
        #expect(text.contains("\"pages\": \(fullSize)") && text.contains("\"pages_to_scan\": \(fullSize)"))
        return try Scenario.parse(text.replacing(fullSize, with: "256"))
    }

    @Test func theFullExampleIsAHostSizedFleetOfGuests() throws {
        let s = try loadScenario(Self.path)
        let mapped = s.steps.reduce(0) { if case .mmap(_, _, let p, _, _) = $1.action { $0 + p } else { $0 } }
        #expect(mapped == 32 << 20)
        // Within reach of the ids mode's budget on a machine of 16 GiB or more, far beyond the bytes mode's.
        #expect(MemoryBudget.bytes(forPages: mapped, content: .ids) < 9 << 30)
        #expect(MemoryBudget.bytes(forPages: mapped, content: .bytes) > 128 << 30)
    }

    @Test func theScaledCopyConvergesWithTheSameReportsInBothModes() throws {
        let s = try Self.scaledDown()
        let bytes = SimulatorBackend(rules: s.rules, content: .bytes)
        let ids = SimulatorBackend(rules: s.rules, content: .ids)
        let a = try ScenarioRunner.run(s, on: bytes)
        let b = try ScenarioRunner.run(s, on: ids)
        let (digests, other) = ContentModeTests.differences(a, b)
        #expect(other.isEmpty && digests.isEmpty, "\(other) \(digests)")
        #expect(bytes.summary == ids.summary)
        guard case .converged = ids.summary.convergence else {
            Issue.record("not converged: \(ids.summary.text)")
            return
        }
        // The guests workload's split of 256 pages: 154 image, 26 zero, 76 the guest's own.
        let c = try #require(b.last).ksm
        let guests = 32
        #expect(c.pagesUnshared == guests * 76)
        // The image once and 31 times more; the zero pages (use_zero_pages off) in one chain of
        // ceil(32 × 26 / 256) = 4 dups, one KSM page each (max_page_sharing 256).
        #expect(c.pagesShared == 154 + 4 && c.pagesSharing == (guests - 1) * 154 + guests * 26 - 4)
        #expect(c.stableNodeChains == 1 && c.stableNodeDups == 4 && c.ksmZeroPages == 0)
        #expect(c.fullScans == 4 && c.pagesVolatile == 0)
    }
}
