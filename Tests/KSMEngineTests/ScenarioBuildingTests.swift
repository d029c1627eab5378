import Testing

@testable import KSMEngine

/// Scenarios written in Swift: the same steps, checks and reports as the same scenario read from a
/// file, through the same validation code.
@Suite struct ScenarioBuildingTests {
    /// `examples/fork-cow.json`, with a shared file mapping and an expected failure added.
    static let json = """
        {"ksm": {"pages_to_scan": 1000, "use_zero_pages": true}, "steps": [
          {"op": "spawn", "process": "parent"},
          {"op": "prctl", "process": "parent", "memory_merge": true},
          {"op": "mmap", "process": "parent", "at": 0, "pages": 64, "prot": "rw", "map": "private-anon"},
          {"op": "mmap", "process": "parent", "at": 100, "pages": 8, "prot": "rw", "map": "shared-file", "file": "data", "offset": 4},
          {"op": "write", "process": "parent", "at": 0, "pages": 64, "fill": {"classes": 4, "namespace": "data"}},
          {"op": "write", "process": "parent", "at": 100, "pages": 8, "fill": {"byte": 9}},
          {"op": "scan", "full_scans": 2},
          {"op": "fork", "process": "parent", "child": "child"},
          {"op": "report", "label": "forked"},
          {"op": "scan", "full_scans": 1},
          {"op": "report", "label": "child appended"},
          {"op": "write", "process": "child", "at": 0, "pages": 8, "fill": {"unique": true}},
          {"op": "mmap", "process": "child", "at": 64, "pages": 4, "prot": "rw", "map": "private-anon"},
          {"op": "munmap", "process": "child", "at": 64, "pages": 0, "expect": "EINVAL"},
          {"op": "ksm", "max_page_sharing": 16, "expect": "EBUSY"},
          {"op": "scan", "full_scans": 1},
          {"op": "report", "label": "child wrote"},
          {"op": "exit", "process": "child"},
          {"op": "scan", "full_scans": 1}
        ]}
        """

    static func built() throws -> Scenario {
        try Scenario(
            knobs: [
                KnobSetting(name: "pages_to_scan", value: .int(1000)), KnobSetting(name: "use_zero_pages", value: .bool(true)),
            ],
            checking: [
                Step(.spawn("parent")),
                Step(.prctl("parent", memoryMerge: true)),
                Step(.mmap("parent", at: 0, pages: 64, prot: .readWrite, .privateAnonymous)),
                Step(.mmap("parent", at: 100, pages: 8, prot: .readWrite, try MapSpec("shared-file", file: "data", offset: 4))),
                Step(.write("parent", at: 0, pages: 64, fill: .classes(4, namespace: "data"))),
                Step(.write("parent", at: 100, pages: 8, fill: .byte(9))),
                Step(.scan(fullScans: 2)),
                Step(.fork("parent", child: "child")),
                Step(.report("forked")),
                Step(.scan(fullScans: 1)),
                Step(.report("child appended")),
                Step(.write("child", at: 0, pages: 8, fill: .unique)),
                Step(.mmap("child", at: 64, pages: 4, prot: .readWrite, .privateAnonymous)),
                Step(.munmap("child", at: 64, pages: 0), expect: .EINVAL),
                Step(.ksmKnobs([KnobSetting(name: "max_page_sharing", value: .int(16))]), expect: .EBUSY),
                Step(.scan(fullScans: 1)),
                Step(.report("child wrote")),
                Step(.exit("child")),
                Step(.scan(fullScans: 1)),
            ])
    }

    @Test func aScenarioBuiltInSwiftIsTheParsedOne() throws {
        let parsed = try Scenario.parse(Self.json)
        let built = try Self.built()
        #expect(built.steps == parsed.steps)
        #expect(built.knobs == parsed.knobs)
        #expect(built.rules == parsed.rules)
    }

