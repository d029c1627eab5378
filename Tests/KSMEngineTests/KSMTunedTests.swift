import Testing

@testable import KSMEngine

/// ksmtuned's policy (Debian's `/usr/sbin/ksmtuned`): its arithmetic against a transcription of the
/// script, and its monitor loop on the simulated clock.
@Suite struct KSMTunedTests {
    /// The script's variables and functions, transcribed statement by statement (lines 32-118 of
    /// ksmtuned 4.20150326), with bash's 64-bit integer arithmetic. `KSMCTL` appends to `writes`.
    struct Script {
        var KSM_NPAGES_BOOST = 300, KSM_NPAGES_DECAY = -50, KSM_NPAGES_MIN = 64, KSM_NPAGES_MAX = 1250
        var KSM_SLEEP_MSEC = 10, KSM_THRES_COEF = 20, KSM_THRES_CONST = 2048
        var total: Int
        var npages = 0, sleep = 0, thres = 0
        var writes: [(String, Int)] = []

        init(total: Int) {
            self.total = total
            npages = 0
            sleep = KSM_SLEEP_MSEC * 16 * 1024 * 1024 / total
            if sleep <= 10 { sleep = 10 }
            thres = total * KSM_THRES_COEF / 100
            if KSM_THRES_CONST > thres { thres = KSM_THRES_CONST }
        }

        mutating func KSMCTL(_ cmd: String, _ a: Int = 0, _ b: Int = 0) {
            if cmd == "stop" { writes.append(("run", 0)) }
            if cmd == "start" { writes += [("pages_to_scan", a), ("sleep_millisecs", b), ("run", 1)] }
        }

        func increase_npages(_ delta: Int) -> Int {
            var npages = self.npages + delta
            if npages < KSM_NPAGES_MIN {
                npages = KSM_NPAGES_MIN
            } else if npages > KSM_NPAGES_MAX {
                npages = KSM_NPAGES_MAX
            }
            return npages
        }

        /// `adjust()`: 1 when it stopped ksmd, 0 when it started it.
        mutating func adjust(free: Int, committed: Int) -> Int {
            writes = []
            if committed + thres < total && free > thres {
                KSMCTL("stop")
                return 1
            }
            if free < thres {
                npages = increase_npages(KSM_NPAGES_BOOST)
            } else {
                npages = increase_npages(KSM_NPAGES_DECAY)
            }
            KSMCTL("start", npages, sleep)
            return 0
        }
    }

    static func writes(_ d: KSMTuned.Decision) -> [String] { d.writes.map { "\($0.name)=\($0.value.sysfsText)" } }
    static func writes(_ s: Script) -> [String] { s.writes.map { "\($0.0)=\($0.1)" } }

    /// `sleep` and `thres` from `MemTotal`: the hand-computed values for a few hosts, and the
    /// transcription for many.
    @Test(arguments: [
        (16 << 20, 10, 3_355_443), (1 << 20, 160, 209_715), (64 << 10, 2560, 13_107), (32 << 20, 10, 6_710_886),
        (8000, 20971, 2048),
    ])
    func sleepAndThresholdFromTotalMemory(total: Int, sleep: Int, thres: Int) throws {
        let t = try KSMTuned(KSMTuned.Config(memTotalKiB: total))
        #expect(t.sleepMillisecs == sleep)
        #expect(t.thresholdKiB == thres)
        let s = Script(total: total)
        #expect((s.sleep, s.thres) == (sleep, thres))
    }

    @Test func sleepAndThresholdMatchTheScriptOnManyHosts() throws {
        var rng = SplitMix64(state: 13)
        for _ in 0..<2000 {
            let total = 1 + Int(rng.next() % (1 << 36))
            let t = try KSMTuned(KSMTuned.Config(memTotalKiB: total))
            let s = Script(total: total)
            #expect(t.sleepMillisecs == s.sleep && t.thresholdKiB == s.thres, "MemTotal \(total) kB")
        }
    }

