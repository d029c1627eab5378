/// Decodes steps one by one, tracking process names so that every use names a live process.
///
/// It reads the fields and their JSON types; the values are checked by the code that checks a
/// scenario built in Swift (`StepValidation.swift`).
struct StepDecoder {
    var names = ProcessNames<Void>()
    /// The directory relative file paths (`load`) are resolved against; `nil`: left as written.
    var baseDirectory: String? = nil

    mutating func decode(_ json: JSON, index: Int) throws(ScenarioError) -> [Step] {
        guard case .object(let members) = json else {
            throw ScenarioError(step: index, "a step is a JSON object, not \(json.typeName)")
        }
        guard case .string(let op)? = json["op"] else { throw ScenarioError(step: index, "missing \"op\" (a string)") }
        var fields = FieldReader(members: members, index: index, op: op)
        _ = fields.take("op")
        var expect: Errno?
        if let e = fields.take("expect") {
            guard case .string(let name) = e, let errno = Errno(name: name) else {
                throw fields.error(
                    "\"expect\" must be an errno name such as \"ENOMEM\" (known: \(Errno.allCases.map(\.name).joined(separator: ", ")))"
                )
            }
            expect = errno
        }
        if op == "workload" {
            if expect != nil { throw fields.error("a workload step cannot carry \"expect\"") }
            let steps = try workload(&fields)
            try fields.finish()
            return steps.map { Step(index: index, op: op, action: $0, expect: nil) }
        }
        let action = try decodeAction(op, &fields)
        try fields.finish()
        do { try action.validate() } catch { throw fields.error(error.message) }
        return [Step(index: index, op: op, action: action, expect: expect)]
    }

    private mutating func process(_ f: inout FieldReader, _ key: String = "process") throws(ScenarioError) -> String {
        let name = try f.string(key)
        do { try names.use(name) } catch { throw f.error(error.message) }
        return name
    }

    mutating func newProcess(_ f: inout FieldReader, _ key: String) throws(ScenarioError) -> String {
        let name = try f.string(key)
        do { try names.add(name, key: key) } catch { throw f.error(error.message) }
        return name
    }

    private mutating func decodeAction(_ op: String, _ f: inout FieldReader) throws(ScenarioError) -> StepAction {
        switch op {
        case "spawn":
            return .spawn(try newProcess(&f, "process"))
        case "fork":
            let p = try process(&f)
            return .fork(p, child: try newProcess(&f, "child"))
        case "exec":
            return .exec(try process(&f))
        case "exit":
            let p = try process(&f)
            names.remove(p)
            return .exit(p)
        case "prctl":
            let p = try process(&f)
            return .prctl(p, memoryMerge: try f.bool("memory_merge"))
        case "mmap":
            let p = try process(&f)
            let at = try f.optionalInt("at")
            let pages = try f.int("pages")
            let prot = try f.prot()
            return .mmap(p, at: at, pages: pages, prot: prot, try mapSpec(&f))
        case "munmap", "mprotect", "madvise", "write":
            let p = try process(&f)
            let at = try f.int("at")
            let pages = try f.int("pages")
            switch op {
            case "munmap": return .munmap(p, at: at, pages: pages)
            case "mprotect": return .mprotect(p, at: at, pages: pages, prot: try f.prot())
            case "madvise":
                let s = try f.string("advice")
                guard let advice = Advice(rawValue: s) else {
                    throw f.error("unknown advice \"\(s)\" (mergeable, unmergeable, dontneed, hugepage, nohugepage)")
                }
                return .madvise(p, at: at, pages: pages, advice: advice)
            default:
                return .write(p, at: at, pages: pages, fill: try fill(&f))
            }
        case "brk":
            let p = try process(&f)
            return .brk(p, pages: try f.int("pages"))
        case "scan":
            return .scan(fullScans: try f.int("full_scans"))
        case "ksm_run":
            return .ksmRun(try f.int("value"))
        case "ksm":
            var knobs: [KnobSetting] = []
            for (name, value) in f.takeAll() { knobs.append(try KnobNames.setting(name, value, where: (f.index, f.op))) }
            return .ksmKnobs(knobs)
        case "report":
            return .report(try f.string("label"))
        case "run_for":
            return .runFor(seconds: try f.number("seconds"))
        case "ksmtuned":
            return .ksmtuned(try Self.ksmtunedConfig(&f))
        case "ksmtuned_stop":
            return .ksmtunedStop
        case "mutator":
            let p = try process(&f)
            let at = try f.int("at")
            let pages = try f.int("pages")
            return .mutator(p, at: at, pages: pages, rate: try f.number("rate"))
        case "load":
            return try load(&f)
        case "clone":
            return try clone(&f)
        default:
            throw f.error(
                "unknown op \"\(op)\" (known: spawn, fork, exec, exit, prctl, mmap, munmap, mprotect, madvise, brk, write, scan, ksm_run, ksm, report, run_for, mutator, ksmtuned, ksmtuned_stop, load, clone, workload)"
            )
        }
    }

