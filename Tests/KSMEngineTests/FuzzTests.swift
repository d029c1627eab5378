import Testing

@testable import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Malformed scenario input: every input either parses or fails with a one-line ``ScenarioError``,
/// and every parsed one runs to its end or fails with one. A trap crashes the test process (the
/// failure signal; ``CrashNote`` prints the input first), a hang trips the watchdog.
@Suite struct FuzzTests {
    static let chunks = 16
    static let inputsPerChunk = 400

    @Test("6,400 malformed inputs parse or fail with one line, and run or fail with one line", arguments: 0..<chunks)
    func malformedInputs(chunk: Int) {
        var fuzzer = Self.fuzzer(chunk: chunk)
        let slot = CrashNote.fuzzSlots.lowerBound + chunk
        defer { CrashNote.clear(slot) }
        var parsed = 0
        var ran = 0
        var bad: [String] = []
        for k in 0..<Self.inputsPerChunk {
            let text = fuzzer.next()
            CrashNote.set(
                slot, "fuzz chunk \(chunk), input \(k) (FuzzTests.input(chunk: \(chunk), index: \(k))): \(Self.short(text))")
            let scenario: Scenario
            do {
                scenario = try Scenario.parse(text)
            } catch {
                if let problem = Self.problem(error) { bad.append("parsing \(Self.short(text)): \(problem)") }
                continue
            }
            parsed += 1
            guard let bounded = Self.bounded(scenario) else { continue }
            ran += 1
            do {
                _ = try ScenarioRunner.run(bounded, on: SimulatorBackend(rules: bounded.rules, memoryBudgetPages: 4096))
            } catch {
                if let problem = Self.problem(error) { bad.append("running \(Self.short(text)): \(problem)") }
            }
        }
        if let first = bad.first {
            Issue.record("\(bad.count) of \(Self.inputsPerChunk) inputs gave a bad error message; the first: \(first)")
        }
        // The mutations keep a fair share of inputs valid enough to parse and run.
        #expect(parsed >= Self.inputsPerChunk / 20)
        #expect(ran >= Self.inputsPerChunk / 40)
    }

    /// The generator of a chunk's inputs.
    static func fuzzer(chunk: Int) -> ScenarioFuzzer {
        var seeder = RandomScenario.Generator(seed: 0xF022 ^ UInt64(chunk))
        return ScenarioFuzzer(seed: seeder.next(), bases: bases)
    }

    /// Input `index` of chunk `chunk`, to rerun one that failed or crashed.
    static func input(chunk: Int, index: Int) -> String {
        var f = fuzzer(chunk: chunk)
        for _ in 0..<index { _ = f.next() }
        return f.next()
    }

    /// The input as a Swift literal, cut to 300 characters.
    static func short(_ text: String) -> String {
        let r = String(reflecting: text)
        return r.count > 300 ? r.prefix(300) + "...\"" : r
    }

    /// What is wrong with an error message, or `nil` for a good one: non-empty, one line.
    static func problem(_ error: ScenarioError) -> String? {
        if error.message.isEmpty { return "empty message" }
        let d = error.description
        if d.contains("\n") || d.contains("\r") { return "message of several lines: \(String(reflecting: d))" }
        return nil
    }

    /// Valid scenario texts to mutate: random scenarios with their expectations, compact and pretty.
    static let bases: [String] = (0..<24 as Range<UInt64>).map { seed in
        var o = RandomScenario.Options()
        o.steps = 12 + Int(seed % 20)
        o.simulatorOnlyKinds = seed & 1 == 1
        let s = RandomScenario.make(seed: 0xBA5E + seed, options: o)
        let valid = (try? RandomScenario.withExpectations(s)) ?? s
        return valid.json.serialized(pretty: seed % 3 == 0)
    }

