extension Scenario {
    /// The scenario as a scenario file: `Scenario.parse(s.json.serialized())` gives it back.
    public var json: JSON {
        var top: [(String, JSON)] = []
        if rules == .linux6_17 || rules == .linux6_4 {
            top.append(("rules", .string(rules.name)))
        } else {
            top.append(("rules", rules.json))
        }
        if !knobs.isEmpty { top.append(("ksm", .object(knobs.map { ($0.name, $0.value.json) }))) }
        if let ksmtuned { top.append(("ksmtuned", .object(ksmtuned.json))) }
        if let thp {
            var m: [(String, JSON)] = [("enabled", .string(thp.enabled.rawValue))]
            if let s = thp.shrinkUnderused { m.append(("shrink_underused", .bool(s))) }
            top.append(("thp", .object(m)))
        }
        top.append(("steps", .array(steps.map(\.json))))
        return .object(top)
    }
}

extension EligibilityRules {
    /// A custom rule-set object that decodes to exactly these rules.
    var json: JSON {
        let base = EligibilityRules.kernelExclusions
        func names(_ f: VMFlags) -> JSON {
            .array(VMFlags.kernelNames.filter { f.contains($0.0) }.map { .string($0.1) })
        }
        return .object([
            ("name", .string(name)), ("base", .string("linux-6.17")),
            ("allow", names(base.subtracting(excludedFlags))), ("exclude", names(excludedFlags.subtracting(base))),
            ("early", .array(MappingClass.allCases.filter { earlyClasses.contains($0) }.map { .string($0.rawValue) })),
            ("exclude_dax", .bool(excludesDAX)),
        ])
    }
}

extension KnobValue {
    var json: JSON {
        switch self {
        case .int(let n): .int(n)
        case .bool(let b): .bool(b)
        case .word(let w): .string(w)
        }
    }
}

extension Step {
    /// The step as a scenario file spells it.
    public var json: JSON {
        var m: [(String, JSON)] = [("op", .string(op))]
        func add(_ k: String, _ v: JSON) { m.append((k, v)) }
        switch action {
        case .spawn(let p): add("process", .string(p))
        case .fork(let p, let c):
            add("process", .string(p))
            add("child", .string(c))
        case .exec(let p), .exit(let p): add("process", .string(p))
        case .prctl(let p, let on):
            add("process", .string(p))
            add("memory_merge", .bool(on))
        case .mmap(let p, let at, let pages, let prot, let spec):
            add("process", .string(p))
            if let at { add("at", .int(at)) }
            add("pages", .int(pages))
            add("prot", .string(prot.description))
            add("map", .string(spec.map))
            let r = spec.request
            switch r.backing {
            case .anonymous: break
            case .file(let d):
                add("file", .string(r.file ?? "file"))
                if r.file != "/dev/zero" { add("driver", .string(d.rawValue)) }
            case .device(let flags):
                add("file", .string(r.file ?? "device"))
                add("shared", .bool(r.shared))
                add("driver_flags", .array(flags.mnemonics.map { .string($0) }))
            case .shmem, .dax:
                add("file", .string(r.file ?? "file"))
            }
            if r.offset != 0 { add("offset", .int(r.offset)) }
            if r.noReserve { add("noreserve", .bool(true)) }
        case .munmap(let p, let at, let pages):
            add("process", .string(p))
            add("at", .int(at))
            add("pages", .int(pages))
        case .mprotect(let p, let at, let pages, let prot):
            add("process", .string(p))
            add("at", .int(at))
            add("pages", .int(pages))
            add("prot", .string(prot.description))
        case .madvise(let p, let at, let pages, let advice):
            add("process", .string(p))
            add("at", .int(at))
            add("pages", .int(pages))
            add("advice", .string(advice.rawValue))
        case .brk(let p, let pages):
            add("process", .string(p))
            add("pages", .int(pages))
        case .write(let p, let at, let pages, let fill):
            add("process", .string(p))
            add("at", .int(at))
            add("pages", .int(pages))
            switch fill {
            case .byte(let b): add("fill", .object([("byte", .int(Int(b)))]))
            case .classes(let k, let ns): add("fill", .object([("classes", .int(k)), ("namespace", .string(ns))]))
            case .unique: add("fill", .object([("unique", .bool(true))]))
            }
        case .scan(let n): add("full_scans", .int(n))
        case .ksmRun(let v): add("value", .int(v))
        case .ksmKnobs(let knobs): for k in knobs { add(k.name, k.value.json) }
        case .report(let label): add("label", .string(label))
        case .runFor(let seconds): add("seconds", .double(seconds))
        case .mutator(let p, let at, let pages, let rate):
            add("process", .string(p))
            add("at", .int(at))
            add("pages", .int(pages))
            add("rate", .double(rate))
        case .ksmtuned(let config): m.append(contentsOf: config.json)
        case .ksmtunedStop: break
        case .load(let p, let spec):
            add("process", .string(p))
            add(spec.source.rawValue, .string(spec.path))
            if let pid = spec.pid { add("pid", .int(Int(pid))) }
            if spec.layout != .window { add("layout", .string(spec.layout.rawValue)) }
        case .clone(let p, let into, let drift, let seed, let rate):
            add("process", .string(p))
            add("into", .array(into.map { .string($0) }))
            add("drift", .double(drift))
            add("seed", .int(seed))
            if rate > 0 { add("mutation_rate", .double(rate)) }
        }
        if let expect { add("expect", .string(expect.name)) }
        return .object(m)
    }
}

extension KSMTuned.Config {
    /// The settings as a scenario spells them: `host_memory_mib` (or `host_memory_kib` when
    /// `MemTotal` is not whole MiB), then the script's settings that differ from its defaults.
    var json: [(String, JSON)] {
        var m: [(String, JSON)] =
            memTotalKiB % 1024 == 0
            ? [("host_memory_mib", .int(memTotalKiB / 1024))] : [("host_memory_kib", .int(memTotalKiB))]
        let defaults = KSMTuned.Config(memTotalKiB: memTotalKiB).values
        for ((name, v), (_, d)) in zip(values, defaults) where name != "mem_total_kib" && v != d {
            m.append((name, .int(v)))
        }
        return m
    }
}
