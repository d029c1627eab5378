/// Seeded random scenarios: mmaps of every host-reproducible kind, writes of every fill kind,
/// madvise, mprotect, munmap, brk, prctl, fork, exec, exit, scans, unmerge-all and knob changes,
/// over a few processes and a small part of the window.
///
/// Steps that may fail are fine: ``withExpectations(_:)`` runs a scenario on the simulator
/// and writes each failing step's errno into its `expect`, so that another backend must fail the
/// same way.
public struct RandomScenario {
    /// A small, fast generator (SplitMix64): the same seed gives the same scenario everywhere.
    public struct Generator: RandomNumberGenerator {
        var state: UInt64
        /// Creates a generator whose sequence depends only on `seed`.
        public init(seed: UInt64) { state = seed }
        /// The next pseudo-random value (SplitMix64).
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Options for the generator.
    public struct Options: Sendable {
        /// Steps to generate (reports and a final scan come on top).
        public var steps = 40
        /// Most processes alive at once.
        public var maxProcesses = 4
        /// Pages of the window used (1 at least, the pages below the heap at most).
        public var windowPages = 96
        /// Whether to include mapping kinds the host kernel cannot reproduce (legacy-driver files,
        /// DAX, devices).
        public var simulatorOnlyKinds = false
        /// Whether to make a transparent-huge-page scenario (top-level `"thp"`, mode `madvise`):
        /// `hugepage` and `nohugepage` advice, mappings and writes of up to about two huge pages,
        /// over 8192 pages of the window (`windowPages` is then at least that).
        public var hugePages = false
        /// The defaults: 40 steps, at most 4 processes at once, 96 pages of the window, and only
        /// the mapping kinds the host kernel can reproduce.
        public init() {}
    }

    /// A scenario from `seed`.
    public static func make(seed: UInt64, options: Options = Options()) -> Scenario {
        var g = Generator(seed: seed)
        var steps: [StepAction] = []
        var live: [String] = []
        var nextName = 0
        func newName() -> String {
            nextName += 1
            return "p\(nextName)"
        }
        let first = newName()
        steps.append(.spawn(first))
        live.append(first)
        if Bool.random(using: &g) { steps.append(.prctl(first, memoryMerge: true)) }
        let knobChoices: [[KnobSetting]] = [
            [KnobSetting(name: "use_zero_pages", value: .bool(true))],
            [KnobSetting(name: "use_zero_pages", value: .bool(false))],
            [KnobSetting(name: "smart_scan", value: .bool(false))],
            [KnobSetting(name: "smart_scan", value: .bool(true))],
            [KnobSetting(name: "pages_to_scan", value: .int(Int.random(in: 1...300, using: &g)))],
            [KnobSetting(name: "max_page_sharing", value: .int(Int.random(in: 2...6, using: &g)))],
            [KnobSetting(name: "max_page_sharing", value: .int(256))],
        ]
        let prots = ["rw", "r", "none", "rw", "rw", "rwx"]
        let huge = options.hugePages
        let windowPages = min(max(options.windowPages, huge ? 8192 : 1), SimulatedKernel.heapBase)
        for _ in 0..<max(options.steps, 0) {
            let p = live.randomElement(using: &g) ?? first
            var at = Int.random(in: 0..<windowPages, using: &g)
            var pages = Int.random(in: 1...16, using: &g)
            var hugeSized = false
            if huge && Int.random(in: 0..<2, using: &g) == 0 {
                // Huge-page sized: mostly 2 MiB-aligned, up to a little over two huge pages.
                if Int.random(in: 0..<4, using: &g) != 0 { at &= ~(SimulatedKernel.hugePagePages - 1) }
                pages = Int.random(in: 1...1100, using: &g)
                hugeSized = true
            }
            at = min(at, windowPages - 1)
            let len = min(pages, windowPages - at)
            switch Int.random(in: 0..<100, using: &g) {
            case 0..<22:
                let spec =
                    hugeSized && Int.random(in: 0..<4, using: &g) != 0
                    ? MapSpec(map: "private-anon", request: .privateAnonymous) : mapSpec(&g, options)
                steps.append(.mmap(p, at: at, pages: len, prot: Protection(prots.randomElement(using: &g)!)!, spec))
                // A huge-page sized mapping is mostly advised at once, as an application would.
                if hugeSized && Int.random(in: 0..<3, using: &g) != 0 {
                    steps.append(.madvise(p, at: at, pages: len, advice: .hugePage))
                }
            case 22..<42:
                let fill: Fill
                switch Int.random(in: 0..<10, using: &g) {
                case 0: fill = .byte(0)
                case 1: fill = .byte(UInt8.random(in: 1...255, using: &g))
                case 2, 3: fill = .unique
                default: fill = .classes(Int.random(in: 1...4, using: &g), namespace: ["a", "b"].randomElement(using: &g)!)
                }
                steps.append(.write(p, at: at, pages: len, fill: fill))
            case 42..<52:
                let hugeAdvice: [Advice] = huge ? [.mergeable, .hugePage, .hugePage, .noHugePage] : []
                let advice = (hugeAdvice + [.mergeable, .mergeable, .unmergeable, .dontNeed]).randomElement(using: &g)!
                steps.append(.madvise(p, at: at, pages: len, advice: advice))
            case 52..<58:
                steps.append(.mprotect(p, at: at, pages: len, prot: Protection(prots.randomElement(using: &g)!)!))
            case 58..<63:
                steps.append(.munmap(p, at: at, pages: len))
            case 63..<76:
                steps.append(.scan(fullScans: Int.random(in: 1...3, using: &g)))
            case 76..<80:
                steps.append(.prctl(p, memoryMerge: Int.random(in: 0..<4, using: &g) != 0))
            case 80..<85 where live.count < options.maxProcesses:
                let c = newName()
                steps.append(.fork(p, child: c))
                live.append(c)
            case 85..<87 where live.count > 1:
                steps.append(.exit(p))
                live.removeAll { $0 == p }
            case 87..<88:
                steps.append(.exec(p))
            case 88..<91:
                steps.append(.brk(p, pages: Int.random(in: 0...8, using: &g)))
            case 91..<95:
                steps.append(.ksmKnobs(knobChoices.randomElement(using: &g)!))
            case 95..<96:
                steps.append(.ksmRun(2))
            default:
                steps.append(.report("r\(steps.count)"))
            }
        }
        steps.append(.scan(fullScans: 2))
        let numbered = steps.enumerated().map { Step(index: $0.offset, op: $0.element.op, action: $0.element, expect: nil) }
        return Scenario(rules: .linux6_17, thp: huge ? THPSettings(enabled: .madvise) : nil, steps: numbered)
    }