    /// ksmtuned's settings: `host_memory_mib` or `host_memory_kib` (one of them), and the script's
    /// settings by their names lower-cased without `KSM_`, each optional; ranges are checked by
    /// ``KSMTuned/Config/validate()``.
    static func ksmtunedConfig(_ f: inout FieldReader) throws(ScenarioError) -> KSMTuned.Config {
        let mib = try f.optionalInt("host_memory_mib", 1...(1 << 30))
        let kib = try f.optionalInt("host_memory_kib", 1...(1 << 40))
        guard (mib == nil) != (kib == nil) else {
            throw f.error("ksmtuned needs the host's memory: \"host_memory_mib\" or \"host_memory_kib\" (one of them)")
        }
        var c = KSMTuned.Config(memTotalKiB: kib ?? (mib ?? 0) * 1024)
        let fields: [(String, WritableKeyPath<KSMTuned.Config, Int>)] = [
            ("monitor_interval", \.monitorInterval), ("npages_boost", \.npagesBoost), ("npages_decay", \.npagesDecay),
            ("npages_min", \.npagesMin), ("npages_max", \.npagesMax), ("sleep_msec", \.sleepMsec),
            ("thres_coef", \.thresCoef), ("thres_const", \.thresConst),
        ]
        for (name, path) in fields {
            if let v = try f.optionalInt(name) { c[keyPath: path] = v }
        }
        do { try c.validate() } catch { throw f.error(error.message) }
        return c
    }

    /// `{"op": "load", "process": P, "snapshot"|"core"|"trace": PATH, "pid": N, "layout": "window"|"captured"}`.
    private mutating func load(_ f: inout FieldReader) throws(ScenarioError) -> StepAction {
        let name = try newProcess(&f, "process")
        let source: LoadSpec.Source
        switch (f.has("snapshot"), f.has("core"), f.has("trace")) {
        case (true, false, false): source = .snapshot
        case (false, true, false): source = .core
        case (false, false, true): source = .trace
        default: throw f.error("a load reads one file: \"snapshot\", \"core\" or \"trace\"")
        }
        var path = try f.string(source.rawValue)
        if let base = baseDirectory, !path.isEmpty, !path.hasPrefix("/") {
            path = (base.hasSuffix("/") ? base : base + "/") + path
        }
        let pid = try f.optionalInt("pid", 1...Int(Int32.max)).map { Int32($0) }
        var layout = LoadSpec.Layout.window
        if let s = try f.optionalString("layout") {
            guard let l = LoadSpec.Layout(rawValue: s) else { throw f.error("unknown layout \"\(s)\" (window, captured)") }
            layout = l
        }
        return .load(name, LoadSpec(source, path: path, pid: pid, layout: layout))
    }