    @Test func aScenarioBuiltInSwiftGivesTheParsedOnesReports() throws {
        let parsed = try Scenario.parse(Self.json)
        let built = try Self.built()
        let a = try ScenarioRunner.run(parsed, on: SimulatorBackend(rules: parsed.rules))
        let b = try ScenarioRunner.run(built, on: SimulatorBackend(rules: built.rules))
        #expect(a.map(\.label) == ["forked", "child appended", "child wrote", "final"])
        #expect(a == b)
        // The reports say something: the child's KSM pages were appended, then some copied away.
        #expect(a[1].processes.count == 2 && a[1].ksm.pagesSharing > a[0].ksm.pagesSharing)
        // And it survives the JSON round trip.
        let again = try Scenario.parse(built.json.serialized())
        #expect(try ScenarioRunner.run(again, on: SimulatorBackend(rules: again.rules)) == a)
    }

    @Test func actionsWithoutExpectationsBuildAScenario() throws {
        let s = try Scenario(actions: [
            .spawn("a"), .mmap("a", at: nil, pages: 4, prot: .readWrite, .sharedAnonymous), .exit("a"),
        ])
        #expect(s.steps.map(\.index) == [0, 1, 2])
        #expect(s.steps.map(\.op) == ["spawn", "mmap", "exit"])
        #expect(s.steps.allSatisfy { $0.expect == nil })
    }

