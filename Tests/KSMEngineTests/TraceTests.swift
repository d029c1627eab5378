import Glibc
import Testing

@testable import KSMEngine

/// Plain-text page-hash traces (docs/trace-format.md): read as hashes-only snapshots, so the
/// estimate, snapshot files and `load` take them. Expected counters come from the trace's own
/// multiset of hashes, not from the engine.
@Suite struct TraceTests {
    /// A trace of two processes with known duplicates and zero pages, in every spelling the
    /// format allows, and the multiset of its contents (`nil`: a zero page).
    static func sampleTrace() -> (text: String, contents: [[PageHash?]]) {
        var rng = SplitMix64(state: 12)
        let pool = (0..<60).map { _ in PageHash(low: rng.next(), high: rng.next() >> UInt64(rng.next() % 64)) }
        var lines = ["ksmd-sim-trace 1", "# two processes, hashes drawn from a pool of 60, some unique, some zero", ""]
        var contents: [[PageHash?]] = []
        for (p, name) in ["first", "second server"].enumerated() {
            lines.append(p == 0 ? "  process first   # a comment after it" : "process \(name)")
            var pages: [PageHash?] = []
            for i in 0..<(300 + 57 * p) {
                let r = rng.next() % 10
                let page: PageHash? =
                    r == 0 ? nil : r < 3 ? PageHash(low: rng.next(), high: rng.next()) : pool[Int(rng.next() % 60)]
                pages.append(page)
                guard let h = page else {
                    lines.append(i % 2 == 0 ? "zero" : "\tzero\r")
                    continue
                }
                var hex = h.high == 0 ? String(h.low, radix: 16) : String(h.high, radix: 16) + Self.pad(h.low)
                if i % 7 == 0 { hex = String(repeating: "0", count: 32 - hex.count) + hex }  // leading zeros
                if i % 3 == 0 { hex = hex.uppercased() }
                if i % 5 == 0 { hex = (i % 2 == 0 ? "0x" : "0X") + hex }
                lines.append(i % 11 == 0 ? "\(hex)  # page \(i)" : hex)
            }
            contents.append(pages)
        }
        return (lines.joined(separator: "\n") + "\n", contents)
    }

