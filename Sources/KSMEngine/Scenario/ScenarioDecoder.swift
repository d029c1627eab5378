extension Scenario {
    /// Parses and checks a scenario file's text: JSON syntax, known ops and fields, value ranges,
    /// process names (spawned before use, never reused), fills and rule sets.
    public static func parse(_ text: String) throws(ScenarioError) -> Scenario {
        try parse(text, baseDirectory: nil)
    }

    /// Parses and checks a scenario file's text as ``parse(_:)`` does, resolving the relative paths
    /// of `load` steps against `baseDirectory` (the scenario file's directory, as `ksmd-sim` does);
    /// `nil` leaves them relative to the working directory.
    public static func parse(_ text: String, baseDirectory: String?) throws(ScenarioError) -> Scenario {
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw ScenarioError("not valid JSON: \(error)") }
        return try decode(json, baseDirectory: baseDirectory)
    }

    /// Decodes a parsed scenario; see ``parse(_:)``.
    public static func decode(_ json: JSON) throws(ScenarioError) -> Scenario { try decode(json, baseDirectory: nil) }

    /// Decodes a parsed scenario, resolving `load` paths against `baseDirectory`; see
    /// ``parse(_:baseDirectory:)``.
    public static func decode(_ json: JSON, baseDirectory: String?) throws(ScenarioError) -> Scenario {
        guard case .object(let top) = json else { throw ScenarioError("a scenario is a JSON object, not \(json.typeName)") }
        for (key, _) in top where !["rules", "ksm", "ksmtuned", "thp", "steps", "description"].contains(key) {
            throw ScenarioError("unknown top-level field \"\(key)\" (known: rules, ksm, ksmtuned, thp, steps, description)")
        }
        let rules = try top.first { $0.0 == "rules" }.map { (r) throws(ScenarioError) in try decodeRules(r.1) } ?? .linux6_17
        var knobs: [KnobSetting] = []
        if let k = json["ksm"] {
            guard case .object(let members) = k else { throw ScenarioError("\"ksm\" must be an object of knobs") }
            for (name, value) in members { knobs.append(try KnobNames.setting(name, value, where: nil)) }
        }
        var ksmtuned: KSMTuned.Config?
        if let t = json["ksmtuned"] {
            guard case .object(let members) = t else { throw ScenarioError("\"ksmtuned\" must be an object of settings") }
            var f = FieldReader(members: members, index: 0, op: "ksmtuned", context: "ksmtuned")
            do {
                ksmtuned = try StepDecoder.ksmtunedConfig(&f)
                try f.finish()
            } catch {
                throw ScenarioError("\"ksmtuned\": \(error.message)")
            }
        }
        var thp: THPSettings?
        if let t = json["thp"] {
            guard case .object(let members) = t else { throw ScenarioError("\"thp\" must be an object of settings") }
            var settings = THPSettings()
            for (name, value) in members {
                switch (name, value) {
                case ("enabled", .string(let s)) where THPMode(rawValue: s) != nil:
                    settings.enabled = THPMode(rawValue: s)!
                case ("enabled", _):
                    let modes = THPMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ScenarioError("\"thp\": \"enabled\" must be one of \(modes)")
                case ("shrink_underused", .bool(let b)):
                    settings.shrinkUnderused = b
                case ("shrink_underused", .int(let i)) where i == 0 || i == 1:
                    settings.shrinkUnderused = i == 1
                case ("shrink_underused", _):
                    throw ScenarioError("\"thp\": \"shrink_underused\" must be true, false, 1 or 0")
                default:
                    throw ScenarioError("unknown \"thp\" setting \"\(name)\" (known: enabled, shrink_underused)")
                }
            }
            thp = settings
        }
        guard let stepsJSON = json["steps"] else { throw ScenarioError("missing \"steps\"") }
        guard case .array(let items) = stepsJSON else { throw ScenarioError("\"steps\" must be an array") }
        var decoder = StepDecoder()
        decoder.baseDirectory = baseDirectory
        var steps: [Step] = []
        for (i, item) in items.enumerated() { steps.append(contentsOf: try decoder.decode(item, index: i)) }
        return Scenario(rules: rules, knobs: knobs, ksmtuned: ksmtuned, thp: thp, steps: steps)
    }

    /// A rule set: a built-in name, or an object
    /// `{"name", "base", "allow": [flags], "exclude": [flags], "early", "exclude_dax"}`.
    public static func decodeRules(_ json: JSON) throws(ScenarioError) -> EligibilityRules {
        switch json {
        case .string(let name):
            guard let r = EligibilityRules.builtIn[name] else {
                throw ScenarioError(
                    "unknown rule set \"\(name)\" (built in: \(EligibilityRules.builtIn.keys.sorted().joined(separator: ", ")))")
            }
            return r
        case .object(let members):
            let known = ["name", "base", "allow", "exclude", "early", "exclude_dax"]
            for (k, _) in members where !known.contains(k) {
                throw ScenarioError("unknown rule-set field \"\(k)\" (known: \(known.joined(separator: ", ")))")
            }
            var r = EligibilityRules.linux6_17
            if let base = json["base"] { r = try decodeRules(base) }
            if let name = json["name"] {
                guard case .string(let s) = name, !s.isEmpty else {
                    throw ScenarioError("rule-set \"name\" must be a non-empty string")
                }
                r.name = s
            } else {
                r.name = "custom"
            }
            func flags(_ key: String) throws(ScenarioError) -> VMFlags {
                guard let v = json[key] else { return [] }
                guard case .array(let names) = v else {
                    throw ScenarioError("rule-set \"\(key)\" must be an array of flag names")
                }
                var f: VMFlags = []
                for n in names {
                    guard case .string(let s) = n, let bit = VMFlags(name: s) else {
                        throw ScenarioError(
                            "rule-set \"\(key)\": unknown flag \(n.serialized()) (use smaps mnemonics like \"pf\" or names like \"VM_PFNMAP\")"
                        )
                    }
                    f.insert(bit)
                }
                return f
            }
            r.excludedFlags.subtract(try flags("allow"))
            r.excludedFlags.formUnion(try flags("exclude"))
            if let d = json["exclude_dax"] {
                guard case .bool(let b) = d else { throw ScenarioError("rule-set \"exclude_dax\" must be true or false") }
                r.excludesDAX = b
            }
            if let e = json["early"] {
                switch e {
                case .string(let s):
                    guard let t = FlagTiming(rawValue: s) else {
                        throw ScenarioError(
                            "rule-set \"early\": unknown timing \"\(s)\" (never, when-safe, always, or an array of mapping classes)"
                        )
                    }
                    r.earlyClasses = t.earlyClasses
                case .array(let items):
                    var set: Set<MappingClass> = []
                    for item in items {
                        guard case .string(let s) = item, let c = MappingClass(rawValue: s) else {
                            throw ScenarioError(
                                "rule-set \"early\": unknown mapping class \(item.serialized()) (known: \(MappingClass.allCases.map(\.rawValue).joined(separator: ", ")))"
                            )
                        }
                        set.insert(c)
                    }
                    r.earlyClasses = set
                default:
                    throw ScenarioError("rule-set \"early\" must be a timing name or an array of mapping classes")
                }
            }
            return r
        default:
            throw ScenarioError("\"rules\" must be a rule-set name or object, not \(json.typeName)")
        }
    }
}