    /// Each bad step, as a JSON step and as Swift: the same one-line error.
    static let badSteps: [(String, StepAction)] = [
        (#"{"op": "munmap", "process": "a", "at": 0, "pages": -3}"#, .munmap("a", at: 0, pages: -3)),
        (
            #"{"op": "write", "process": "a", "at": -1, "pages": 1, "fill": {"byte": 1}}"#,
            .write("a", at: -1, pages: 1, fill: .byte(1))
        ),
        (
            #"{"op": "madvise", "process": "a", "at": 268435455, "pages": 2, "advice": "mergeable"}"#,
            .madvise("a", at: 268_435_455, pages: 2, advice: .mergeable)
        ),
        (
            #"{"op": "mmap", "process": "a", "at": 1048575, "pages": 2, "prot": "rw", "map": "private-anon"}"#,
            .mmap("a", at: 1_048_575, pages: 2, prot: .readWrite, .privateAnonymous)
        ),
        (
            #"{"op": "write", "process": "a", "at": 0, "pages": 1, "fill": {"classes": 0}}"#,
            .write("a", at: 0, pages: 1, fill: .classes(0, namespace: ""))
        ),
        (#"{"op": "brk", "process": "a", "pages": -1}"#, .brk("a", pages: -1)),
        (#"{"op": "scan", "full_scans": -1}"#, .scan(fullScans: -1)),
        (#"{"op": "ksm_run", "value": -2}"#, .ksmRun(-2)),
        (#"{"op": "run_for", "seconds": -0.5}"#, .runFor(seconds: -0.5)),
        (#"{"op": "mutator", "process": "a", "at": 0, "pages": 0, "rate": 5}"#, .mutator("a", at: 0, pages: 0, rate: 5)),
        (#"{"op": "ksm", "pages_to_scna": 5}"#, .ksmKnobs([KnobSetting(name: "pages_to_scna", value: .int(5))])),
        (#"{"op": "ksm", "smart_scan": 2}"#, .ksmKnobs([KnobSetting(name: "smart_scan", value: .int(2))])),
        (#"{"op": "exec", "process": "ghost"}"#, .exec("ghost")),
        (#"{"op": "spawn", "process": "a"}"#, .spawn("a")),
        (#"{"op": "fork", "process": "a", "child": ""}"#, .fork("a", child: "")),
    ]

    @Test(arguments: badSteps.indices)
    func aBadStepFailsWithTheDecodersMessage(_ i: Int) throws {
        let (json, action) = Self.badSteps[i]
        let file = #"{"steps": [{"op": "spawn", "process": "a"}, "# + json + "]}"
        let fromJSON = try #require(FuzzTests.parseError(file), "\(json) should not parse")
        var fromSwift: ScenarioError?
        do {
            _ = try Scenario(actions: [.spawn("a"), action])
        } catch {
            fromSwift = error
        }
        #expect(fromSwift?.description == fromJSON.description)
        #expect(fromJSON.description.hasPrefix("step 1 ("))
        // The runner checks a scenario however it was made, before its first step.
        let unchecked = Scenario(
            steps: [Step(.spawn("a")), Step(.report("r")), Step(action)].enumerated().map {
                var s = $0.element
                s.index = $0.offset
                return s
            })
        var reports = 0
        #expect(throws: ScenarioError.self) {
            try ScenarioRunner.run(unchecked, on: SimulatorBackend(rules: .linux6_17), onReport: { _ in reports += 1 })
        }
        #expect(reports == 0)
    }

    @Test func mapSpecsAreCheckedAsTheDecoderChecksThem() throws {
        #expect(try MapSpec("private-anon") == .privateAnonymous)
        #expect(try MapSpec("shared-anon") == .sharedAnonymous)
        #expect(try MapSpec("private-file", file: "/dev/zero").request.backing == .file(.mmap))
        #expect(try MapSpec("shared-file", file: "/dev/zero").request == .sharedAnonymous)
        #expect(try MapSpec("device", shared: false).request.shared == false)
        for bad in [
            { try MapSpec("private-anonymous") }, { try MapSpec("private-anon", file: "x") },
            { try MapSpec("shared-shmem", driver: .mmap) }, { try MapSpec("private-file", driverFlags: [.io]) },
            { try MapSpec("private-file", offset: -1) }, { try MapSpec("shared-dax", file: "") },
            { try MapSpec("private-file", shared: true) },
            { try MapSpec("private-file", file: "/dev/zero", driver: .mmapPrepare) },
        ] as [() throws -> MapSpec] {
            #expect(throws: ScenarioError.self) { try bad() }
        }
    }

    @Test func theSimulatorBackendNamesUnknownAndExitedProcesses() throws {
        let backend = SimulatorBackend(rules: .linux6_17)
        let fills = FillGenerator()
        #expect { try backend.perform(.exec("ghost"), fills: fills) } throws: {
            "\($0)" == "unknown process \"ghost\" (spawn or fork it first)"
        }
        try backend.perform(.spawn("a"), fills: fills)
        try backend.perform(.exit("a"), fills: fills)
        #expect { try backend.perform(.mmap("a", at: 0, pages: 1, prot: .read, .privateAnonymous), fills: fills) } throws: {
            "\($0)" == "process \"a\" has exited"
        }
        #expect { try backend.perform(.spawn("a"), fills: fills) } throws: { "\($0)" == "duplicate process name \"a\"" }
        #expect { try backend.report(label: "r", processes: ["a"]) } throws: { "\($0)" == "process \"a\" has exited" }
        #expect { try backend.perform(.mutator("b", at: 0, pages: 1, rate: 1), fills: fills) } throws: {
            "\($0)".hasPrefix("unknown process \"b\"")
        }
        #expect(backend.kernel.processIDs.isEmpty)
    }

    /// Steps whose process names break the scenario's rules, after steps that are fine.
    static let badNames: [(before: [StepAction], step: StepAction)] = [
        ([], .exec("ghost")),
        ([], .fork("ghost", child: "b")),
        ([.spawn("a")], .spawn("a")),
        ([.spawn("a"), .exit("a")], .spawn("a")),
        ([.spawn("a"), .exit("a")], .prctl("a", memoryMerge: true)),
        ([.spawn("a")], .fork("a", child: "a")),
        ([.spawn("a"), .spawn("b"), .exit("b")], .fork("a", child: "b")),
        ([.spawn("a")], .clone("a", into: ["a"], drift: 0, seed: 0, mutationRate: 0)),
        ([.spawn("a"), .exit("a")], .clone("a", into: ["b"], drift: 0, seed: 0, mutationRate: 0)),
        ([.spawn("a"), .exit("a")], .load("a", LoadSpec(.snapshot, path: "/nonexistent.ksmsnap"))),
    ]

    /// The simulator keeps its processes under the scenario's own naming rules (`ProcessNames`):
    /// a step performed on it directly fails with the message the scenario's check gives.
    @Test(arguments: badNames.indices)
    func theSimulatorBackendAndTheScenarioCheckNameAlike(_ i: Int) throws {
        let (before, step) = Self.badNames[i]
        var checked: ScenarioError?
        do { _ = try Scenario(actions: before + [step]) } catch { checked = error }
        let backend = SimulatorBackend(rules: .linux6_17)
        let fills = FillGenerator()
        for a in before { try backend.perform(a, fills: fills) }
        var performed: String?
        do { try backend.perform(step, fills: fills) } catch { performed = "\(error)" }
        #expect(checked?.step == before.count)
        #expect(checked.map(\.message) == performed, "\(step)")
        #expect(
            backend.kernel.processIDs.count == before.filter { if case .spawn = $0 { true } else { false } }.count
                - before.filter { if case .exit = $0 { true } else { false } }.count)
    }

    /// An empty name: the scenario names the field, the backend (whose steps have none) says so
    /// plainly; a name whose process could not be made stays free.
    @Test func emptyNamesAndFailedCreations() throws {
        let backend = SimulatorBackend(rules: .linux6_17)
        let fills = FillGenerator()
        #expect { try backend.perform(.spawn(""), fills: fills) } throws: { "\($0)" == "a process name must not be empty" }
        #expect { try Scenario(actions: [.spawn("")]) } throws: {
            "\($0)" == "step 0 (spawn): \"process\" must be a non-empty name"
        }
        #expect(backend.kernel.processIDs.isEmpty)
        // A load whose file is missing makes no process, and its name can be given again.
        #expect(throws: ScenarioError.self) {
            try backend.perform(.load("a", LoadSpec(.snapshot, path: "/nonexistent.ksmsnap")), fills: fills)
        }
        try backend.perform(.spawn("a"), fills: fills)
        #expect(backend.pid("a") != nil && backend.kernel.processIDs.count == 1)
    }

    /// The README's library examples, as written there.
    @Test func theReadmeExamplesRun() throws {
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
        let c = kernel.ksmCounters
        #expect(c.pagesShared == 8 && c.pagesSharing == 120)
        #expect(try kernel.ksmStat(a).mergingPages == 64)
        #expect(try kernel.vmas(a).map(\.flags.mnemonics) == [["rd", "wr", "mr", "mw", "me", "ac", "mg"]])

        var knobs = kernel.ksmKnobs
        knobs.pagesToScan = 1000
        knobs.maxPageSharing = 1
        #expect { try kernel.setKSMKnobs(knobs) } throws: {
            "\($0)" == "KSM knob max_page_sharing = 1 refused with EINVAL (allowed: 2...2147483647)"
        }

        let s = try Scenario(
            knobs: [KnobSetting(name: "pages_to_scan", value: .int(1000))],
            checking: [
                Step(.spawn("a")),
                Step(.mmap("a", at: 0, pages: 64, prot: .readWrite, .privateAnonymous)),
                Step(.madvise("a", at: 0, pages: 64, advice: .mergeable)),
                Step(.write("a", at: 0, pages: 64, fill: .classes(8, namespace: ""))),
                Step(.munmap("a", at: 0, pages: 0), expect: .EINVAL),
                Step(.scan(fullScans: 2)),
            ])
        let reports = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
        #expect(reports.last?.ksm.pagesShared == 8 && reports.last?.ksm.pagesSharing == 56)
    }
}
