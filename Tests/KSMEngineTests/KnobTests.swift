import Testing

@testable import KSMEngine

/// The KSM knobs as a typed value: checked as mm/ksm.c's sysfs store functions check them, applied
/// all or nothing, refused with a ``KnobError`` naming the knob, the value and what it accepts.
@Suite struct KnobTests {
    /// A kernel whose one process has 8 pages merged into one KSM page.
    static func merged() throws -> SimulatedKernel {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.mmap(p, at: 0, pages: 8, prot: .readWrite, .privateAnonymous)
        try k.madvise(p, at: 0, pages: 8, advice: .mergeable)
        try fill(k, p, at: 0, pages: 8)
        try k.runKSMD(fullScans: 2)
        #expect(k.ksmCounters.pagesShared == 1)
        return k
    }

    static func refusal(_ body: () throws -> Void) -> KnobError? {
        do {
            try body()
            return nil
        } catch {
            return error as? KnobError
        }
    }

    @Test func aWholeValueIsApplied() throws {
        let k = SimulatedKernel()
        var knobs = k.ksmKnobs
        knobs.pagesToScan = 1000
        knobs.sleepMillisecs = 0
        knobs.maxPageSharing = 4
        knobs.useZeroPages = true
        knobs.smartScan = false
        knobs.advisorTargetScanTime = 1
        try k.setKSMKnobs(knobs)
        #expect(k.ksmKnobs == knobs)
        try k.setKSMKnobs(KSMKnobs())
        #expect(k.ksmKnobs == KSMKnobs())
    }

    @Test func aValueWithOneBadKnobChangesNothing() throws {
        let k = SimulatedKernel()
        var knobs = k.ksmKnobs
        knobs.pagesToScan = 1000
        knobs.useZeroPages = true
        knobs.maxPageSharing = 1
        let e = try #require(Self.refusal { try k.setKSMKnobs(knobs) })
        #expect(e == KnobError(knob: "max_page_sharing", value: "1", allowed: "2...2147483647", errno: .EINVAL))
        #expect(e.description == "KSM knob max_page_sharing = 1 refused with EINVAL (allowed: 2...2147483647)")
        #expect(k.ksmKnobs == KSMKnobs())
    }

    @Test(arguments: [
        ("run", 3, "0...2"), ("pages_to_scan", 1 << 32, "0...4294967295"), ("sleep_millisecs", -1, "0...4294967295"),
        ("max_page_sharing", 1, "2...2147483647"), ("stable_node_chains_prune_millisecs", -5, "0...4294967295"),
        ("advisor_max_cpu", 1 << 33, "0...4294967295"), ("advisor_target_scan_time", 0, "1...4294967295"),
        ("merge_across_nodes", 2, "0...1"), ("use_zero_pages", 7, "0...1"), ("smart_scan", -1, "0...1"),
    ])
    func outOfRangeValuesGiveEINVALNamingTheRange(_ name: String, _ value: Int, _ allowed: String) throws {
        let k = SimulatedKernel()
        let e = try #require(Self.refusal { try k.setKSMKnob(name, .int(value)) })
        #expect(e == KnobError(knob: name, value: "\(value)", allowed: allowed, errno: .EINVAL))
        #expect(KSMKnobs.allowed(name) == allowed)
        #expect(k.ksmKnobs == KSMKnobs())
    }

    @Test func aMisspeltKnobSaysWhichExist() throws {
        let k = SimulatedKernel()
        let e = try #require(Self.refusal { try k.setKSMKnob("pages_to_scna", .int(1000)) })
        #expect(e.errno == .ENOENT && e.knob == "pages_to_scna")
        #expect(e.description.hasPrefix("unknown KSM knob \"pages_to_scna\" (known: run, pages_to_scan, "))
        #expect(KSMKnobs.names.allSatisfy { e.allowed.contains($0) })
    }

