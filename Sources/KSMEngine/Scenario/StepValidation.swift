// The checks a scenario's steps pass, whether they come from a file (`Scenario.parse`) or from
// Swift (`Scenario(rules:knobs:checking:)`): value ranges, the window, the heap region, knob names
// and value types, and process names (spawned or forked before use, never reused). The decoder
// reads the fields and their JSON types; everything else is checked here, once.

/// The ranges a scenario's values must lie in.
enum ScenarioLimits {
    static let at = 0...(SimulatedKernel.windowPages - 1)
    static let pages = 0...SimulatedKernel.windowPages
    static let mutatorPages = 1...SimulatedKernel.windowPages
    static let heapPages = 0...SimulatedKernel.heapRegion.count
    static let fullScans = 0...1_000_000
    static let runValue = 0...Int(Int32.max)
    static let offset = 0...(1 << 40)
    static let classes = 1...(1 << 40)
    static let seconds = 0.0...1_000_000.0
    static let rate = 0.0...1_000_000.0
    static let drift = 0.0...1.0
    static let cloneCount = 1...10_000
    static let seed = 0...Int.max

    /// `"pages" is -3, outside 0...268435456`.
    static func check(_ key: String, _ n: Int, _ range: ClosedRange<Int>) throws(ScenarioError) {
        guard range.contains(n) else {
            throw ScenarioError("\"\(key)\" is \(n), outside \(range.lowerBound)...\(range.upperBound)")
        }
    }

    static func check(_ key: String, _ d: Double, _ range: ClosedRange<Double>) throws(ScenarioError) {
        guard range.contains(d) else {
            throw ScenarioError("\"\(key)\" is \(d), outside \(range.lowerBound)...\(range.upperBound)")
        }
    }

    /// `[at, at + pages)` (both in range already) lies in the window.
    static func checkWindow(_ at: Int, _ pages: Int) throws(ScenarioError) {
        if at + pages > SimulatedKernel.windowPages {
            throw ScenarioError("pages \(at)..<\(at + pages) leave the process window of \(SimulatedKernel.windowPages) pages")
        }
    }

    /// `[at, at + pages)` stays out of the heap region.
    static func checkOutsideHeap(_ at: Int, _ pages: Int, hint: String = ": use brk") throws(ScenarioError) {
        let heap = SimulatedKernel.heapRegion
        if at < heap.upperBound && at + pages > heap.lowerBound {
            throw ScenarioError("pages \(heap.lowerBound)..<\(heap.upperBound) of the window are the heap's\(hint)")
        }
    }

    /// A page range of a step: `at`, `pages` and the window.
    static func checkRange(_ at: Int, _ pages: Int, _ pagesRange: ClosedRange<Int> = pages) throws(ScenarioError) {
        try check("at", at, Self.at)
        try check("pages", pages, pagesRange)
        try checkWindow(at, pages)
    }
}

extension StepAction {
    /// The step's `"op"` in a scenario file: `"spawn"`, `"mmap"`, `"ksm_run"`, `"ksm"`, `"run_for"`, ...
    public var op: String {
        switch self {
        case .spawn: "spawn"
        case .fork: "fork"
        case .exec: "exec"
        case .exit: "exit"
        case .prctl: "prctl"
        case .mmap: "mmap"
        case .munmap: "munmap"
        case .mprotect: "mprotect"
        case .madvise: "madvise"
        case .brk: "brk"
        case .write: "write"
        case .scan: "scan"
        case .ksmRun: "ksm_run"
        case .ksmKnobs: "ksm"
        case .report: "report"
        case .runFor: "run_for"
        case .mutator: "mutator"
        case .ksmtuned: "ksmtuned"
        case .ksmtunedStop: "ksmtuned_stop"
        case .load: "load"
        case .clone: "clone"
        }
    }

    /// Checks the action's values as ``Scenario/parse(_:)`` checks a file's step: pages and
    /// addresses in the window (`at` 0...2^28-1, `pages` 0...2^28, `at + pages` at most 2^28),
    /// mappings outside the heap region, `brk` pages within ``SimulatedKernel/heapRegion``,
    /// `full_scans` 0...1,000,000, `ksm_run` 0...2^31-1, file offsets 0...2^40, fill classes
    /// 1...2^40, `seconds` and `rate` 0...1,000,000, knob names and value types, ksmtuned's
    /// settings (``KSMTuned/Config/ranges``); a `load`'s path not empty and its `pid` positive
    /// (snapshots only); a `clone`'s 1...10,000 names, `drift` 0...1, `seed` at least 0,
    /// `mutation_rate` 0...1,000,000. Process names are
    /// checked by the scenario as a whole (``Scenario/validate()``).
    /// - Throws: ``ScenarioError`` with the decoder's message (it names the field, e.g.
    ///   `"pages" is -3, outside 0...268435456`); no step index.
    public func validate() throws(ScenarioError) {
        typealias L = ScenarioLimits
        switch self {
        case .spawn, .fork, .exec, .exit, .prctl, .report:
            break
        case .mmap(_, let at, let pages, _, let spec):
            if let at { try L.check("at", at, L.at) }
            try L.check("pages", pages, L.pages)
            try spec.validate()
            if let at {
                try L.checkWindow(at, pages)
                try L.checkOutsideHeap(at, pages)
            }
        case .munmap(_, let at, let pages), .mprotect(_, let at, let pages, _), .madvise(_, let at, let pages, _):
            try L.checkRange(at, pages)
        case .write(_, let at, let pages, let fill):
            try L.checkRange(at, pages)
            if case .classes(let k, _) = fill { try L.check("classes", k, L.classes) }
        case .brk(_, let pages):
            try L.check("pages", pages, L.heapPages)
        case .scan(let n):
            try L.check("full_scans", n, L.fullScans)
        case .ksmRun(let v):
            try L.check("value", v, L.runValue)
        case .ksmKnobs(let knobs):
            guard !knobs.isEmpty else { throw ScenarioError("a ksm step sets at least one knob") }
            for k in knobs { try k.validate() }
        case .runFor(let seconds):
            try L.check("seconds", seconds, L.seconds)
        case .mutator(_, let at, let pages, let rate):
            try L.checkRange(at, pages, L.mutatorPages)
            try L.check("rate", rate, L.rate)
        case .ksmtuned(let config):
            try config.validate()
        case .ksmtunedStop:
            break
        case .load(_, let spec):
            guard !spec.path.isEmpty else { throw ScenarioError("\"\(spec.source.rawValue)\" must not be empty") }
            if let pid = spec.pid, pid <= 0 { throw ScenarioError("\"pid\" is \(pid), outside 1...\(Int32.max)") }
            if spec.pid != nil && spec.source == .core {
                throw ScenarioError("\"pid\" is for snapshots: a core file holds one process")
            }
        case .clone(_, let into, let drift, let seed, let rate):
            try L.check("count", into.count, L.cloneCount)
            try L.check("drift", drift, L.drift)
            try L.check("seed", seed, L.seed)
            try L.check("mutation_rate", rate, L.rate)
        }
    }
}

