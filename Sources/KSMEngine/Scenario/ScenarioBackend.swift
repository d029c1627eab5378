/// Something a scenario runs on: the simulator, or the host kernel.
///
/// Steps arrive checked by the decoder (processes exist, ranges lie in the window). A step the
/// kernel refuses throws its ``Errno``; anything else the backend cannot do throws a
/// ``ScenarioError`` message.
public protocol ScenarioBackend: AnyObject {
    /// Performs one step, making page contents with `fills`.
    func perform(_ action: StepAction, fills: FillGenerator) throws
    /// The counters, VMAs and digests of `processes` (live, in creation order), labelled.
    func report(label: String, processes: [String]) throws -> Report
}

/// Runs scenarios step by step on a backend, honouring `expect`, and collects the reports.
public enum ScenarioRunner {
    /// Runs every step and returns the reports: one per `report` step, then one labelled "final".
    ///
    /// A step that fails without an `expect`, fails with another errno than expected, or succeeds
    /// when a failure was expected ends the run with a ``ScenarioError`` naming it.
    ///
    /// - Complexity: The sum of the steps' costs, plus one ``ScenarioBackend/report(label:processes:)``
    ///   per report.
    public static func run(
        _ scenario: Scenario, on backend: ScenarioBackend, onReport: (Report) -> Void = { _ in },
        onStep: (_ index: Int, _ count: Int) -> Void = { _, _ in }
    ) throws(ScenarioError) -> [Report] {
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
        if !scenario.knobs.isEmpty {
            do {
                try backend.perform(.ksmKnobs(scenario.knobs), fills: fills)
            } catch let errno as Errno {
                throw ScenarioError("\"ksm\": setting the knobs failed with \(errno.name)", errno: errno)
            } catch {
                throw wrap(error, nil)
            }
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
            } catch let errno as Errno {
                guard let e = step.expect else {
                    throw ScenarioError(step: step.index, op: step.op, "failed with \(errno.name)", errno: errno)
                }
                guard e == errno else {
                    throw ScenarioError(step: step.index, op: step.op, "expected \(e.name), got \(errno.name)", errno: errno)
                }
                continue
            } catch {
                throw wrap(error, step)
            }
            switch step.action {
            case .spawn(let p): live.append(p)
            case .fork(_, let c): live.append(c)
            case .exit(let p): live.removeAll { $0 == p }
            default: break
            }
        }
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