    @Test func advisorModeTakesOnlyItsWords() throws {
        let k = SimulatedKernel()
        let e = try #require(Self.refusal { try k.setKSMKnob("advisor_mode", .word("fast")) })
        #expect(e == KnobError(knob: "advisor_mode", value: "fast", allowed: "none or scan-time", errno: .EINVAL))
        #expect(Self.refusal { try k.setKSMKnob("advisor_mode", .int(1)) }?.errno == .EINVAL)
        #expect(Self.refusal { try k.setKSMKnob("pages_to_scan", .word("many")) }?.errno == .EINVAL)
    }

    @Test func sharingKnobsAreBusyWhileKSMPagesExist() throws {
        let k = try Self.merged()
        let before = k.ksmKnobs
        let e = try #require(Self.refusal { try k.setKSMKnob("max_page_sharing", .int(16)) })
        #expect(e.errno == .EBUSY && e.knob == "max_page_sharing" && e.value == "16")
        #expect(e.allowed.contains("2...2147483647") && e.allowed.contains("pages_shared is 1"))
        var knobs = before
        knobs.mergeAcrossNodes = false
        knobs.pagesToScan = 7
        #expect(Self.refusal { try k.setKSMKnobs(knobs) }?.errno == .EBUSY)
        #expect(k.ksmKnobs == before && k.ksmCounters.pagesShared == 1)
        // The same value with run=2 first unmerges everything, then the knob may change.
        knobs.run = 2
        try k.setKSMKnobs(knobs)
        #expect(k.ksmKnobs == knobs && k.ksmCounters.pagesShared == 0)
        // An unchanged value is no change, whatever exists.
        let m = try Self.merged()
        try m.setKSMKnob("max_page_sharing", .int(256))
        try m.setKSMKnobs(m.ksmKnobs)
    }

    @Test func theAdvisorOwnsPagesToScan() throws {
        let k = SimulatedKernel()
        var knobs = k.ksmKnobs
        knobs.advisorScanTime = true
        knobs.advisorMinPagesToScan = 800
        // Turning the advisor on sets pages_to_scan to advisor_min_pages_to_scan: nothing else fits.
        knobs.pagesToScan = 100
        let e = try #require(Self.refusal { try k.setKSMKnobs(knobs) })
        #expect(e.knob == "pages_to_scan" && e.errno == .EINVAL && e.allowed.hasPrefix("800 "))
        #expect(k.ksmKnobs == KSMKnobs())
        knobs.pagesToScan = 800
        try k.setKSMKnobs(knobs)
        #expect(k.ksmKnobs == knobs)
        // While it runs, pages_to_scan is the advisor's.
        #expect(Self.refusal { try k.setKSMKnob("pages_to_scan", .int(5)) }?.allowed.contains("advisor_mode is none") == true)
        knobs.pagesToScan = 5
        #expect(Self.refusal { try k.setKSMKnobs(knobs) }?.errno == .EINVAL)
        // Turning it off lets pages_to_scan be set in the same value.
        knobs.advisorScanTime = false
        knobs.pagesToScan = 5
        try k.setKSMKnobs(knobs)
        #expect(k.ksmKnobs == knobs)
    }

    @Test func aScenarioNamesTheRefusedKnobItsValueAndRange() throws {
        let top = try #require(FuzzTests.runError(#"{"ksm": {"max_page_sharing": 1}, "steps": []}"#))
        #expect(top.description == "\"ksm\": KSM knob max_page_sharing = 1 refused with EINVAL (allowed: 2...2147483647)")
        #expect(top.errno == .EINVAL)
        let step = try #require(FuzzTests.runError(#"{"steps": [{"op": "ksm", "pages_to_scan": 5000000000}]}"#))
        #expect(
            step.description == "step 0 (ksm): KSM knob pages_to_scan = 5000000000 refused with EINVAL (allowed: 0...4294967295)")
        let run = try #require(FuzzTests.runError(#"{"steps": [{"op": "ksm_run", "value": 3, "expect": "EBUSY"}]}"#))
        #expect(
            run.description
                == "step 0 (ksm_run): expected EBUSY, got EINVAL: KSM knob run = 3 refused with EINVAL (allowed: 0...2)")
        // An expected refusal is a success.
        _ = try simulate(#"{"steps": [{"op": "ksm_run", "value": 3, "expect": "EINVAL"}]}"#)
    }
}
