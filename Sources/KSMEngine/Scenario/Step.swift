/// How a write fills its pages.
public enum Fill: Hashable, Sendable {
    /// Every byte `B`.
    case byte(UInt8)
    /// Page i of the write gets class `i mod classes` of `namespace`: equal (namespace, class) pairs
    /// give equal bytes anywhere in the scenario, different pairs different bytes, never all zero.
    case classes(Int, namespace: String)
    /// Bytes no other page of the scenario has.
    case unique
}

/// What a mapping step maps, as the scenario spells it.
public struct MapSpec: Hashable, Sendable {
    /// The `"map"` value: `private-anon`, `shared-anon`, `private-shmem`, `shared-shmem`,
    /// `private-file`, `shared-file`, `private-dax`, `shared-dax`, `device`.
    public var map: String
    /// The request the simulator executes.
    public var request: MapRequest
}

/// One scenario step.
public enum StepAction: Hashable, Sendable {
    /// `spawn`: a new process with an empty window, under this name.
    case spawn(String)
    /// `fork`: the named process forks; `child` names the new one.
    case fork(String, child: String)
    /// `exec`: the process replaces its address space with an empty one.
    case exec(String)
    /// `exit`: the process exits.
    case exit(String)
    /// `prctl`: `PR_SET_MEMORY_MERGE` on or off.
    case prctl(String, memoryMerge: Bool)
    /// `mmap`: a mapping at page `at` (`MAP_FIXED_NOREPLACE`), or where the kernel chooses when `nil`.
    case mmap(String, at: Int?, pages: Int, prot: Protection, MapSpec)
    /// `munmap` of a page range.
    case munmap(String, at: Int, pages: Int)
    /// `mprotect` of a page range.
    case mprotect(String, at: Int, pages: Int, prot: Protection)
    /// `madvise` of a page range.
    case madvise(String, at: Int, pages: Int, advice: Advice)
    /// `brk`: sets the heap's size to `pages` pages.
    case brk(String, pages: Int)
    /// `write`: a forced write of a page range (as through `/proc/PID/mem`), its bytes made by `fill`.
    case write(String, at: Int, pages: Int, fill: Fill)
    /// `scan`: ksmd runs until that many more full scans have completed, then stops.
    case scan(fullScans: Int)
    /// `ksm_run`: writes the `run` knob (0 stop, 1 run, 2 unmerge everything).
    case ksmRun(Int)
    /// `ksm`: writes knobs in order, with the kernel's checks.
    case ksmKnobs([KnobSetting])
    /// `report`: records a ``Report`` under this label.
    case report(String)
    /// Simulated time passes: ksmd runs its batches if run=1, mutators write.
    case runFor(seconds: Double)
    /// A mutator rewriting random pages of a range at `rate` pages per simulated second (0 stops
    /// the process's mutators on that range).
    case mutator(String, at: Int, pages: Int, rate: Double)

    /// The process the step acts on, if any.
    public var process: String? {
        switch self {
        case .spawn(let p), .fork(let p, _), .exec(let p), .exit(let p), .prctl(let p, _), .mmap(let p, _, _, _, _),
            .munmap(let p, _, _), .mprotect(let p, _, _, _), .madvise(let p, _, _, _), .brk(let p, _), .write(let p, _, _, _),
            .mutator(let p, _, _, _):
            return p
        case .scan, .ksmRun, .ksmKnobs, .report, .runFor: return nil
        }
    }
}

/// One knob write: a sysfs name and a value.
public struct KnobSetting: Hashable, Sendable {
    /// The knob's sysfs name, e.g. `"pages_to_scan"`.
    public var name: String
    /// The value written.
    public var value: KnobValue
    /// Creates a knob write.
    public init(name: String, value: KnobValue) {
        self.name = name
        self.value = value
    }
}

/// A step with its place in the file and its expectation.
public struct Step: Hashable, Sendable {
    /// Position in `"steps"`, from 0.
    public var index: Int
    /// The `"op"` as written.
    public var op: String
    /// What the step does.
    public var action: StepAction
    /// The errno the step must fail with, if any.
    public var expect: Errno?
}

/// A parsed scenario file: a rule set, KSM knobs and steps.
public struct Scenario: Sendable {
    /// The eligibility rule set (`"rules"`).
    public var rules: EligibilityRules
    /// The `"ksm"` knobs, in the order written.
    public var knobs: [KnobSetting]
    /// The steps, in order.
    public var steps: [Step]

    /// Creates a scenario from its parts.
    public init(rules: EligibilityRules = .linux6_17, knobs: [KnobSetting] = [], steps: [Step]) {
        self.rules = rules
        self.knobs = knobs
        self.steps = steps
    }
}