    private static func mapSpec(_ g: inout Generator, _ options: Options) -> MapSpec {
        let file = ["f1", "f2"].randomElement(using: &g)!
        let offset = Int.random(in: 0...8, using: &g)
        var kinds: [MapSpec] = [
            MapSpec(map: "private-anon", request: .privateAnonymous),
            MapSpec(map: "private-anon", request: .privateAnonymous),
            MapSpec(map: "private-anon", request: .privateAnonymous),
            MapSpec(map: "shared-anon", request: .sharedAnonymous),
            MapSpec(map: "private-shmem", request: MapRequest(backing: .shmem, shared: false, file: "s" + file, offset: offset)),
            MapSpec(map: "shared-shmem", request: MapRequest(backing: .shmem, shared: true, file: "s" + file, offset: offset)),
            MapSpec(
                map: "private-file", request: MapRequest(backing: .file(.mmapPrepare), shared: false, file: file, offset: offset)),
            MapSpec(
                map: "shared-file", request: MapRequest(backing: .file(.mmapPrepare), shared: true, file: file, offset: offset)),
            MapSpec(
                map: "private-file", request: MapRequest(backing: .file(.mmap), shared: false, file: "/dev/zero", offset: offset)),
        ]
        if options.simulatorOnlyKinds {
            kinds.append(
                MapSpec(map: "private-dax", request: MapRequest(backing: .dax, shared: false, file: "d", offset: offset)))
            kinds.append(
                MapSpec(
                    map: "device",
                    request: MapRequest(backing: .device([.io, .pfnMap, .dontExpand, .dontDump]), shared: true, file: "dev")))
        }
        return kinds.randomElement(using: &g)!
    }

    /// The scenario with every step the simulator refuses marked `expect` with its errno.
    public static func withExpectations(_ scenario: Scenario) throws(ScenarioError) -> Scenario {
        var s = scenario
        while true {
            let failure: ScenarioError
            do {
                _ = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
                return s
            } catch {
                failure = error
            }
            guard let step = failure.step, let errno = failure.errno, s.steps[step].expect == nil else { throw failure }
            s.steps[step].expect = errno
        }
    }
}