    /// `{"op": "clone", "process": P, "into": [names]}` or `"prefix": S, "count": N` (names S1...SN),
    /// with `"drift"`, `"seed"`, `"mutation_rate"`.
    private mutating func clone(_ f: inout FieldReader) throws(ScenarioError) -> StepAction {
        let source = try process(&f)
        var into: [String] = []
        if let list = f.take("into") {
            if f.has("prefix") || f.has("count") { throw f.error("a clone takes \"into\" or \"prefix\" and \"count\", not both") }
            guard case .array(let items) = list, !items.isEmpty else {
                throw f.error("\"into\" must be a non-empty array of process names")
            }
            for item in items {
                guard case .string(let name) = item else { throw f.error("\"into\" must hold strings, not \(item.typeName)") }
                into.append(name)
            }
        } else {
            let prefix = try f.string("prefix")
            let count = try f.int("count", ScenarioLimits.cloneCount)
            into = (1...count).map { "\(prefix)\($0)" }
        }
        for name in into {
            do { try names.add(name, key: "into") } catch { throw f.error(error.message) }
        }
        return .clone(
            source, into: into, drift: try f.optionalNumber("drift", ScenarioLimits.drift) ?? 0,
            seed: try f.optionalInt("seed", ScenarioLimits.seed) ?? 1,
            mutationRate: try f.optionalNumber("mutation_rate", ScenarioLimits.rate) ?? 0)
    }

    /// Reads the fields the `"map"` kind takes, for ``MapSpec/init(_:file:driver:offset:noReserve:shared:driverFlags:)``
    /// to check; a field the kind does not take is left over, an unknown field.
    private func mapSpec(_ f: inout FieldReader) throws(ScenarioError) -> MapSpec {
        let map = try f.string("map")
        let kind = map == "device" ? "device" : String(map.drop(while: { $0 != "-" }).dropFirst())
        let shared = kind == "device" ? try f.optionalBool("shared") : nil
        let noReserve = try f.optionalBool("noreserve") ?? false
        let offset = try f.optionalInt("offset") ?? 0
        let file = ["shmem", "file", "dax", "device"].contains(kind) ? try f.optionalString("file") : nil
        var driver: FileDriver?
        if kind == "file", let name = try f.optionalString("driver") {
            guard let d = FileDriver(rawValue: name) else { throw f.error("unknown driver \"\(name)\" (mmap_prepare, mmap)") }
            driver = d
        }
        var driverFlags: VMFlags?
        if kind == "device", let v = f.take("driver_flags") {
            guard case .array(let names) = v else { throw f.error("\"driver_flags\" must be an array of flag names") }
            var flags: VMFlags = []
            for n in names {
                guard case .string(let s) = n, let bit = VMFlags(name: s) else {
                    throw f.error("unknown flag \(n.serialized()) in \"driver_flags\"")
                }
                flags.insert(bit)
            }
            driverFlags = flags
        }
        do {
            return try MapSpec(
                map, file: file, driver: driver, offset: offset, noReserve: noReserve, shared: shared, driverFlags: driverFlags)
        } catch {
            throw f.error(error.message)
        }
    }

    private func fill(_ f: inout FieldReader) throws(ScenarioError) -> Fill {
        guard let v = f.take("fill") else { throw f.error("missing \"fill\"") }
        guard case .object(let members) = v else { throw f.error("\"fill\" must be an object") }
        var g = FieldReader(members: members, index: f.index, op: f.op, context: "fill")
        let result: Fill
        if g.has("byte") {
            result = .byte(UInt8(try g.int("byte", 0...255)))
        } else if g.has("classes") {
            let k = try g.int("classes")
            result = .classes(k, namespace: try g.optionalString("namespace") ?? "")
        } else if g.has("unique") {
            guard try g.bool("unique") else { throw g.error("\"unique\" must be true") }
            result = .unique
        } else {
            throw g.error("a fill is {\"byte\":B}, {\"classes\":K,\"namespace\":S} or {\"unique\":true}")
        }
        try g.finish()
        return result
    }
}