    /// The scenario cut to what runs in well under a second: at most 48 steps, at most 3 full scans
    /// per scan step, 0.2 simulated seconds per run_for, 1000 mutator writes a second; `nil` when
    /// it maps more than 2^16 pages of objects (whose digests cost a hash per page) or 2^22 in all.
    static func bounded(_ scenario: Scenario) -> Scenario? {
        var s = scenario
        s.steps = Array(s.steps.prefix(48))
        var mapped = 0
        var objectPages = 0
        for i in s.steps.indices {
            switch s.steps[i].action {
            case .scan(let n) where n > 3: s.steps[i].action = .scan(fullScans: 3)
            case .runFor(let t) where t > 0.2: s.steps[i].action = .runFor(seconds: 0.2)
            case .mutator(let p, let at, let pages, let rate) where rate > 1000:
                s.steps[i].action = .mutator(p, at: at, pages: pages, rate: 1000)
            case .mmap(_, _, let pages, _, let spec):
                mapped += pages
                if spec.request.backing != .anonymous || spec.request.shared { objectPages += pages }
            case .fork:
                mapped *= 2
                objectPages *= 2
            default: break
            }
        }
        return mapped > 1 << 22 || objectPages > 1 << 16 ? nil : s
    }

    // MARK: Specific messages

