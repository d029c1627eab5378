/// Decodes steps one by one, tracking process names so that every use names a live process.
struct StepDecoder {
    var live: Set<String> = []
    var used: Set<String> = []

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
        return [Step(index: index, op: op, action: action, expect: expect)]
    }

    private mutating func process(_ f: inout FieldReader, _ key: String = "process") throws(ScenarioError) -> String {
        let name = try f.string(key)
        guard live.contains(name) else {
            throw f.error(
                used.contains(name) ? "process \"\(name)\" has exited" : "unknown process \"\(name)\" (spawn or fork it first)")
        }
        return name
    }

    private mutating func newProcess(_ f: inout FieldReader, _ key: String) throws(ScenarioError) -> String {
        let name = try f.string(key)
        guard !name.isEmpty else { throw f.error("\"\(key)\" must be a non-empty name") }
        guard !used.contains(name) else { throw f.error("duplicate process name \"\(name)\"") }
        used.insert(name)
        live.insert(name)
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
            live.remove(p)
            return .exit(p)
        case "prctl":
            let p = try process(&f)
            return .prctl(p, memoryMerge: try f.bool("memory_merge"))
        case "mmap":
            let p = try process(&f)
            let at = try f.optionalInt("at", 0...(SimulatedKernel.windowPages - 1))
            let pages = try f.int("pages", 0...SimulatedKernel.windowPages)
            let prot = try f.prot()
            let spec = try mapSpec(&f)
            if let at {
                try f.checkWindow(at, pages)
                if at < SimulatedKernel.heapRegion.upperBound && at + pages > SimulatedKernel.heapRegion.lowerBound {
                    throw f.error(
                        "pages \(SimulatedKernel.heapRegion.lowerBound)..<\(SimulatedKernel.heapRegion.upperBound) of the window are the heap's: use brk"
                    )
                }
            }
            return .mmap(p, at: at, pages: pages, prot: prot, spec)
        case "munmap", "mprotect", "madvise", "write":
            let p = try process(&f)
            let at = try f.int("at", 0...(SimulatedKernel.windowPages - 1))
            let pages = try f.int("pages", 0...SimulatedKernel.windowPages)
            try f.checkWindow(at, pages)
            switch op {
            case "munmap": return .munmap(p, at: at, pages: pages)
            case "mprotect": return .mprotect(p, at: at, pages: pages, prot: try f.prot())
            case "madvise":
                let s = try f.string("advice")
                guard let advice = Advice(rawValue: s) else {
                    throw f.error("unknown advice \"\(s)\" (mergeable, unmergeable, dontneed)")
                }
                return .madvise(p, at: at, pages: pages, advice: advice)
            default:
                return .write(p, at: at, pages: pages, fill: try fill(&f))
            }
        case "brk":
            let p = try process(&f)
            return .brk(p, pages: try f.int("pages", 0...SimulatedKernel.heapRegion.count))
        case "scan":
            return .scan(fullScans: try f.int("full_scans", 0...1_000_000))
        case "ksm_run":
            return .ksmRun(try f.int("value", 0...Int(Int32.max)))
        case "ksm":
            var knobs: [KnobSetting] = []
            for (name, value) in f.takeAll() { knobs.append(try KnobNames.setting(name, value, where: (f.index, f.op))) }
            guard !knobs.isEmpty else { throw f.error("a ksm step sets at least one knob") }
            return .ksmKnobs(knobs)
        case "report":
            return .report(try f.string("label"))
        case "run_for":
            return .runFor(seconds: try f.number("seconds", 0...1_000_000))
        case "mutator":
            let p = try process(&f)
            let at = try f.int("at", 0...(SimulatedKernel.windowPages - 1))
            let pages = try f.int("pages", 1...SimulatedKernel.windowPages)
            try f.checkWindow(at, pages)
            return .mutator(p, at: at, pages: pages, rate: try f.number("rate", 0...1_000_000))
        default:
            throw f.error(
                "unknown op \"\(op)\" (known: spawn, fork, exec, exit, prctl, mmap, munmap, mprotect, madvise, brk, write, scan, ksm_run, ksm, report, run_for, mutator, workload)"
            )
        }
    }

    private func mapSpec(_ f: inout FieldReader) throws(ScenarioError) -> MapSpec {
        let map = try f.string("map")
        let shared: Bool
        let kind: String
        if map == "device" {
            shared = try f.optionalBool("shared") ?? true
            kind = "device"
        } else if map.hasPrefix("private-") || map.hasPrefix("shared-") {
            shared = map.hasPrefix("shared-")
            kind = String(map.drop(while: { $0 != "-" }).dropFirst())
        } else {
            throw f.error(
                "unknown map \"\(map)\" (private-anon, shared-anon, private-shmem, shared-shmem, private-file, shared-file, private-dax, shared-dax, device)"
            )
        }
        let noReserve = try f.optionalBool("noreserve") ?? false
        let offset = try f.optionalInt("offset", 0...(1 << 40)) ?? 0
        var request: MapRequest
        switch kind {
        case "anon":
            request = MapRequest(backing: .anonymous, shared: shared)
        case "shmem":
            request = MapRequest(backing: .shmem, shared: shared, file: try f.optionalString("file") ?? "shmem", offset: offset)
        case "file":
            let file = try f.optionalString("file") ?? "file"
            let driverName = try f.optionalString("driver")
            if file == "/dev/zero" {
                if driverName != nil && driverName != "mmap" { throw f.error("/dev/zero's driver is \"mmap\"") }
                // MAP_SHARED of /dev/zero is shared anonymous memory (shmem_zero_setup()).
                request = shared ? .sharedAnonymous : MapRequest(backing: .file(.mmap), shared: false, file: file, offset: offset)
            } else {
                let driver: FileDriver
                if let driverName {
                    guard let d = FileDriver(rawValue: driverName) else {
                        throw f.error("unknown driver \"\(driverName)\" (mmap_prepare, mmap)")
                    }
                    driver = d
                } else {
                    driver = .mmapPrepare
                }
                request = MapRequest(backing: .file(driver), shared: shared, file: file, offset: offset)
            }
        case "dax":
            request = MapRequest(backing: .dax, shared: shared, file: try f.optionalString("file") ?? "dax", offset: offset)
        case "device":
            var flags: VMFlags = [.io, .pfnMap, .dontExpand, .dontDump]
            if let v = f.take("driver_flags") {
                guard case .array(let names) = v else { throw f.error("\"driver_flags\" must be an array of flag names") }
                flags = []
                for n in names {
                    guard case .string(let s) = n, let bit = VMFlags(name: s) else {
                        throw f.error("unknown flag \(n.serialized()) in \"driver_flags\"")
                    }
                    flags.insert(bit)
                }
            }
            request = MapRequest(
                backing: .device(flags), shared: shared, file: try f.optionalString("file") ?? "device", offset: offset)
        default:
            throw f.error("unknown map \"\(map)\"")
        }
        request.noReserve = noReserve
        return MapSpec(map: map, request: request)
    }

    private func fill(_ f: inout FieldReader) throws(ScenarioError) -> Fill {
        guard let v = f.take("fill") else { throw f.error("missing \"fill\"") }
        guard case .object(let members) = v else { throw f.error("\"fill\" must be an object") }
        var g = FieldReader(members: members, index: f.index, op: f.op, context: "fill")
        let result: Fill
        if g.has("byte") {
            result = .byte(UInt8(try g.int("byte", 0...255)))
        } else if g.has("classes") {
            let k = try g.int("classes", 1...(1 << 40))
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
        guard range.contains(n) else { throw error("\"\(key)\" is \(n), outside \(range.lowerBound)...\(range.upperBound)") }
        return n
    }

    mutating func optionalInt(_ key: String, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int? {
        has(key) ? try int(key, range) : nil
    }

    mutating func number(_ key: String, _ range: ClosedRange<Double>) throws(ScenarioError) -> Double {
        guard let v = take(key) else { throw error("missing \"\(key)\"") }
        let d: Double
        switch v {
        case .int(let n): d = Double(n)
        case .double(let x): d = x
        default: throw error("\"\(key)\" must be a number, not \(v.serialized())")
        }
        guard range.contains(d) else { throw error("\"\(key)\" is \(d), outside \(range.lowerBound)...\(range.upperBound)") }
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
        if at + pages > SimulatedKernel.windowPages {
            throw error("pages \(at)..<\(at + pages) leave the process window of \(SimulatedKernel.windowPages) pages")
        }
    }
}
