/// Model-based checking of the simulator: seeded random scenarios run step by step, with the
/// memory contents compared against a ``ReferenceMemory`` and the simulator's invariants checked
/// after every step, plus a second run without ksmd to show that ksmd never changes what a
/// process reads. Failures shrink to a short scenario that still fails the same way.
///
/// The tests and `ksmd-sim soak` call the same code:
///
/// ```swift
/// for seed in 0..<1000 as Range<UInt64> {
///     if let failure = ModelCheck.run(seed: seed) {
///         print(ModelCheck.shrink(failure))   // the seed, the problems, the shrunk scenario as JSON
///     }
/// }
/// ```
public enum ModelCheck {
    /// A scenario that breaks the model check, with what broke.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What broke.
        public enum Kind: String, Sendable {
            /// The scenario cannot be run at all: a step threw something other than an errno, or
            /// the simulator failed it differently on another run.
            case invalid
            /// A step ended otherwise than its `expect`, or than the reference model predicts.
            case outcome
            /// A process reads other bytes than the reference model expects.
            case content
            /// ``SimulatedKernel/invariantViolations()`` found something.
            case invariant
            /// Without the scan, ksm and ksm_run steps, a step ends otherwise or a process reads
            /// otherwise: ksmd changed what a process sees.
            case ksmVisible = "ksm-visible"
        }

        /// The seed of the random scenario, if it came from one.
        public var seed: UInt64?
        /// What kind of check failed.
        public var kind: Kind
        /// The position in ``scenario``'s steps after which the check failed (`nil`: before the
        /// first step).
        public var step: Int?
        /// One line per problem found.
        public var problems: [String]
        /// The failing scenario, with every failing step's errno as its `expect`.
        public var scenario: Scenario