    /// Boost up to `KSM_NPAGES_MAX`, decay down to `KSM_NPAGES_MIN`, stop and start again: every
    /// decision and write equals the script's on the same free and committed memory.
    @Test func adjustmentsFollowTheScript() throws {
        let total = 16 << 20  // 16 GiB; thres 3,355,443 kB
        var t = try KSMTuned(KSMTuned.Config(memTotalKiB: total))
        var s = Script(total: total)
        let low = 1 << 20  // free below thres
        let high = 8 << 20  // free above thres
        let full = 15 << 20  // committed + thres above total
        let situations: [(free: Int, committed: Int, action: KSMTuned.Action, npages: Int)] = [
            (high, 1 << 20, .stop, 0),  // nothing to do: run=0, npages untouched
            (high, full, .decay, 64),  // decay from 0 clamps at the floor
            (low, full, .boost, 364), (low, full, .boost, 664), (low, full, .boost, 964), (low, full, .boost, 1250),
            (low, full, .boost, 1250),  // capped
            (low, 1 << 20, .boost, 1250),  // low free memory boosts even with little committed
            (high, full, .decay, 1200), (high, full, .decay, 1150),
            (s.thres, full, .decay, 1100),  // free == thres decays
            (s.thres + 1, 1 << 20, .stop, 1100),  // stop keeps npages
            (high, full, .decay, 1050),
        ]
        for (i, x) in situations.enumerated() {
            let d = t.adjust(freeKiB: x.free, committedKiB: x.committed)
            let stopped = s.adjust(free: x.free, committed: x.committed)
            #expect(d.action == x.action, "situation \(i)")
            #expect((stopped == 1) == (d.action == .stop), "situation \(i)")
            #expect(t.npages == x.npages && s.npages == x.npages, "situation \(i)")
            #expect(Self.writes(d) == Self.writes(s), "situation \(i)")
        }
        #expect((t.stops, t.boosts, t.decays) == (2, 6, 5))
    }

    @Test func adjustmentsMatchTheScriptOnRandomConfigurations() throws {
        var rng = SplitMix64(state: 6)
        for _ in 0..<200 {
            var c = KSMTuned.Config(memTotalKiB: 1 + Int(rng.next() % (1 << 30)))
            c.npagesBoost = Int(rng.next() % 2000) - 1000
            c.npagesDecay = Int(rng.next() % 2000) - 1000
            c.npagesMin = Int(rng.next() % 500)
            c.npagesMax = Int(rng.next() % 5000)
            c.sleepMsec = Int(rng.next() % 100)
            c.thresCoef = Int(rng.next() % 101)
            c.thresConst = Int(rng.next() % (1 << 22))
            var t = try KSMTuned(c)
            var s = Script(total: c.memTotalKiB)
            s.KSM_NPAGES_BOOST = c.npagesBoost
            s.KSM_NPAGES_DECAY = c.npagesDecay
            s.KSM_NPAGES_MIN = c.npagesMin
            s.KSM_NPAGES_MAX = c.npagesMax
            s.KSM_SLEEP_MSEC = c.sleepMsec
            s.KSM_THRES_COEF = c.thresCoef
            s.KSM_THRES_CONST = c.thresConst
            s = Script(copying: s)
            for _ in 0..<20 {
                let free = Int(rng.next() % UInt64(c.memTotalKiB + 1))
                let committed = Int(rng.next() % UInt64(2 * c.memTotalKiB + 1))
                let d = t.adjust(freeKiB: free, committedKiB: committed)
                _ = s.adjust(free: free, committed: committed)
                #expect(Self.writes(d) == Self.writes(s), "\(c), free \(free), committed \(committed)")
            }
        }
    }

    @Test(arguments: [
        ("monitor_interval", 0), ("thres_coef", 101), ("npages_min", -1), ("mem_total_kib", 0), ("sleep_msec", -5),
    ])
    func outOfRangeSettingsAreRefused(name: String, value: Int) {
        var c = KSMTuned.Config(memTotalKiB: 1 << 20)
        switch name {
        case "monitor_interval": c.monitorInterval = value
        case "thres_coef": c.thresCoef = value
        case "npages_min": c.npagesMin = value
        case "sleep_msec": c.sleepMsec = value
        default: c.memTotalKiB = value
        }
        #expect(throws: ScenarioError.self) { try KSMTuned(c) }
        #expect(throws: ScenarioError.self) { try SimulatedKernel().startKSMTuned(c) }
    }

    // MARK: On the simulated clock

