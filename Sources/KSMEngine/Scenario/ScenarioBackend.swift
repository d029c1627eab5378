/// Something a scenario runs on: the simulator, or the host kernel.
///
/// ``ScenarioRunner`` hands over steps checked as the decoder checks them (``Scenario/validate()``:
/// processes exist, ranges lie in the window). A step the kernel refuses throws its ``Errno`` (a
/// knob write, a ``KnobError`` carrying it); anything else the backend cannot do, including a step
/// that did not pass those checks when ``perform(_:fills:)`` is called directly, throws a
/// ``ScenarioError`` message.
public protocol ScenarioBackend: AnyObject {
    /// Performs one step, making page contents with `fills`.
    func perform(_ action: StepAction, fills: FillGenerator) throws
    /// The counters, VMAs and digests of `processes` (live, in creation order), labelled.
    func report(label: String, processes: [String]) throws -> Report
    /// Applies a scenario's transparent-huge-page settings before its first step; from then on
    /// reports carry the THP fields. The default refuses: the backend does not model them.
    func configureTHP(_ settings: THPSettings) throws
}

extension ScenarioBackend {
    /// Refuses: this backend does not model transparent huge pages.
    public func configureTHP(_ settings: THPSettings) throws {
        throw ScenarioError("this backend does not model transparent huge pages")
    }
}

/// Runs scenarios step by step on a backend, honouring `expect`, and collects the reports.
public enum ScenarioRunner {
    /// Runs every step and returns the reports: one per `report` step, then one labelled "final"
    /// unless the last step is a `report` (which already shows the state the run ends in).
    ///
    /// The scenario is checked first (``Scenario/validate()``), however it was made. A step that
    /// fails without an `expect`, fails with another errno than expected, or succeeds when a
    /// failure was expected ends the run with a ``ScenarioError`` naming it; a refused knob's
    /// message names the knob, its value and what it accepts (``KnobError``).
    /// - Throws: ``ScenarioError``, one line.
    /// - Complexity: The sum of the steps' costs, plus one ``ScenarioBackend/report(label:processes:)``
    ///   per report.
    public static func run(
        _ scenario: Scenario, on backend: ScenarioBackend, onReport: (Report) -> Void = { _ in },
        onStep: (_ index: Int, _ count: Int) -> Void = { _, _ in }
    ) throws(ScenarioError) -> [Report] {
        try scenario.validate()
        let fills = FillGenerator()
        var live: [String] = []
        var reports: [Report] = []
        func record(_ label: String, step: Step?) throws(ScenarioError) {
            do {
                let r = try backend.report(label: label, processes: live)
                reports.append(r)
                onReport(r)
            } catch {
                throw wrap(error, step)
            }
        }
        if let thp = scenario.thp {
            do { try backend.configureTHP(thp) } catch { throw wrap(error, nil) }
        }
        if !scenario.knobs.isEmpty {
            do {
                try backend.perform(.ksmKnobs(scenario.knobs), fills: fills)
            } catch let e as KnobError {
                throw ScenarioError("\"ksm\": \(e)", errno: e.errno)
            } catch let errno as Errno {
                throw ScenarioError("\"ksm\": setting the knobs failed with \(errno.name)", errno: errno)
            } catch {
                throw wrap(error, nil)
            }
        }
        if let config = scenario.ksmtuned {
            do { try backend.perform(.ksmtuned(config), fills: fills) } catch { throw wrap(error, nil) }
        }
        for step in scenario.steps {
            onStep(step.index, scenario.steps.count)
            if case .report(let label) = step.action {
                try record(label, step: step)
                continue
            }
            do {
                try backend.perform(step.action, fills: fills)
                if let e = step.expect {
                    throw ScenarioError(step: step.index, op: step.op, "expected \(e.name), but the step succeeded")
                }
            } catch {
                let knob = error as? KnobError
                guard let errno = knob?.errno ?? (error as? Errno) else { throw wrap(error, step) }
                let detail = knob.map { ": \($0)" } ?? ""
                guard let e = step.expect else {
                    throw ScenarioError(
                        step: step.index, op: step.op, knob.map { "\($0)" } ?? "failed with \(errno.name)", errno: errno)
                }
                guard e == errno else {
                    throw ScenarioError(
                        step: step.index, op: step.op, "expected \(e.name), got \(errno.name)\(detail)", errno: errno)
                }
                continue
            }
            switch step.action {
            case .spawn(let p): live.append(p)
            case .fork(_, let c): live.append(c)
            case .load(let p, _): live.append(p)
            case .clone(_, let into, _, _, _): live.append(contentsOf: into)
            case .exit(let p): live.removeAll { $0 == p }
            default: break
            }
        }
        if case .report? = scenario.steps.last?.action { return reports }
        try record("final", step: nil)
        return reports
    }

    static func wrap(_ error: Error, _ step: Step?) -> ScenarioError {
        if var e = error as? ScenarioError {
            if e.step == nil, let step {
                e.step = step.index
                e.op = step.op
            }
            return e
        }
        return ScenarioError(step: step?.index, op: step?.op, "\(error)")
    }
}