/// Reads a step's fields, each once, and reports those left over as unknown.
struct FieldReader {
    private var members: [(String, JSON)]
    let index: Int
    let op: String
    var context: String? = nil

    init(members: [(String, JSON)], index: Int, op: String, context: String? = nil) {
        self.members = members
        self.index = index
        self.op = op
        self.context = context
    }

    func error(_ message: String, errno: Errno? = nil) -> ScenarioError {
        ScenarioError(step: index, op: op, message, errno: errno)
    }

    func has(_ key: String) -> Bool { members.contains { $0.0 == key } }

    mutating func take(_ key: String) -> JSON? {
        guard let i = members.firstIndex(where: { $0.0 == key }) else { return nil }
        return members.remove(at: i).1
    }

    mutating func takeAll() -> [(String, JSON)] {
        defer { members = [] }
        return members
    }

    func finish() throws(ScenarioError) {
        if let (k, _) = members.first {
            throw error("unknown field \"\(k)\"" + (context.map { " in \"\($0)\"" } ?? ""))
        }
    }

    mutating func string(_ key: String) throws(ScenarioError) -> String {
        guard let v = take(key) else { throw error("missing \"\(key)\"") }
        guard case .string(let s) = v else { throw error("\"\(key)\" must be a string, not \(v.typeName)") }
        return s
    }

    mutating func optionalString(_ key: String) throws(ScenarioError) -> String? {
        guard has(key) else { return nil }
        let s = try string(key)
        guard !s.isEmpty else { throw error("\"\(key)\" must not be empty") }
        return s
    }

    mutating func bool(_ key: String) throws(ScenarioError) -> Bool {
        guard let v = take(key) else { throw error("missing \"\(key)\"") }
        guard case .bool(let b) = v else { throw error("\"\(key)\" must be true or false, not \(v.typeName)") }
        return b
    }

    mutating func optionalBool(_ key: String) throws(ScenarioError) -> Bool? {
        has(key) ? try bool(key) : nil
    }

    mutating func int(_ key: String, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        guard let v = take(key) else { throw error("missing \"\(key)\"") }
        guard case .int(let n) = v else { throw error("\"\(key)\" must be an integer, not \(v.serialized())") }
        do { try ScenarioLimits.check(key, n, range) } catch { throw self.error(error.message) }
        return n
    }

    mutating func optionalInt(_ key: String, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int? {
        has(key) ? try int(key, range) : nil
    }

    /// An integer of any value: the step's checks (`StepAction.validate()`) judge it.
    mutating func int(_ key: String) throws(ScenarioError) -> Int { try int(key, Int.min...Int.max) }

    mutating func optionalInt(_ key: String) throws(ScenarioError) -> Int? { has(key) ? try int(key) : nil }

    /// A number of any value: the step's checks judge it.
    mutating func number(_ key: String) throws(ScenarioError) -> Double {
        try number(key, -Double.infinity...Double.infinity)
    }

    mutating func number(_ key: String, _ range: ClosedRange<Double>) throws(ScenarioError) -> Double {
        guard let v = take(key) else { throw error("missing \"\(key)\"") }
        let d: Double
        switch v {
        case .int(let n): d = Double(n)
        case .double(let x): d = x
        default: throw error("\"\(key)\" must be a number, not \(v.serialized())")
        }
        do { try ScenarioLimits.check(key, d, range) } catch { throw self.error(error.message) }
        return d
    }

    mutating func optionalNumber(_ key: String, _ range: ClosedRange<Double>) throws(ScenarioError) -> Double? {
        has(key) ? try number(key, range) : nil
    }

    mutating func prot() throws(ScenarioError) -> Protection {
        let s = try string("prot")
        guard let p = Protection(s) else {
            throw error("bad prot \"\(s)\": use the letters r, w, x (each at most once) or \"none\"")
        }
        return p
    }

    func checkWindow(_ at: Int, _ pages: Int) throws(ScenarioError) {
        do { try ScenarioLimits.checkWindow(at, pages) } catch { throw self.error(error.message) }
    }
}