    /// Two processes of `pages` pages each, identical, mergeable.
    static func guests(_ k: SimulatedKernel, pages: Int) throws -> [ProcessID] {
        try (0..<2).map { _ in
            let p = k.spawn()
            try k.mmap(p, at: 0, pages: pages, prot: .readWrite, .privateAnonymous)
            try k.madvise(p, at: 0, pages: pages, advice: .mergeable)
            try fill(k, p, at: 0, pages: pages)
            return p
        }
    }

    /// The memory ksmtuned reads: free is MemTotal less every held page plus the page cache,
    /// committed the summed RSS (a KSM page in every process that maps it).
    @Test func freeAndCommittedMemory() throws {
        let k = SimulatedKernel()
        let ps = try Self.guests(k, pages: 100)
        let q = k.spawn()
        try k.mmap(q, at: 0, pages: 10, prot: .readWrite, MapRequest(backing: .shmem, shared: true, file: "f"))
        try fill(k, q, at: 0, pages: 10)
        #expect(k.pageCachePages == 10)
        #expect(k.residentPages == 210)
        #expect(k.ksmtunedFreeKiB(memTotalKiB: 4096) == 4096 - 210 * 4 + 10 * 4)
        #expect(k.ksmtunedCommittedKiB == 200 * 4, "the shared mapping's pages are the page cache's")
        try k.runKSMD(fullScans: 2)
        #expect(k.ksmCounters.pagesShared == 1 && k.ksmCounters.pagesSharing == 199)
        #expect(try k.residentSetPages(ps[0]) == 100)
        #expect(k.residentPages == 11)
        #expect(k.ksmtunedFreeKiB(memTotalKiB: 4096) == 4096 - 11 * 4 + 10 * 4)
        #expect(k.ksmtunedCommittedKiB == 200 * 4, "RSS counts a KSM page in every process mapping it")
        #expect(k.ksmtunedFreeKiB(memTotalKiB: 8) == 40, "MemFree is never below 0")
    }

    /// Adjustments come every monitor interval from the start, each on the memory of its time and
    /// each as the script decides; ksmd batches run in between with the knobs written.
    @Test func adjustsEveryMonitorIntervalOnTheSimulatedClock() throws {
        let k = SimulatedKernel()
        _ = try Self.guests(k, pages: 400)
        var c = KSMTuned.Config(memTotalKiB: 3600)  // 800 pages held: free 400 kB < thres 2048 kB
        c.monitorInterval = 10
        c.sleepMsec = 0  // sleep_millisecs 10, the script's floor
        try k.startKSMTuned(c)
        var s = Script(total: 3600)
        s.KSM_SLEEP_MSEC = 0
        s = Script(copying: s)
        #expect(s.sleep == 10)
        #expect(k.ksmtunedNextAdjustmentNanos == 10_000_000_000)
        var last = 0
        for i in 1...8 {
            // An event at the adjustment's time comes first: it sees the memory ksmtuned reads.
            var free = -1
            var committed = -1
            try k.runFor(seconds: 10, firstEvent: i * 10_000_000_000) { now in
                #expect(now == i * 10_000_000_000)
                free = k.ksmtunedFreeKiB(memTotalKiB: 3600)
                committed = k.ksmtunedCommittedKiB
                return nil
            }
            let d = try #require(k.ksmtunedLastDecision)
            _ = s.adjust(free: free, committed: committed)
            #expect(Self.writes(d) == Self.writes(s), "adjustment \(i)")
            #expect(d.refused.isEmpty)
            #expect(k.ksmtunedNextAdjustmentNanos == (i + 1) * 10_000_000_000)
            #expect(k.ksmKnobs.pagesToScan == s.npages && k.ksmKnobs.sleepMillisecs == s.sleep)
            if i == 1 {
                #expect(d.action == .boost && k.ksmKnobs.run == 1)
                #expect(k.ksmCounters.pagesScanned > 0)
            }
            last = k.ksmCounters.pagesSharing
        }
        // 800 pages of one content merge into one KSM page (max_page_sharing 256: a chain).
        #expect(last == 800 - 4)
        #expect(k.ksmtuned?.decays ?? 0 > 0, "once merged, free memory passes the threshold")
        k.stopKSMTuned()
        let knobs = k.ksmKnobs
        try k.runFor(seconds: 100, firstEvent: nil) { _ in nil }
        #expect(k.ksmKnobs == knobs && k.ksmtuned == nil && k.ksmtunedNextAdjustmentNanos == nil)
    }