    /// 16 hex digits.
    static func pad(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The counters KSM reaches on pages with these contents, merged together (default knobs:
    /// use_zero_pages 0, so zero pages merge like any other; every content fewer than 256 times,
    /// so max_page_sharing never splits one): a KSM page per content of two or more pages, the
    /// others sharing it, the single ones unshared.
    static func expected(_ contents: [[PageHash?]]) -> (shared: Int, sharing: Int, unshared: Int) {
        var count: [PageHash?: Int] = [:]
        for p in contents { for c in p { count[c, default: 0] += 1 } }
        precondition(count.values.allSatisfy { $0 < 256 })
        let multi = count.values.filter { $0 >= 2 }
        return (multi.count, multi.reduce(0) { $0 + $1 - 1 }, count.values.filter { $0 == 1 }.count)
    }

    static func write(_ text: String) throws -> String {
        let path = try SnapshotTests.temporaryPath(".trace")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        try #require(fd >= 0)
        var t = text
        let n = t.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try #require(n == text.utf8.count)
        return path
    }

    @Test func aTracesEstimateHasTheCountersOfItsHashMultiset() throws {
        let (text, contents) = Self.sampleTrace()
        let path = try Self.write(text)
        defer { unlink(path) }
        let file = try SnapshotFile.load(trace: path)
        #expect(file.encoding == .hashes)
        #expect(file.processes.map(\.pid) == [1, 2])
        #expect(file.processes.map(\.command) == ["first", "second server"])
        #expect(file.processes.map(\.presentPages) == contents.map(\.count))
        let distinct = Set(contents.joined().compactMap { $0 })
        #expect(file.pages.count == distinct.count)

        let estimate = try KSMEstimator().estimate(snapshot: file)
        let want = Self.expected(contents)
        #expect(want.sharing > 0 && want.unshared > 0)
        #expect(estimate.counters.pagesShared == want.shared)
        #expect(estimate.counters.pagesSharing == want.sharing)
        #expect(estimate.counters.pagesUnshared == want.unshared)
        #expect(estimate.counters.ksmZeroPages == 0)
        #expect(estimate.processes.map(\.eligiblePages) == contents.map(\.count))
        #expect(estimate.processes.map(\.zeroFilledPages) == contents.map { $0.filter { $0 == nil }.count })
    }

    @Test func aTraceWrittenAsASnapshotEstimatesTheSame() throws {
        let (text, _) = Self.sampleTrace()
        let path = try Self.write(text)
        defer { unlink(path) }
        let file = try SnapshotFile.load(trace: path)
        let snapshotPath = try SnapshotTests.temporaryPath()
        defer { unlink(snapshotPath) }
        try file.write(to: snapshotPath)
        let loaded = try SnapshotFile.load(from: snapshotPath)
        #expect(loaded.processes == file.processes)
        #expect((0..<file.pages.count).allSatisfy { loaded.pages.page($0) == file.pages.page($0) })
        let direct = try KSMEstimator().estimate(snapshot: file)
        let viaFile = try KSMEstimator().estimate(snapshot: loaded)
        #expect(direct.json.serialized(pretty: false) == viaFile.json.serialized(pretty: false))
    }

    /// Bad traces: each is one line naming the file and the line, of the right kind.
    @Test(arguments: [
        ("", 1, SnapshotError.Kind.notASnapshot),
        ("KSMSNAP\0\u{1}\0\0\0", 1, .notASnapshot),
        ("ksmd-sim-trace 2\nabc\n", 1, .unsupportedVersion),
        ("ksmd-sim-trace one\n", 1, .corrupt),
        ("ksmd-sim-trace 1\n", 1, .corrupt),
        ("ksmd-sim-trace 1\n# only comments\n\n", 3, .corrupt),
        ("ksmd-sim-trace 1\nabc\n12g4\n", 3, .corrupt),
        ("ksmd-sim-trace 1\n0x\n", 2, .corrupt),
        ("ksmd-sim-trace 1\n" + String(repeating: "f", count: 33) + "\n", 2, .corrupt),
        ("ksmd-sim-trace 1\nabc def\n", 2, .corrupt),
        ("ksmd-sim-trace 1\nprocess\n1\n", 2, .corrupt),
        ("ksmd-sim-trace 1\nprocess a\nprocess b\n1\n", 2, .corrupt),
        ("ksmd-sim-trace 1\nprocess a\n1\nprocess b\n", 4, .corrupt),
        ("ksmd-sim-trace 1\nzero\nZERO\n", 3, .corrupt),
    ])
    func aBadTraceIsRefusedWithOneLine(text: String, line: Int, kind: SnapshotError.Kind) throws {
        let path = try Self.write(text)
        defer { unlink(path) }
        let e = #expect(throws: SnapshotError.self) { _ = try SnapshotFile.load(trace: path) }
        #expect(e?.kind == kind)
        #expect(e?.message.hasPrefix("\(path):\(line): ") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("\n") == false)
    }

    @Test func bytesThatAreNotUTF8InANameAreRefused() {
        let bytes = Array("ksmd-sim-trace 1\nprocess ".utf8) + [0xFF, 0xFE] + Array("\n1\n".utf8)
        let e = #expect(throws: SnapshotError.self) { _ = try SnapshotFile(trace: bytes, name: "t") }
        #expect(e?.message.hasPrefix("t:2: ") == true)
    }

    /// Truncated at every length, and random garbage after a header or without one: each
    /// parses or is refused with one line naming the file; nothing traps.
    @Test func truncatedAndGarbageTracesParseOrFailWithOneLine() {
        let text = Array(Self.sampleTrace().text.utf8.prefix(2000))
        var refused = 0
        for n in 0...text.count {
            do {
                _ = try SnapshotFile(trace: text.prefix(n), name: "t")
            } catch {
                refused += 1
                #expect(error.message.hasPrefix("t:") && !error.message.contains("\n"), "\(error.message)")
            }
        }
        #expect(refused > 0)
        var rng = SplitMix64(state: 5)
        for k in 0..<300 {
            var bytes = k % 2 == 0 ? Array("ksmd-sim-trace 1\n".utf8) : []
            for _ in 0..<(rng.next() % 200) {
                // Mostly hex digits and newlines, so that some lines parse, with any byte mixed in.
                let r = rng.next() % 8
                bytes.append(
                    r == 0
                        ? UInt8(truncatingIfNeeded: rng.next())
                        : r == 1 ? 0x0A : Array("0123456789abcdef".utf8)[Int(rng.next() % 16)])
            }
            do {
                _ = try SnapshotFile(trace: bytes, name: "g")
            } catch {
                #expect(error.message.hasPrefix("g:") && !error.message.contains("\n"), "\(error.message)")
            }
        }
    }

    /// A `load` of a trace's second process (pid 2), made mergeable and scanned as often as the
    /// estimate did, has the estimate's counters for that process alone.
    @Test func aScenarioLoadsATracesProcess() throws {
        let (text, contents) = Self.sampleTrace()
        let path = try Self.write(text)
        defer { unlink(path) }
        var file = try SnapshotFile.load(trace: path)
        file.processes = [file.processes[1]]
        let estimate = try KSMEstimator().estimate(snapshot: file)
        let want = Self.expected([contents[1]])
        #expect(ReplayTests.key(estimate.counters) == [want.shared, want.sharing, want.unshared, 0])
        let (_, reports) = try ReplayTests.run(
            ReplayTests.loadAndScan([("s", #""trace":"\#(path)","pid":2"#)], fullScans: estimate.counters.fullScans))
        let last = try #require(reports.last)
        #expect(ReplayTests.key(last.ksm) == ReplayTests.key(estimate.counters))

        // A trace of two processes needs "pid", as a snapshot of two does.
        let e = #expect(throws: ScenarioError.self) {
            _ = try ReplayTests.run(#"{"steps":[{"op":"load","process":"s","trace":"\#(path)"}]}"#)
        }
        #expect(e?.description.contains("name one with \"pid\"") == true)
    }

    /// The command line: `capture --trace` writes the snapshot `estimate --snapshot` reads as
    /// `estimate --trace` reads the trace; a bad trace is one line and exit status 65.
    @Test func theCommandLineReadsTraces() throws {
        guard FuzzTests.ksmdSim != nil else {
            print("TraceTests: skipped: no ksmd-sim binary built")
            return
        }
        let (text, _) = Self.sampleTrace()
        let path = try Self.write(text)
        defer { unlink(path) }
        let snapshotPath = try SnapshotTests.temporaryPath()
        defer { unlink(snapshotPath) }
        let capture = try CLITests.ksmdSim(["capture", "--trace", path, "-o", snapshotPath])
        #expect(capture.status == 0, "\(capture.stderr)")
        let viaTrace = try CLITests.ksmdSim(["estimate", "--trace", path, "--json"])
        let viaSnapshot = try CLITests.ksmdSim(["estimate", "--snapshot", snapshotPath, "--json"])
        #expect(viaTrace.status == 0 && viaSnapshot.status == 0)
        #expect(viaTrace.stdout == viaSnapshot.stdout)
        #expect(viaTrace.stdout.contains("\"pages_sharing\""))

        let bad = try Self.write("ksmd-sim-trace 1\nprocess a\nnot-a-hash\n")
        defer { unlink(bad) }
        let out = try CLITests.ksmdSim(["estimate", "--trace", bad])
        #expect(out.status == 65)
        #expect(out.stderrLines.count == 1)
        #expect(out.stderr.contains("\(bad):3: "))
    }
}