    static func runError(_ text: String, budget: Int = 4096) -> ScenarioError? {
        do {
            let s = try Scenario.parse(text)
            _ = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules, memoryBudgetPages: budget))
            return nil
        } catch {
            return error
        }
    }

    static func parseError(_ text: String) -> ScenarioError? {
        do {
            _ = try Scenario.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func mmapOverATakenRangeNamesTheStepAndEEXIST() throws {
        let e = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "mmap", "process": "p", "at": 0, "pages": 8, "prot": "rw", "map": "private-anon"},
                  {"op": "mmap", "process": "p", "at": 4, "pages": 8, "prot": "rw", "map": "private-anon"}
                ]}
                """))
        #expect(e.description.contains("step 2 (mmap)"))
        #expect(e.description.contains("EEXIST"))
        #expect(e.errno == .EEXIST)
        #expect(Self.problem(e) == nil)
    }

    @Test func writeToAnUnmappedPageNamesEIO() throws {
        let e = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "mmap", "process": "p", "at": 0, "pages": 2, "prot": "rw", "map": "private-anon"},
                  {"op": "write", "process": "p", "at": 0, "pages": 3, "fill": {"byte": 1}}
                ]}
                """))
        #expect(e.description.contains("step 2 (write)") && e.description.contains("EIO"))
    }

    @Test func anExpectedErrnoThatDoesNotComeIsNamed() throws {
        let wrong = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "mmap", "process": "p", "at": 0, "pages": 2, "prot": "rw", "map": "private-anon"},
                  {"op": "mmap", "process": "p", "at": 1, "pages": 2, "prot": "rw", "map": "private-anon", "expect": "ENOMEM"}
                ]}
                """))
        #expect(wrong.description.contains("step 2 (mmap)") && wrong.description.contains("expected ENOMEM, got EEXIST"))
        let none = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "munmap", "process": "p", "at": 0, "pages": 2, "expect": "EINVAL"}
                ]}
                """))
        #expect(
            none.description.contains("step 1 (munmap)") && none.description.contains("expected EINVAL, but the step succeeded"))
    }

    @Test func kernelRefusalsNameTheirErrno() throws {
        let run3 = try #require(Self.runError(#"{"steps": [{"op": "ksm_run", "value": 3}]}"#))
        #expect(run3.description.contains("step 0 (ksm_run)") && run3.description.contains("EINVAL"))
        let knobs = try #require(Self.runError(#"{"ksm": {"pages_to_scan": 5000000000}, "steps": []}"#))
        #expect(knobs.description.contains("\"ksm\"") && knobs.description.contains("EINVAL"))
        let brk = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "mmap", "process": "p", "at": 2097152, "pages": 1, "prot": "rw", "map": "private-anon"},
                  {"op": "brk", "process": "p", "pages": 1048576}
                ]}
                """))
        #expect(brk.description.contains("step 2 (brk)") && brk.description.contains("ENOMEM"))
    }

    @Test func theMemoryBudgetIsOneLine() throws {
        let e = try #require(
            Self.runError(
                """
                {"steps": [
                  {"op": "spawn", "process": "p"},
                  {"op": "mmap", "process": "p", "at": 0, "pages": 8192, "prot": "rw", "map": "private-anon"},
                  {"op": "write", "process": "p", "at": 0, "pages": 8192, "fill": {"unique": true}}
                ]}
                """))
        #expect(e.description.contains("step 2 (write)") && e.description.contains("memory budget"))
        #expect(Self.problem(e) == nil)
    }

    @Test func malformedFilesNameTheProblem() throws {
        let cases: [(String, [String])] = [
            (#"{"steps": [{"op": "mmapp", "process": "p"}]}"#, ["step 0", "unknown op \"mmapp\""]),
            (#"{"steps": [{"op": "spawn", "process": "p", "colour": 1}]}"#, ["step 0 (spawn)", "unknown field \"colour\""]),
            (
                #"{"steps": [{"op": "spawn", "process": "p"}, {"op": "spawn", "process": "p"}]}"#,
                ["step 1 (spawn)", "duplicate process name"]
            ),
            (#"{"steps": [{"op": "exec", "process": "q"}]}"#, ["step 0 (exec)", "unknown process \"q\""]),
            (
                #"{"steps": [{"op": "spawn", "process": "p"}, {"op": "mmap", "process": "p", "at": 0, "pages": 1, "prot": "rwz", "map": "private-anon"}]}"#,
                ["step 1 (mmap)", "bad prot"]
            ),
            (
                #"{"steps": [{"op": "spawn", "process": "p"}, {"op": "write", "process": "p", "at": 0, "pages": 1, "fill": {"classes": 0}}]}"#,
                ["step 1 (write)"]
            ),
            (#"{"steps": [{"op": "scan", "full_scans": -1}]}"#, ["step 0 (scan)", "full_scans"]),
            (#"{"steps": [{"op": "scan", "full_scans": "2"}]}"#, ["step 0 (scan)", "full_scans"]),
            (#"{"steps": [{"op": "spawn", "process": "p", "expect": "EWHAT"}]}"#, ["step 0 (spawn)", "expect"]),
            (#"{"steps": [], "stepz": []}"#, ["unknown top-level field \"stepz\""]),
            (#"{"steps": [}"#, ["not valid JSON", "line 1"]),
            (String(repeating: "[", count: 5000), ["not valid JSON", "nested too deeply"]),
            (#"{"steps": [{"op": "spawn", "process": "\uD800"}]}"#, ["not valid JSON", "surrogate"]),
            (#"{"steps": [{"op": "spawn", "process": "\x41"}]}"#, ["not valid JSON", "escape"]),
            (#"{"steps": [{"op": "spawn", "process": "p", "process": "q"}]}"#, ["duplicate key"]),
        ]
        for (text, fragments) in cases {
            let e = try #require(Self.parseError(text), "\(text) should not parse")
            for f in fragments { #expect(e.description.contains(f), "\(e.description) should mention \(f)") }
            #expect(Self.problem(e) == nil, "\(text)")
        }
    }

    // MARK: Inputs that trapped or hung

    /// Valid inputs that once trapped or hung the simulator. Run by `ksmd-sim run` in a child
    /// process, so that a trap or a hang fails this test alone instead of the whole test process.
    static let trapsAndHangs: [(String, String)] = [
        (
            "scan-time advisor with huge knobs (overflow in advisorStopScan)",
            """
            {"ksm": {"advisor_min_pages_to_scan": 4294967295, "advisor_max_cpu": 4294967295, "advisor_mode": "scan-time"}, "steps": [
              {"op": "spawn", "process": "p"},
              {"op": "mmap", "process": "p", "at": 0, "pages": 4, "prot": "rw", "map": "private-anon"},
              {"op": "madvise", "process": "p", "at": 0, "pages": 4, "advice": "mergeable"},
              {"op": "write", "process": "p", "at": 0, "pages": 4, "fill": {"unique": true}},
              {"op": "scan", "full_scans": 3}
            ]}
            """
        ),
        (
            "mutator with a tiny rate (Int(1e9 / rate) overflows)",
            """
            {"steps": [
              {"op": "spawn", "process": "p"},
              {"op": "mmap", "process": "p", "at": 0, "pages": 4, "prot": "rw", "map": "private-anon"},
              {"op": "mutator", "process": "p", "at": 0, "pages": 4, "rate": 1e-10}
            ]}
            """
        ),
        (
            "huge sleep_millisecs (the simulated clock overflows)",
            """
            {"ksm": {"sleep_millisecs": 4294967295, "pages_to_scan": 1, "smart_scan": false}, "steps": [
              {"op": "spawn", "process": "p"},
              {"op": "mmap", "process": "p", "at": 0, "pages": 1200, "prot": "rw", "map": "private-anon"},
              {"op": "madvise", "process": "p", "at": 0, "pages": 1200, "advice": "mergeable"},
              {"op": "write", "process": "p", "at": 0, "pages": 1200, "fill": {"unique": true}},
              {"op": "scan", "full_scans": 2}
            ]}
            """
        ),
        (
            "run_for with sleep_millisecs 0 and nothing to scan (simulated time stands still)",
            """
            {"ksm": {"sleep_millisecs": 0}, "steps": [
              {"op": "spawn", "process": "p"},
              {"op": "prctl", "process": "p", "memory_merge": true},
              {"op": "mmap", "process": "p", "at": 0, "pages": 4, "prot": "rw", "map": "private-anon"},
              {"op": "ksm_run", "value": 1},
              {"op": "run_for", "seconds": 0.1}
            ]}
            """
        ),
        ("a valid scenario (control)", #"{"steps": [{"op": "spawn", "process": "p"}, {"op": "scan", "full_scans": 2}]}"#),
        ("a malformed scenario (control)", #"{"steps": [{"op": "spawn"}]}"#),
    ]

    /// `ksmd-sim`, built next to this test bundle.
    static let ksmdSim: String? = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return nil }
        let path = String(exe[..<slash]) + "/ksmd-sim"
        return access(path, X_OK) == 0 ? path : nil
    }()

    @Test(
        "inputs that trapped or hung: ksmd-sim run exits 0 or 65 within 10 s",
        .enabled(if: ksmdSim != nil, "needs ksmd-sim next to the test bundle (swift build --build-tests)"),
        arguments: trapsAndHangs.indices)
    func trapOrHang(_ i: Int) throws {
        let (name, text) = Self.trapsAndHangs[i]
        let status = try Self.runKsmdSim(text, timeoutSeconds: 10)
        #expect(status == .exited(0) || status == .exited(65), "\(name): \(status)")
    }

    enum ChildStatus: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        var description: String {
            switch self {
            case .exited(let c): "exited with status \(c)"
            case .signalled(let s): "killed by signal \(s) (a trap)"
            case .timedOut: "still running after the timeout (a hang)"
            }
        }
    }

    /// Runs `ksmd-sim run --memory-budget-mib 16 FILE` on `text`, output discarded.
    static func runKsmdSim(_ text: String, timeoutSeconds: Int) throws -> ChildStatus {
        var template = Array("/tmp/ksm-fuzz-XXXXXX.json".utf8CString)
        let fd = mkstemps(&template, 5)
        try #require(fd >= 0)
        let path = String(cString: template)
        defer { unlink(path) }
        var t = text
        _ = t.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let args = [ksmdSim!, "run", "--memory-budget-mib", "16", path]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, ksmdSim!, &actions, nil, &argv, environ)
        try #require(rc == 0)
        var status: Int32 = 0
        for _ in 0..<(timeoutSeconds * 20) {
            if waitpid(pid, &status, WNOHANG) == pid {
                if status & 0x7F == 0 { return .exited((status >> 8) & 0xFF) }
                return .signalled(status & 0x7F)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return .timedOut
    }

    @Test func namesWithLineBreaksStillGiveOneLineMessages() throws {
        let cases = [
            #"{"steps": [{"op": "mm\nap"}]}"#,
            #"{"steps": [{"op": "spawn", "process": "p", "x\ny": 1}]}"#,
            #"{"steps": [{"op": "exec", "process": "a\nb"}]}"#,
            #"{"st\neps": []}"#,
            #"{"steps": [{"op": "spawn", "process": "a", "a\nb": 1, "a\nb": 2}]}"#,
            #"{"rules": "linux\n6.17", "steps": []}"#,
        ]
        for text in cases {
            let e = try #require(Self.parseError(text))
            #expect(Self.problem(e) == nil, "\(text) gives \(String(reflecting: e.description))")
        }
    }
}

/// A seeded generator of malformed scenario text: random bytes, truncations and byte flips of
/// valid scenarios, and structural mutations of their JSON (fields deleted, duplicated, renamed;
/// types swapped; huge and negative numbers; unknown ops; odd prot strings and fills; reused
/// process names; deep nesting; invalid escapes).
struct ScenarioFuzzer {
    var g: RandomScenario.Generator
    let bases: [String]
    /// Whether mutations should mostly keep the input valid (to reach the runner).
    var sane = false

    init(seed: UInt64, bases: [String]) {
        g = RandomScenario.Generator(seed: seed)
        self.bases = bases
    }

    mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &g) }
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
    mutating func pick<T>(_ a: [T]) -> T { a[int(0..<a.count)] }

    mutating func next() -> String {
        switch int(0..<100) {
        case 0..<5: return randomBytes(alphabet: nil)
        case 5..<10: return randomBytes(alphabet: Array(#"{}[]":,-.0123456789eEtrufalsn \"\u"#.utf8))
        case 10..<17: return truncated(pick(bases))
        case 17..<24: return flipped(pick(bases))
        case 24..<28: return deeplyNested()
        case 28..<34: return escapes(pick(bases))
        case 34..<60:
            // Mostly valid: new steps, knobs and rules that may well parse, to reach the runner.
            guard var json = try? JSON.parse(pick(bases)) else { return pick(bases) }
            sane = true
            defer { sane = false }
            for _ in 0..<int(1..<5) { json = mutate(json, kind: pick([10, 10, 10, 10, 12, 4])) }
            return json.serialized(pretty: chance(20))
        default:
            guard var json = try? JSON.parse(pick(bases)) else { return pick(bases) }
            for _ in 0..<int(1..<4) { json = mutate(json, kind: int(0..<13)) }
            return json.serialized(pretty: chance(20))
        }
    }

    // MARK: Text-level

    mutating func randomBytes(alphabet: [UInt8]?) -> String {
        let n = int(0..<300)
        var bytes: [UInt8] = []
        for _ in 0..<n { bytes.append(alphabet.map { pick($0) } ?? UInt8(truncatingIfNeeded: g.next())) }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func truncated(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes.prefix(int(0..<max(1, bytes.count))), as: UTF8.self)
    }

    mutating func flipped(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return text }
        for _ in 0..<int(1..<9) {
            let i = int(0..<bytes.count)
            if chance(50) { bytes[i] ^= UInt8(1) << UInt8(int(0..<8)) } else { bytes[i] = pick(Array(#"{}[]",:0-9e"#.utf8)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func deeplyNested() -> String {
        let depth = pick([150, 199, 200, 201, 250, 1000, 100_000])
        let open = pick(["[", "{\"a\":", "{\"steps\":"])
        let close = open == "[" ? "]" : "}"
        let inner = pick(["1", "[]", "{}", "\"x\""])
        if chance(50) { return String(repeating: open, count: depth) }
        return #"{"steps": [{"op": "spawn", "process": "p"}], "description": "#
            + String(repeating: open, count: depth) + inner + String(repeating: close, count: depth) + "}"
    }

    /// Invalid (and odd but valid) escapes and raw bytes inserted right after a quote.
    mutating func escapes(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }
        guard !quotes.isEmpty else { return text }
        for _ in 0..<int(1..<4) {
            let at = pick(quotes) + 1
            let insert: [UInt8] = pick([
                Array(#"\uD800"#.utf8), Array(#"\uDC00"#.utf8), Array(#"\uD83D\uDE00"#.utf8), Array(#"\u12"#.utf8),
                Array(#"\uZZZZ"#.utf8), Array(#"\x41"#.utf8), Array(#"\u0000"#.utf8), Array(#"\n"#.utf8), [0xFF], [0xC0, 0x80],
                [0xED, 0xA0, 0x80], [0x0A], [0x09], Array(#"\"#.utf8), Array(#"\ud800\u0041"#.utf8),
            ])
            bytes.insert(contentsOf: insert, at: min(at, bytes.count))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Structural

    static let keys = [
        "op", "process", "child", "at", "pages", "prot", "map", "file", "offset", "driver", "driver_flags", "shared",
        "noreserve", "advice", "fill", "full_scans", "value", "label", "memory_merge", "expect", "seconds", "rate",
        "steps", "ksm", "rules", "description", "classes", "namespace", "byte", "unique", "kind", "count",
    ]
    static let odd = ["", " ", "x\ny", "p\r", "\u{0}", "ü", "😀", "op ", "OP", "pages\t", "\u{2028}"]
    static let ops = [
        "spawn", "fork", "exec", "exit", "prctl", "mmap", "munmap", "mprotect", "madvise", "brk", "write", "scan",
        "ksm_run", "ksm", "report", "run_for", "mutator", "workload", "mmapp", "MMAP", "", "sp\nawn", "fork ",
    ]
    static let numbers: [JSON] = [
        .int(-1), .int(-4096), .int(Int.min), .int(Int.max), .int(Int(Int32.max)), .int(Int(UInt32.max)), .int(1 << 32),
        .int(1 << 53), .int(1 << 28), .int((1 << 28) - 1), .int(1 << 20), .int((1 << 21) - 1), .int(0), .int(1),
        .int(2), .int(3), .int(255), .int(256), .double(0.5), .double(-0.0), .double(1e308), .double(-1e308), .double(1e-300),
    ]
    static let prots = ["rwz", "rr", "", "RW", "none ", "wx", "xrw", "rwxr", "n", "None", "r w", "w", "x", "none"]
    static let fills: [JSON] = [
        .object([("classes", .int(0))]), .object([("classes", .int(-1))]), .object([("classes", .int(Int.max))]),
        .object([("byte", .int(256))]), .object([("byte", .int(-1))]), .object([("unique", .bool(false))]),
        .object([("byte", .int(0)), ("unique", .bool(true))]), .object([]),
        .object([("classes", .int(2)), ("namespace", .int(1))]),
        .object([("classes", .int(3)), ("namespace", .string(""))]), .string("zero"), .int(0),
    ]

    /// Preorder indices of the nodes `where` holds for.
    func indices(_ j: JSON, where predicate: (JSON) -> Bool) -> [Int] {
        var out: [Int] = []
        var counter = 0
        func walk(_ j: JSON) {
            if predicate(j) { out.append(counter) }
            counter += 1
            switch j {
            case .array(let a): for v in a { walk(v) }
            case .object(let m): for (_, v) in m { walk(v) }
            default: break
            }
        }
        walk(j)
        return out
    }

    /// `j` with the node at preorder index `target` replaced by `f(node)`.
    func replacing(_ j: JSON, at target: Int, _ f: (JSON) -> JSON) -> JSON {
        var counter = 0
        func walk(_ j: JSON) -> JSON {
            let me = counter
            counter += 1
            if me == target {
                // Count the subtree so later indices stay right; it is not visited further.
                counter += indices(j, where: { _ in true }).count - 1
                return f(j)
            }
            switch j {
            case .array(let a): return .array(a.map(walk))
            case .object(let m): return .object(m.map { ($0.0, walk($0.1)) })
            default: return j
            }
        }
        return walk(j)
    }

    mutating func randomValue(depth: Int = 0) -> JSON {
        switch int(0..<8) {
        case 0: return .null
        case 1: return .bool(chance(50))
        case 2, 3: return pick(Self.numbers)
        case 4: return .string(pick(Self.odd + Self.ops + Self.prots))
        case 5: return depth > 2 ? .array([]) : .array((0..<int(0..<3)).map { _ in randomValue(depth: depth + 1) })
        case 6:
            return depth > 2
                ? .object([]) : .object((0..<int(0..<3)).map { _ in (pick(Self.keys), randomValue(depth: depth + 1)) })
        default: return .int(int(-2..<100))
        }
    }

    /// A value of another JSON type than `v`.
    mutating func swapped(_ v: JSON) -> JSON {
        switch v {
        case .string(let s): return pick([.int(s.count), .array([.string(s)]), .object([("s", .string(s))]), .bool(true), .null])
        case .int(let n): return pick([.string("\(n)"), .array([.int(n)]), .object([]), .double(Double(n) + 0.5), .bool(n != 0)])
        case .double(let d): return pick([.string("\(d)"), .int(Int(d.isFinite ? min(max(d, -1e18), 1e18) : 0))])
        case .bool(let b): return pick([.int(b ? 1 : 0), .string(b ? "true" : "false"), .null])
        case .array(let a):
            return pick([.object(a.enumerated().map { ("\($0.offset)", $0.element) }), a.first ?? .null, .string("[]")])
        case .object(let m): return pick([.array(m.map(\.1)), m.first?.1 ?? .null, .string("{}")])
        case .null: return pick([.int(0), .string(""), .object([])])
        }
    }

    mutating func mutate(_ json: JSON, kind: Int) -> JSON {
        let objects = indices(json, where: { if case .object(let m) = $0 { return !m.isEmpty } else { return false } })
        let all = indices(json, where: { _ in true })
        let steps = indices(json, where: { $0["op"] != nil })
        switch kind {
        case 0:  // delete a field
            guard let t = objects.isEmpty ? nil : pick(objects) else { return json }
            let drop = int(0..<64)
            return replacing(json, at: t) {
                if case .object(let m) = $0 {
                    var m = m
                    m.remove(at: drop % m.count)
                    return .object(m)
                }
                return $0
            }
        case 1:  // duplicate a field
            guard let t = objects.isEmpty ? nil : pick(objects) else { return json }
            let i = int(0..<64)
            return replacing(json, at: t) {
                if case .object(let m) = $0 { return .object(m + [m[i % m.count]]) }
                return $0
            }
        case 2:  // rename a field
            guard let t = objects.isEmpty ? nil : pick(objects) else { return json }
            let i = int(0..<64)
            let name = chance(50) ? pick(Self.keys) : pick(Self.odd)
            return replacing(json, at: t) {
                if case .object(let m) = $0 {
                    var m = m
                    m[i % m.count].0 = name
                    return .object(m)
                }
                return $0
            }
        case 3:  // swap a value's type
            let t = pick(all)
            var me = self
            let out = replacing(json, at: t) { me.swapped($0) }
            self = me
            return out
        case 4:  // huge and negative numbers
            let nums = indices(json, where: { if case .int = $0 { return true } else { return false } })
            guard !nums.isEmpty else { return json }
            let v = pick(Self.numbers)
            return replacing(json, at: pick(nums)) { _ in v }
        case 5:  // unknown or other ops
            guard !steps.isEmpty else { return json }
            let op = pick(Self.ops)
            return replacing(json, at: pick(steps)) { setField($0, "op", .string(op)) }
        case 6:  // prot strings with other letters
            let prots = indices(json, where: { $0["prot"] != nil })
            guard !prots.isEmpty else { return json }
            let p = pick(Self.prots)
            return replacing(json, at: pick(prots)) { setField($0, "prot", .string(p)) }
        case 7:  // odd fills
            let writes = indices(json, where: { $0["fill"] != nil })
            guard !writes.isEmpty else { return json }
            let f = pick(Self.fills)
            return replacing(json, at: pick(writes)) { setField($0, "fill", f) }
        case 8:  // process names: reuse, unknown, empty
            let named = indices(json, where: { $0["process"] != nil || $0["child"] != nil })
            guard !named.isEmpty else { return json }
            let key = chance(50) ? "process" : "child"
            let name = pick(["p1", "p2", "p3", "p9", "", "p1 ", "P1"])
            return replacing(json, at: pick(named)) { setField($0, key, .string(name)) }
        case 9:  // a random value anywhere
            let v = randomValue()
            return replacing(json, at: pick(all)) { _ in v }
        case 10:  // insert a step (into "steps" mostly)
            let step = randomStep()
            let arrays = indices(json, where: { if case .array = $0 { return true } else { return false } })
            guard !arrays.isEmpty else { return json }
            let pos = int(0..<64)
            let afterFirst = sane
            return replacing(json, at: chance(80) ? arrays[0] : pick(arrays)) {
                if case .array(var a) = $0 {
                    let lo = afterFirst ? min(1, a.count) : 0
                    a.insert(step, at: lo + pos % (a.count - lo + 1))
                    return .array(a)
                }
                return $0
            }
        case 11:  // deep nesting of a value
            let depth = pick([10, 199, 300])
            return replacing(json, at: pick(all)) { v in (0..<depth).reduce(v) { acc, _ in .array([acc]) } }
        default:  // top-level knobs and rules
            let knobs = [randomKnob()]
            let rules: JSON = pick([
                .string("linux-6.4"), .string("linux-6.99"), .object([("allow", .array([.string("VM_PFNMAP"), .string("io")]))]),
                .object([("early", .string("always")), ("exclude_dax", .bool(false))]),
                .object([("early", .array([.string("brk"), .int(1)]))]),
                .object([("base", .object([("base", .string("linux-6.4"))])), ("exclude", .array([.string("VM_LOCKED")]))]),
            ])
            var j = setField(json, "ksm", .object(knobs))
            if chance(sane ? 15 : 30) { j = setField(j, "rules", rules) }
            return j
        }
    }

    /// A knob write: in range when ``sane`` (mostly), else anything.
    mutating func randomKnob() -> (String, JSON) {
        let integers = [
            "pages_to_scan", "sleep_millisecs", "max_page_sharing", "advisor_max_cpu", "advisor_min_pages_to_scan",
            "advisor_max_pages_to_scan", "advisor_target_scan_time", "stable_node_chains_prune_millisecs", "run",
        ]
        let booleans = ["use_zero_pages", "smart_scan", "merge_across_nodes"]
        guard sane && chance(90) else {
            return (pick(integers + booleans + ["advisor_mode", "bogus"]), chance(70) ? pick(Self.numbers) : randomValue())
        }
        switch int(0..<3) {
        case 0:
            let n: Int = pick([0, 1, 2, 3, 5, 100, 4096, Int(Int32.max), Int(UInt32.max), Int(UInt32.max) + 1, 1 << 40, Int.max])
            return (pick(integers), .int(n))
        case 1: return (pick(booleans), chance(50) ? .bool(chance(50)) : .int(int(0..<2)))
        default: return ("advisor_mode", .string(pick(["none", "scan-time"])))
        }
    }

    /// A step from the ops' templates, with some values made odd (fewer when ``sane``).
    mutating func randomStep() -> JSON {
        let p: JSON = .string(
            sane ? (chance(85) ? "p1" : "new\(int(0..<1000))") : pick(["p1", "p2", "p3", "new\(int(0..<1000))"]))
        let at: JSON = chance(sane ? 95 : 80) ? .int(int(0..<96)) : pick(Self.numbers)
        let pages: JSON = chance(sane ? 95 : 80) ? .int(int(1..<17)) : pick(Self.numbers)
        var step: [(String, JSON)]
        switch int(0..<14) {
        case 0:
            step = [
                ("op", .string("spawn")),
                ("process", .string(sane ? "new\(int(0..<1000))" : pick(["p1", "p2", "new\(int(0..<1000))"]))),
            ]
        case 1: step = [("op", .string("fork")), ("process", .string("p1")), ("child", .string("new\(int(0..<1000))"))]
        case 2:
            step = [
                ("op", .string("mmap")), ("process", p), ("at", at), ("pages", pages), ("prot", .string(pick(Self.prots))),
                (
                    "map",
                    .string(
                        pick(["private-anon", "shared-anon", "private-file", "shared-shmem", "device", "private-dax", "weird"]))
                ),
            ]
        case 3: step = [("op", .string("write")), ("process", p), ("at", at), ("pages", pages), ("fill", pick(Self.fills))]
        case 4: step = [("op", .string("scan")), ("full_scans", chance(80) ? .int(int(0..<4)) : pick(Self.numbers))]
        case 5: step = [("op", .string("ksm_run")), ("value", chance(70) ? .int(int(0..<4)) : pick(Self.numbers))]
        case 6:
            step = [("op", .string("run_for")), ("seconds", pick([.double(0.05), .int(0), .int(1), .double(-1), .string("1")]))]
        case 7:
            step = [
                ("op", .string("mutator")), ("process", p), ("at", at), ("pages", pages),
                ("rate", pick([.int(10), .int(1000), .int(0), .double(1e9), .double(1e-10), .double(1e-300)])),
            ]
        case 8: step = [("op", .string("ksm")), randomKnob()]
        case 9:
            step = [
                ("op", .string("madvise")), ("process", p), ("at", at), ("pages", pages),
                ("advice", .string(pick(["mergeable", "unmergeable", "dontneed", "free"]))),
            ]
        case 10: step = [("op", .string("brk")), ("process", p), ("pages", pages)]
        case 11:
            step = [
                ("op", .string("workload")), ("kind", .string(pick(["guests", "containers", "jvm", "vms"]))),
                ("count", .int(int(0..<4))), ("pages", pages), ("at", at),
            ]
        case 12: step = [("op", .string("exit")), ("process", p)]
        default: step = [("op", .string("prctl")), ("process", p), ("memory_merge", chance(70) ? .bool(true) : .int(1))]
        }
        if chance(sane ? 5 : 20) { step.append(("expect", .string(pick(["EEXIST", "ENOMEM", "EINVAL", "EIO", "EFOO", ""])))) }
        return .object(step)
    }
}

/// `v` with `key` set to `value` (added when absent), if `v` is an object.
func setField(_ v: JSON, _ key: String, _ value: JSON) -> JSON {
    guard case .object(var m) = v else { return v }
    if let i = m.firstIndex(where: { $0.0 == key }) { m[i].1 = value } else { m.append((key, value)) }
    return .object(m)
}