    /// With the advisor on, the kernel refuses ksmtuned's `pages_to_scan`; the script's `echo`
    /// fails and the next writes go on.
    @Test func refusedWritesAreRecordedAndTheRestWritten() throws {
        let k = SimulatedKernel()
        _ = try Self.guests(k, pages: 400)
        try k.setKSMKnob("advisor_mode", .word("scan-time"))
        var c = KSMTuned.Config(memTotalKiB: 3600)
        c.monitorInterval = 1
        try k.startKSMTuned(c)
        try k.runFor(seconds: 1, firstEvent: nil) { _ in nil }
        let d = try #require(k.ksmtunedLastDecision)
        #expect(d.refused.map(\.knob) == ["pages_to_scan"] && d.refused.first?.errno == .EINVAL)
        #expect(k.ksmKnobs.run == 1 && k.ksmKnobs.sleepMillisecs == Script(total: 3600).sleep && k.ksmKnobs.pagesToScan == 500)
    }

    // MARK: Scenarios

    static let guestsJSON = #"{"op": "workload", "kind": "guests", "count": 4, "pages": 3500, "image": "debian-13"}"#

    /// Four guests of 3,500 pages on a 64 MiB host leave 9,536 kB free, below the threshold
    /// (13,107 kB): ksmtuned starts ksmd at its first adjustment, boosts it, and the guests merge
    /// as far as a fixed-knob run merges them; the reports show the knobs it wrote.
    @Test func underMemoryPressureKSMStartsAndConverges() throws {
        let reports = try simulate(
            """
            {"ksmtuned": {"host_memory_mib": 64},
             "steps": [\(Self.guestsJSON),
               {"op": "run_for", "seconds": 59}, {"op": "report", "label": "before"},
               {"op": "run_for", "seconds": 2}, {"op": "report", "label": "started"},
               {"op": "run_for", "seconds": 1200}]}
            """)
        let reference = try simulate(#"{"steps": [\#(Self.guestsJSON), {"op": "scan", "full_scans": 3}]}"#)
        let before = try #require(reports.first?.knobs)
        #expect(before.run == 0 && reports[0].ksm.pagesScanned == 0)
        let started = try #require(reports[1].knobs)
        #expect(started.run == 1 && started.pagesToScan == 300 && started.sleepMillisecs == Script(total: 64 * 1024).sleep)
        let last = try #require(reports.last)
        #expect(last.ksm.pagesSharing == reference[0].ksm.pagesSharing && last.ksm.pagesSharing > 7000)
        #expect(last.ksm.pagesShared == reference[0].ksm.pagesShared)
        #expect(last.knobs?.run == 1, "committed memory and threshold exceed MemTotal: ksmd keeps running")
        #expect(last.knobs?.pagesToScan ?? 0 < 1250, "once merged, free memory passes the threshold: decay")
        #expect(last.json.serialized().contains(#""knobs":{"run":1,"pages_to_scan":"#))
    }

    /// The same guests on a 16 GiB host: ksmtuned stops ksmd at every adjustment, as the script
    /// would, even after a `ksm_run` 1 (Debian's ksm.service) started it.
    @Test func withoutMemoryPressureKSMStaysOff() throws {
        let reports = try simulate(
            """
            {"ksmtuned": {"host_memory_mib": 16384, "monitor_interval": 30},
             "steps": [\(Self.guestsJSON), {"op": "run_for", "seconds": 600}, {"op": "report", "label": "off"},
               {"op": "ksm_run", "value": 1}, {"op": "run_for", "seconds": 30}, {"op": "report", "label": "stopped"},
               {"op": "run_for", "seconds": 600}]}
            """)
        #expect(reports[0].knobs?.run == 0 && reports[0].ksm.pagesScanned == 0)
        #expect(reports[1].knobs?.run == 0 && reports[1].ksm.pagesScanned > 0)
        #expect(reports[2].ksm.pagesScanned == reports[1].ksm.pagesScanned)
        #expect(reports[2].knobs?.pagesToScan == 100, "a stop writes only run")
    }

    @Test func stepsStartAndStopIt() throws {
        let reports = try simulate(
            """
            {"steps": [\(Self.guestsJSON), {"op": "ksm_run", "value": 1},
               {"op": "ksmtuned", "host_memory_kib": 65536, "monitor_interval": 10, "npages_decay": -7},
               {"op": "run_for", "seconds": 11}, {"op": "report", "label": "a"},
               {"op": "ksmtuned_stop"}, {"op": "ksm", "pages_to_scan": 5}, {"op": "run_for", "seconds": 100}]}
            """)
        // At 10 s the default knobs have merged the guests: free memory is above the threshold,
        // committed memory is not below MemTotal less it: decay from 0, clamped at 64.
        #expect(reports[0].knobs?.pagesToScan == 64)
        #expect(reports[1].knobs?.pagesToScan == 5, "stopped: the knobs are the scenario's again")
    }

    @Test func scenarioFilesRoundTrip() throws {
        let text = """
            {"ksmtuned": {"host_memory_kib": 65537, "npages_max": 2000},
             "steps": [{"op": "ksmtuned", "host_memory_mib": 1024, "monitor_interval": 5, "thres_coef": 0},
                       {"op": "ksmtuned_stop"}]}
            """
        let s = try Scenario.parse(text)
        #expect(s.ksmtuned?.memTotalKiB == 65537 && s.ksmtuned?.npagesMax == 2000)
        guard case .ksmtuned(let c) = s.steps[0].action else {
            Issue.record("not a ksmtuned step")
            return
        }
        #expect(c.memTotalKiB == 1 << 20 && c.monitorInterval == 5 && c.thresCoef == 0 && c.npagesBoost == 300)
        let again = try Scenario.parse(s.json.serialized())
        #expect(again.ksmtuned == s.ksmtuned && again.steps == s.steps)
    }

    @Test(arguments: [
        (#"{"op": "ksmtuned"}"#, "host_memory_mib"),
        (#"{"op": "ksmtuned", "host_memory_mib": 1, "host_memory_kib": 1024}"#, "one of them"),
        (#"{"op": "ksmtuned", "host_memory_mib": 0}"#, "host_memory_mib"),
        (#"{"op": "ksmtuned", "host_memory_mib": 64, "monitor_interval": 0}"#, "monitor_interval"),
        (#"{"op": "ksmtuned", "host_memory_mib": 64, "KSM_NPAGES_MAX": 5}"#, "unknown field"),
        (#"{"op": "ksmtuned", "host_memory_mib": 64, "npages_max": "5"}"#, "npages_max"),
        (#"{"op": "ksmtuned_stop", "now": true}"#, "unknown field"),
    ])
    func badStepsAreOneLineErrors(step: String, mentions: String) {
        #expect {
            _ = try Scenario.parse(#"{"steps": [\#(step)]}"#)
        } throws: { error in
            let e = error as? ScenarioError
            return e?.step == 0 && "\(error)".contains(mentions)
        }
    }

    @Test func badTopLevelSettingsAreOneLineErrors() {
        for (text, mentions) in [
            (#"{"ksmtuned": 5, "steps": []}"#, "object"),
            (#"{"ksmtuned": {"host_memory_mib": 64, "x": 1}, "steps": []}"#, "unknown field \"x\""),
            (#"{"ksmtuned": {"thres_coef": 5}, "steps": []}"#, "host_memory"),
        ] {
            #expect("\(text)") {
                _ = try Scenario.parse(text)
            } throws: { error in
                "\(error)".hasPrefix("\"ksmtuned\"") && "\(error)".contains(mentions)
            }
        }
    }
}

extension KSMTunedTests.Script {
    /// The script started afresh with `other`'s settings (`sleep` and `thres` recomputed).
    init(copying other: Self) {
        self = other
        npages = 0
        sleep = KSM_SLEEP_MSEC * 16 * 1024 * 1024 / total
        if sleep <= 10 { sleep = 10 }
        thres = total * KSM_THRES_COEF / 100
        if KSM_THRES_CONST > thres { thres = KSM_THRES_CONST }
    }
}