extension KnobSetting {
    /// Checks that the knob exists and its value has the type a scenario gives it: a non-negative
    /// integer, a boolean (or 0 or 1), or for `advisor_mode` `"none"` or `"scan-time"`. Ranges are
    /// the kernel's to check, when the knob is written (``SimulatedKernel/setKSMKnob(_:_:)``).
    /// - Throws: ``ScenarioError`` naming the knob (and, for an unknown one, those that exist).
    public func validate() throws(ScenarioError) { try KnobNames.check(name, value) }
}

extension Step {
    /// A step that performs `action` and, with `expect`, must fail with that errno.
    ///
    /// Its ``index`` is set when a scenario is built from it
    /// (``Scenario/init(rules:knobs:checking:)``); its ``op`` is the action's.
    public init(_ action: StepAction, expect: Errno? = nil) {
        self.init(index: 0, op: action.op, action: action, expect: expect)
    }
}

extension Scenario {
    /// A scenario built in Swift, numbered and checked as ``parse(_:)`` checks a file: every
    /// knob, every step's values (``StepAction/validate()``) and process names (spawned or forked
    /// before use, never reused). It runs as the same scenario read from a file would.
    ///
    /// ```swift
    /// let s = try Scenario(knobs: [KnobSetting(name: "pages_to_scan", value: .int(1000))], checking: [
    ///     Step(.spawn("a")),
    ///     Step(.mmap("a", at: 0, pages: 64, prot: .readWrite, .privateAnonymous)),
    ///     Step(.madvise("a", at: 0, pages: 64, advice: .mergeable)),
    ///     Step(.write("a", at: 0, pages: 64, fill: .classes(8, namespace: ""))),
    ///     Step(.munmap("a", at: 0, pages: 0), expect: .EINVAL),
    ///     Step(.scan(fullScans: 2)),
    /// ])
    /// let reports = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
    /// ```
    /// - Throws: ``ScenarioError`` naming the step (its position in `steps`) and the problem, with
    ///   the decoder's message.
    public init(rules: EligibilityRules = .linux6_17, knobs: [KnobSetting] = [], checking steps: [Step]) throws(ScenarioError) {
        self.init(
            rules: rules, knobs: knobs,
            steps: steps.enumerated().map { i, s in
                var s = s
                s.index = i
                return s
            })
        try validate()
    }

    /// A scenario of `actions`, none expected to fail; see ``init(rules:knobs:checking:)``.
    /// - Throws: ``ScenarioError`` naming the step and the problem.
    public init(rules: EligibilityRules = .linux6_17, knobs: [KnobSetting] = [], actions: [StepAction]) throws(ScenarioError) {
        try self.init(rules: rules, knobs: knobs, checking: actions.map { Step($0) })
    }

    /// Checks the scenario as ``parse(_:)`` checks a file: the `"ksm"` knobs' names and value
    /// types, the `"ksmtuned"` settings, every step's values (``StepAction/validate()``) and its process names, in order.
    /// ``ScenarioRunner/run(_:on:onReport:onStep:)`` calls it before the first step.
    /// - Throws: ``ScenarioError`` naming the step (``Step/index``, ``Step/op``) and the problem.
    public func validate() throws(ScenarioError) {
        for k in knobs { try k.validate() }
        do { try ksmtuned?.validate() } catch { throw ScenarioError("\"ksmtuned\": \(error.message)") }
        var names = ProcessNames<Void>()
        for step in steps {
            // The host's heap starts at a random start_brk, not 2 MiB-aligned as the simulator's:
            // in `always` mode its huge pages would fall elsewhere.
            if case .madvise(_, let at, let pages, .hugePage) = step.action, pages > 0,
                at < SimulatedKernel.heapRegion.upperBound, at + pages > SimulatedKernel.heapRegion.lowerBound
            {
                throw ScenarioError(
                    step: step.index, op: step.op,
                    "hugepage advice on the heap: the host's heap is not 2 MiB-aligned as the simulator's is")
            }
            if thp?.enabled == .always, case .brk = step.action {
                throw ScenarioError(
                    step: step.index, op: step.op,
                    "brk in a scenario with \"thp\" enabled \"always\": the host's heap is not 2 MiB-aligned as the simulator's is"
                )
            }
            do {
                try names.apply(step.action)
                try step.action.validate()
            } catch {
                throw ScenarioError(step: step.index, op: step.op, error.message)
            }
        }
    }
}
