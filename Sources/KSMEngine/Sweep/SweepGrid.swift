/// The points of a knob sweep: the cartesian product of KSM knob values and rule sets.
///
/// Points are numbered from 0 in a fixed order: rule sets outermost (in the order given), then
/// the knobs in the order given, the last varying fastest, like nested loops. A shard `k` of `n`
/// holds the points whose index is `k - 1` modulo `n`, so slices run anywhere join back into the
/// whole (``SweepResult/merge(_:)``).
///
/// ```swift
/// let grid = try SweepGrid(
///     knobs: [SweepGrid.parseSetting("pages_to_scan=100,1000"), SweepGrid.parseSetting("sleep_millisecs=10,20")],
///     rules: ["linux-6.17"])
/// grid.count        // 4
/// try grid.point(1)  // pages_to_scan 100, sleep_millisecs 20
/// ```
public struct SweepGrid: Hashable, Sendable {
    /// One knob and the values it takes.
    public struct Axis: Hashable, Sendable {
        /// The knob's sysfs name.
        public var knob: String
        /// Its values, in order.
        public var values: [KnobValue]
        /// An axis of `values` for `knob` (checked by ``SweepGrid/init(knobs:rules:)``).
        public init(knob: String, values: [KnobValue]) {
            self.knob = knob
            self.values = values
        }
    }

    /// The knobs swept, in the order given.
    public let knobs: [Axis]
    /// The rule sets' names (at least one).
    public let rules: [String]
    /// The number of points.
    public let count: Int

    /// The most points a grid may have.
    public static let maximumPoints = 1_000_000

    /// A grid of `knobs` × `rules`, checked before anything runs.
    /// - Throws: ``SweepError``: a knob the kernel does not have or a value it refuses (the
    ///   ``KnobError`` text), a knob given twice or with no value, no rule set or one named twice,
    ///   more than ``maximumPoints`` points.
    public init(knobs: [Axis], rules: [String]) throws(SweepError) {
        var n = rules.count
        guard n > 0 else { throw SweepError("a sweep needs at least one rule set") }
        guard Set(rules).count == rules.count else { throw SweepError("a rule set is named twice in --rules") }
        var seen: Set<String> = []
        for axis in knobs {
            guard seen.insert(axis.knob).inserted else { throw SweepError("knob \(axis.knob) is set twice") }
            guard !axis.values.isEmpty else { throw SweepError("knob \(axis.knob) has no value") }
            for v in axis.values {
                do { try KSMKnobs.check(axis.knob, v) } catch { throw SweepError(error.description) }
            }
            let (product, overflow) = n.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= Self.maximumPoints else {
                throw SweepError("the grid has more than \(Self.maximumPoints) points")
            }
            n = product
        }
        self.knobs = knobs
        self.rules = rules
        count = n
    }