/// The KSM knobs a scenario may set, by sysfs name, with their value types.
enum KnobNames {
    /// The knobs the kernel reads as 0 or 1, which a scenario writes as booleans.
    static let booleans = KSMKnobs.names.filter { KSMKnobs.ranges[$0] == 0...1 }
    static let integers = KSMKnobs.names.filter { !booleans.contains($0) && $0 != "advisor_mode" }

    static func setting(_ name: String, _ value: JSON, where step: (Int, String)?) throws(ScenarioError) -> KnobSetting {
        let v = KnobValue(value)
        do throws(ScenarioError) {
            try check(name, v)
            guard let v else { throw ScenarioError("knob \(name) has a value of no knob's type") }
            return KnobSetting(name: name, value: v)
        } catch {
            throw ScenarioError(step: step?.0, op: step?.1, error.message)
        }
    }

    /// The knob exists and `value` (`nil`: a JSON value of no knob's type) has its type.
    static func check(_ name: String, _ value: KnobValue?) throws(ScenarioError) {
        if integers.contains(name) {
            guard case .int(let n)? = value, n >= 0 else { throw ScenarioError("knob \(name) must be a non-negative integer") }
        } else if booleans.contains(name) {
            switch value {
            case .bool?: break
            case .int(let n)? where n == 0 || n == 1: break
            default: throw ScenarioError("knob \(name) must be true or false")
            }
        } else if name == "advisor_mode" {
            guard case .word(let s)? = value, KSMKnobs.advisorModes.contains(s) else {
                throw ScenarioError("knob advisor_mode must be \"none\" or \"scan-time\"")
            }
        } else {
            throw ScenarioError("unknown KSM knob \"\(name)\" (known: \(KSMKnobs.names.sorted().joined(separator: ", ")))")
        }
    }
}