        /// The seed, the kind, the step, the problems (the first 20) and the failing scenario as pretty JSON.
        public var description: String {
            var out = seed.map { "seed \($0): " } ?? ""
            out += "\(kind.rawValue) failure"
            if let step, step < scenario.steps.count { out += " after step \(step) (\(scenario.steps[step].op))" }
            out += "\n"
            for p in problems.prefix(20) { out += "  " + p + "\n" }
            if problems.count > 20 { out += "  ... \(problems.count - 20) more\n" }
            out += "scenario (\(scenario.steps.count) steps):\n"
            out += scenario.json.serialized(pretty: true)
            return out
        }
    }

    /// What checking one random scenario did.
    public struct Outcome: Sendable {
        /// Steps executed (in the run with ksmd).
        public var operations: Int
        /// The first failure, if any (not shrunk).
        public var failure: Failure?
    }

    /// The generator options for `seed`: 40 steps; every odd seed also maps the kinds only the
    /// simulator has (legacy-driver files, DAX, devices); the window is 96, 48 or 32 pages (denser
    /// windows merge more). A seed alone thus names a scenario.
    public static func scenarioOptions(seed: UInt64) -> RandomScenario.Options {
        var o = RandomScenario.Options()
        o.simulatorOnlyKinds = seed & 1 == 1
        o.windowPages = [96, 48, 32][Int((seed >> 1) % 3)]
        return o
    }

    /// Checks the random scenario of `seed` (made with ``scenarioOptions(seed:)`` unless `options`
    /// is given); `nil` when every check passed.
    public static func run(seed: UInt64, options: RandomScenario.Options? = nil) -> Failure? {
        runCounting(seed: seed, options: options).failure
    }

    /// ``run(seed:options:)``, also counting the steps executed.
    public static func runCounting(seed: UInt64, options: RandomScenario.Options? = nil) -> Outcome {
        let s = RandomScenario.make(seed: seed, options: options ?? scenarioOptions(seed: seed))
        let failure = evaluate(s, seed: seed)
        return Outcome(operations: failure?.step.map { $0 + 1 } ?? s.steps.count, failure: failure)
    }

    /// Makes `scenario` valid (process names repaired after deletions, every failing step's errno
    /// as its `expect`, through ``RandomScenario/withExpectations(_:)``) and checks it.
    public static func evaluate(_ scenario: Scenario, seed: UInt64? = nil) -> Failure? {
        var bare = scenario
        bare.steps = repaired(scenario.steps)
        let valid: Scenario
        do {
            valid = try RandomScenario.withExpectations(bare)
        } catch {
            return Failure(seed: seed, kind: .invalid, step: error.step, problems: ["\(error)"], scenario: bare)
        }
        return check(valid, seed: seed)
    }

    /// Runs `scenario` (whose `expect`s must be what the simulator does) step by step; after
    /// every step, compares every live process's memory with a ``ReferenceMemory`` and checks
    /// ``SimulatedKernel/invariantViolations()``. Then runs it again without its scan, ksm and
    /// ksm_run steps and compares every other step's outcome and every process's content digest.
    /// Scenarios with mutators are outside the model (see ``ReferenceMemory``).
    /// - Complexity: O(steps × (mapped pages × 4 KiB + the invariants' cost)).
    public static func check(_ scenario: Scenario, seed: UInt64? = nil) -> Failure? {
        func failure(_ f: (Int?, Failure.Kind, [String])) -> Failure {
            Failure(seed: seed, kind: f.1, step: f.0, problems: f.2, scenario: scenario)
        }
        let backend = SimulatorBackend(rules: scenario.rules)
        let model = ReferenceMemory(backend: backend)
        var digests: [[UInt64]] = []
        var outcomes: [Errno?] = []
        if let f = drive(
            scenario, on: backend,
            after: { outcome, live in
                outcomes.append(outcome)
                let step = scenario.steps[outcomes.count - 1]
                var problems = model.apply(step.action, outcome: outcome)
                if !problems.isEmpty { return (.outcome, problems) }
                problems = model.differences(from: backend, processes: live)
                if !problems.isEmpty { return (.content, problems) }
                problems = backend.kernel.invariantViolations()
                if !problems.isEmpty { return (.invariant, problems) }
                digests.append(digest(backend, live))
                return nil
            })
        {
            return failure(f)
        }

        // ksmd never changes what a process reads, nor how another step ends.
        let (plain, positions) = withoutKSMSteps(scenario)
        let plainBackend = SimulatorBackend(rules: scenario.rules)
        var done = 0
        let f = drive(
            plain, on: plainBackend, checkingExpect: false,
            after: { outcome, live in
                let pos = positions[done]
                done += 1
                if outcome != outcomes[pos] {
                    let op = scenario.steps[pos].op
                    let (without, with) = (outcome?.name ?? "success", outcomes[pos]?.name ?? "success")
                    return (.ksmVisible, ["without ksmd, step \(pos) (\(op)) gives \(without) instead of \(with)"])
                }
                let d = digest(plainBackend, live)
                if d != digests[pos] {
                    let who = zip(live, zip(d, digests[pos])).filter { $0.1.0 != $0.1.1 }.map(\.0)
                    return (
                        .ksmVisible,
                        ["without ksmd, after step \(pos) the content digests of \(who.joined(separator: ", ")) differ"]
                    )
                }
                return nil
            })
        if let f {
            // Name the step in the scenario with ksmd.
            let step = f.0.map { positions[$0] }
            return failure((step, f.1 == .invalid ? .invalid : .ksmVisible, f.1 == .invalid ? ["without ksmd: "] + f.2 : f.2))
        }
        return nil
    }

    /// The scenario without its scan, ksm, ksm_run and run_for steps (ksmd's), and for each step
    /// left its position in `scenario`.
    public static func withoutKSMSteps(_ scenario: Scenario) -> (Scenario, [Int]) {
        var s = scenario
        var positions: [Int] = []
        s.steps = []
        for (pos, step) in scenario.steps.enumerated() {
            switch step.action {
            case .scan, .ksmKnobs, .ksmRun, .runFor, .ksmtuned, .ksmtunedStop: continue
            default:
                var st = step
                st.index = s.steps.count
                s.steps.append(st)
                positions.append(pos)
            }
        }
        return (s, positions)
    }

    /// Sets the knobs, then performs every step on `backend`, catching errnos; after each step
    /// whose outcome is its `expect` (when `checkingExpect`), calls `after(outcome, live
    /// processes)`. Returns the first problem: its step's position, kind and lines.
    static func drive(
        _ scenario: Scenario, on backend: SimulatorBackend, checkingExpect: Bool = true,
        after: (Errno?, [String]) -> (Failure.Kind, [String])?
    ) -> (Int?, Failure.Kind, [String])? {
        let fills = FillGenerator()
        if !scenario.knobs.isEmpty {
            do {
                try backend.perform(.ksmKnobs(scenario.knobs), fills: fills)
            } catch {
                return (nil, .invalid, ["setting the knobs: \(error)"])
            }
        }
        var live: [String] = []
        for (pos, step) in scenario.steps.enumerated() {
            var outcome: Errno? = nil
            do {
                try backend.perform(step.action, fills: fills)
            } catch let e as Errno {
                outcome = e
            } catch let e as KnobError {
                outcome = e.errno
            } catch {
                return (pos, .invalid, ["step \(pos) (\(step.op)): \(error)"])
            }
            if checkingExpect && outcome != step.expect {
                return (
                    pos, .outcome,
                    ["step \(pos) (\(step.op)): expected \(step.expect?.name ?? "success"), got \(outcome?.name ?? "success")"]
                )
            }
            if outcome == nil {
                switch step.action {
                case .spawn(let p): live.append(p)
                case .fork(_, let c): live.append(c)
                case .load(let p, _): live.append(p)
                case .clone(_, let into, _, _, _): live.append(contentsOf: into)
                case .exit(let p): live.removeAll { $0 == p }
                default: break
                }
            }
            if let r = after(outcome, live) { return (pos, r.0, r.1) }
        }
        return nil
    }

    private static func digest(_ backend: SimulatorBackend, _ live: [String]) -> [UInt64] {
        live.map { backend.pid($0).flatMap { try? backend.kernel.contentDigest($0) } ?? 0 }
    }

    // MARK: Shrinking

    /// The failure with its scenario shrunk: steps deleted (halves, then smaller runs, then single
    /// steps) and sizes reduced while ``evaluate(_:seed:)`` still fails with the same kind.
    public static func shrink(_ failure: Failure, maxCandidates: Int = 2000) -> Failure {
        let kind = failure.kind
        let seed = failure.seed
        let shrunk = shrink(failure.scenario, maxCandidates: maxCandidates) { evaluate($0, seed: seed)?.kind == kind }
        return evaluate(shrunk, seed: seed) ?? failure
    }

    /// Shrinks `scenario` while `stillFails` holds: deletes runs of steps (halves first, down to
    /// single steps), then lowers sizes (pages, full scans, fill classes), trying at most
    /// `maxCandidates` candidates. Every candidate has its process names repaired (steps of a
    /// process whose spawn or fork went are dropped too) and no `expect`s.
    public static func shrink(_ scenario: Scenario, maxCandidates: Int = 2000, while stillFails: (Scenario) -> Bool) -> Scenario {
        var current = scenario
        current.steps = repaired(current.steps)
        var budget = maxCandidates
        func attempt(_ steps: [Step]) -> Bool {
            guard budget > 0 else { return false }
            budget -= 1
            var candidate = current
            candidate.steps = repaired(steps)
            guard candidate.steps != current.steps, stillFails(candidate) else { return false }
            current = candidate
            return true
        }
        var progress = true
        while progress && budget > 0 {
            progress = false
            // Deletions, ddmin style.
            var chunk = max(1, current.steps.count / 2)
            while budget > 0 {
                var removed = false
                var start = 0
                while start < current.steps.count && budget > 0 {
                    var steps = current.steps
                    steps.removeSubrange(start..<min(start + chunk, steps.count))
                    if attempt(steps) { removed = true } else { start += chunk }
                }
                if removed { progress = true } else if chunk == 1 { break } else { chunk = max(1, chunk / 2) }
            }
            // Smaller steps.
            var i = 0
            while i < current.steps.count && budget > 0 {
                for action in smaller(current.steps[i].action) {
                    var steps = current.steps
                    steps[i].action = action
                    if attempt(steps) {
                        progress = true
                        break
                    }
                }
                i += 1
            }
        }
        return current
    }

    /// Simpler versions of an action, simplest first.
    static func smaller(_ a: StepAction) -> [StepAction] {
        func sizes(_ n: Int) -> [Int] { n > 1 ? Array(Set([1, n / 2, n - 1])).sorted() : [] }
        switch a {
        case .scan(let n): return sizes(n).map { .scan(fullScans: $0) }
        case .write(let p, let at, let pages, let fill):
            var out = sizes(pages).map { StepAction.write(p, at: at, pages: $0, fill: fill) }
            if case .classes(let k, let ns) = fill, k > 1 {
                out.append(.write(p, at: at, pages: pages, fill: .classes(1, namespace: ns)))
            }
            return out
        case .mmap(let p, let at, let pages, let prot, let spec):
            return sizes(pages).map { .mmap(p, at: at, pages: $0, prot: prot, spec) }
        case .munmap(let p, let at, let pages): return sizes(pages).map { .munmap(p, at: at, pages: $0) }
        case .mprotect(let p, let at, let pages, let prot):
            return sizes(pages).map { .mprotect(p, at: at, pages: $0, prot: prot) }
        case .madvise(let p, let at, let pages, let advice):
            return sizes(pages).map { .madvise(p, at: at, pages: $0, advice: advice) }
        case .brk(let p, let pages): return sizes(pages).map { .brk(p, pages: $0) }
        default: return []
        }
    }

    /// The steps with those dropped that name a process not alive at that point (after a deletion),
    /// renumbered, without `expect`s.
    static func repaired(_ steps: [Step]) -> [Step] {
        var live: Set<String> = []
        var used: Set<String> = []
        var out: [Step] = []
        for var step in steps {
            switch step.action {
            case .spawn(let p):
                guard !used.contains(p) else { continue }
                used.insert(p)
                live.insert(p)
            case .fork(let p, let c):
                guard live.contains(p), !used.contains(c) else { continue }
                used.insert(c)
                live.insert(c)
            case .exit(let p):
                guard live.contains(p) else { continue }
                live.remove(p)
            default:
                if let p = step.action.process, !live.contains(p) { continue }
            }
            step.index = out.count
            step.expect = nil
            out.append(step)
        }
        return out
    }
}