    /// Reads one `--set` argument, `KNOB=V1,V2,...`: integers for numeric knobs, `0`/`1` or
    /// `false`/`true` for booleans, words for `advisor_mode`.
    /// - Throws: ``SweepError`` with the ``KnobError`` text for an unknown knob or a value the
    ///   knob refuses; a message for text of no such form.
    public static func parseSetting(_ text: String) throws(SweepError) -> Axis {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw SweepError("--set \(text): expected KNOB=VALUE[,VALUE...]")
        }
        let name = String(text[..<eq])
        let items = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !items.contains(where: \.isEmpty) else { throw SweepError("--set \(text): an empty value") }
        var values: [KnobValue] = []
        for item in items {
            let value: KnobValue
            if KnobNames.booleans.contains(name) {
                switch item {
                case "1", "true": value = .bool(true)
                case "0", "false": value = .bool(false)
                default: value = .word(item)  // refused by the check, with the knob's range
                }
            } else if name == "advisor_mode" {
                value = .word(item)
            } else {
                value = Int(item).map { .int($0) } ?? .word(item)
            }
            do { try KSMKnobs.check(name, value) } catch { throw SweepError(error.description) }
            values.append(value)
        }
        return Axis(knob: name, values: values)
    }

    /// Point `index` (0 ..< ``count``).
    /// - Throws: ``SweepError`` for an index outside the grid.
    public func point(_ index: Int) throws(SweepError) -> SweepPoint {
        guard index >= 0 && index < count else { throw SweepError("point \(index) is not in the grid (0...\(count - 1))") }
        var rest = index
        var settings: [KnobSetting] = []
        for axis in knobs.reversed() {
            settings.append(KnobSetting(name: axis.knob, value: axis.values[rest % axis.values.count]))
            rest /= axis.values.count
        }
        return SweepPoint(index: index, knobs: settings.reversed(), rules: rules[rest])
    }

    /// The indices of shard `k` of `n` (1 ≤ k ≤ n): those equal to `k - 1` modulo `n`.
    /// - Throws: ``SweepError`` unless 1 ≤ k ≤ n.
    public func shard(_ k: Int, of n: Int) throws(SweepError) -> [Int] {
        guard n >= 1 && k >= 1 && k <= n else { throw SweepError("--shard \(k)/\(n): K must be between 1 and N") }
        return Array(stride(from: k - 1, to: count, by: n))
    }

    /// Reads a `--shard K/N` argument.
    /// - Throws: ``SweepError`` for text of another form or K outside 1...N.
    public static func parseShard(_ text: String) throws(SweepError) -> (Int, Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            throw SweepError("--shard \(text): expected K/N with 1 <= K <= N")
        }
        return (k, n)
    }

    /// The grid as sweep output records it: `{"knobs": {"pages_to_scan": [100, 1000]}, "rules":
    /// [...], "points": N}`.
    public var json: JSON {
        .object([
            ("knobs", .object(knobs.map { ($0.knob, .array($0.values.map(\.json))) })),
            ("rules", .array(rules.map { .string($0) })),
            ("points", .int(count)),
        ])
    }

    /// Reads a grid back from ``json``.
    /// - Throws: ``SweepError`` for anything else.
    public init(json: JSON) throws(SweepError) {
        guard case .object(let k)? = json["knobs"], case .array(let r)? = json["rules"], case .int(let n)? = json["points"]
        else { throw SweepError("\"grid\" must hold \"knobs\", \"rules\" and \"points\"") }
        var axes: [Axis] = []
        for (name, values) in k {
            guard case .array(let vs) = values else { throw SweepError("grid knob \(name) must list its values") }
            axes.append(
                Axis(knob: name, values: try vs.map { (v) throws(SweepError) -> KnobValue in try KnobValue.fromSweep(v, name) }))
        }
        let rules = try r.map { (v) throws(SweepError) -> String in
            guard case .string(let s) = v else { throw SweepError("grid rules must be names") }
            return s
        }
        try self.init(knobs: axes, rules: rules)
        guard count == n else { throw SweepError("the grid says \(n) points but its knobs and rules make \(count)") }
    }
}

/// One point of a sweep: the knob values it sets and its rule set.
public struct SweepPoint: Hashable, Sendable {
    /// Its index in the grid.
    public var index: Int
    /// The knobs it sets, in the grid's order.
    public var knobs: [KnobSetting]
    /// The rule set's name.
    public var rules: String

    /// The knobs as sweep output prints them: `{"pages_to_scan": 100, ...}`.
    public var knobsJSON: JSON { .object(knobs.map { ($0.name, $0.value.json) }) }

    /// `scenario` with the point's knobs: each replaces the scenario's top-level `"ksm"` setting of
    /// the same knob where it stands (or is appended after them), so it applies before the first
    /// step; `ksm` steps of the scenario still apply when they come.
    public func applied(to scenario: Scenario) -> Scenario {
        var s = scenario
        for k in knobs {
            if let i = s.knobs.firstIndex(where: { $0.name == k.name }) {
                s.knobs = s.knobs.enumerated().compactMap { j, old in j == i ? k : (old.name == k.name ? nil : old) }
            } else {
                s.knobs.append(k)
            }
        }
        return s
    }

    /// Runs the point: `scenario` with its knobs (``applied(to:)``) under `rules` on a new
    /// ``SimulatorBackend`` whose clock runs on `costModel`, and summarises the run.
    /// - Throws: ``ScenarioError``, one line, as ``ScenarioRunner/run(_:on:onReport:onStep:)``
    ///   throws it.
    /// - Complexity: The scenario's run.
    public func run(
        _ scenario: Scenario, rules: EligibilityRules, memoryBudgetPages: Int? = nil, costModel: KSMDCostModel = .default
    ) throws(ScenarioError) -> RunSummary {
        var s = applied(to: scenario)
        s.rules = rules
        let backend = SimulatorBackend(rules: rules, memoryBudgetPages: memoryBudgetPages, costModel: costModel)
        _ = try ScenarioRunner.run(s, on: backend)
        return backend.summary
    }
}

extension KnobValue {
    static func fromSweep(_ json: JSON, _ knob: String) throws(SweepError) -> KnobValue {
        guard let v = KnobValue(json) else { throw SweepError("grid knob \(knob): a value must be a number, boolean or word") }
        return v
    }
}
