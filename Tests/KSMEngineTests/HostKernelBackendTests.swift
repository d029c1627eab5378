import Glibc
import Testing

@testable import KSMEngine

/// The host-kernel backend against the real kernel, and against the simulator on the same steps.
/// Skipped (visibly) unless running as root on a kernel with KSM.
@Suite(.serialized, .enabled(if: HostKernel.available, "needs root and /sys/kernel/mm/ksm"))
struct HostKernelBackendTests {
    /// Runs `text` on the simulator and on the host kernel.
    func both(_ text: String) throws -> (simulator: [Report], host: [Report]) {
        let s = try Scenario.parse(text)
        let simulated = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
        let host = try HostKernelBackend(rules: s.rules)
        defer { host.shutdown() }
        return (simulated, try ScenarioRunner.run(s, on: host))
    }

    /// What both backends must agree on: per process, its name, VMAs and content digest.
    func comparable(_ r: Report) -> [String] {
        r.processes.map { p in
            "\(p.name): " + p.vmas.map { "\($0.start)-\($0.end) \($0.flags.joined(separator: " "))" }.joined(separator: ", ")
                + " digest \(Report.hex(p.contentDigest))"
        }
    }

    /// Host reports carry the wall clock and ksmd's CPU time, cumulative; the comparison with the
    /// simulator does not count them as differences.
    @Test func reportsCarryWallClockAndKsmdCPU() throws {
        let text = try #require(try? ProcFiles.read(packageRoot + "/examples/selftest-merge.json").get())
        let (sim, host) = try both(text)
        var last = (0.0, 0.0)
        for r in host {
            let t = try #require(r.simulatedSeconds)
            let cpu = try #require(r.ksmdCPUSeconds)
            #expect(t >= last.0 && cpu >= last.1)
            last = (t, cpu)
        }
        #expect(ReportComparison.differences(sim, host).isEmpty)
    }

    @Test func adjacentMappingsAndContentsMatchTheSimulator() throws {
        var steps = [#"{"op":"spawn","process":"a"}"#, #"{"op":"prctl","process":"a","memory_merge":true}"#]
        for i in 0..<8 { steps.append(#"{"op":"mmap","process":"a","at":\#(i),"pages":1,"prot":"rw","map":"private-anon"}"#) }
        steps.append(#"{"op":"write","process":"a","at":0,"pages":8,"fill":{"classes":3,"namespace":"n"}}"#)
        let (sim, host) = try both(#"{"steps":[\#(steps.joined(separator: ","))]}"#)
        let s = try #require(sim.last)
        let h = try #require(host.last)
        #expect(h.label == "final")
        #expect(h.processes.map(\.name) == ["a"])
        #expect(h.processes[0].vmas.map { [$0.start, $0.end] } == [[0, 8]])
        #expect(h.processes[0].vmas.first?.flags.contains("mg") == true)
        #expect(h.processes[0].vmas == s.processes[0].vmas)
        #expect(h.processes[0].contentDigest == s.processes[0].contentDigest)
        #expect(h.processes[0].ksmStat.mergeAny && h.processes[0].ksmStat.mergeable)
    }

    @Test func heapPlacementAndOtherKindsMatchTheSimulator() throws {
        let (sim, host) = try both(
            #"""
            {"steps":[
              {"op":"spawn","process":"a"},
              {"op":"prctl","process":"a","memory_merge":true},
              {"op":"brk","process":"a","pages":3},
              {"op":"write","process":"a","at":1048576,"pages":2,"fill":{"byte":7}},
              {"op":"mmap","process":"a","pages":4,"prot":"rw","map":"private-anon"},
              {"op":"mmap","process":"a","pages":2,"prot":"r","map":"private-anon"},
              {"op":"write","process":"a","at":268435454,"pages":2,"fill":{"unique":true}},
              {"op":"mmap","process":"a","at":100,"pages":4,"prot":"rw","map":"shared-shmem","file":"s"},
              {"op":"write","process":"a","at":101,"pages":1,"fill":{"byte":9}},
              {"op":"mmap","process":"a","at":104,"pages":2,"prot":"rw","map":"shared-shmem","file":"s","offset":4},
              {"op":"mmap","process":"a","at":200,"pages":2,"prot":"rw","map":"private-file","file":"f","offset":3},
              {"op":"report","label":"mid"},
              {"op":"mprotect","process":"a","at":0,"pages":0,"prot":"r"},
              {"op":"munmap","process":"a","at":201,"pages":1}
            ]}
            """#)
        #expect(host.map(\.label) == ["mid", "final"])
        // Mappings of one file at consecutive offsets merge: the worker maps one open file.
        #expect(host[0].processes[0].vmas.contains { $0.start == 100 && $0.end == 106 })
        #expect(host.map(comparable) == sim.map(comparable))
    }

    @Test func forkExecAndExit() throws {
        let s = try Scenario.parse(
            #"""
            {"steps":[
              {"op":"spawn","process":"a"},
              {"op":"mmap","process":"a","at":0,"pages":4,"prot":"rw","map":"private-anon"},
              {"op":"write","process":"a","at":0,"pages":4,"fill":{"classes":2}},
              {"op":"fork","process":"a","child":"b"},
              {"op":"write","process":"b","at":1,"pages":1,"fill":{"byte":1}},
              {"op":"fork","process":"b","child":"c"},
              {"op":"report","label":"forked"},
              {"op":"exec","process":"b"},
              {"op":"mmap","process":"b","at":10,"pages":1,"prot":"rw","map":"private-anon"},
              {"op":"exit","process":"a"},
              {"op":"report","label":"after"}
            ]}
            """#)
        let host = try HostKernelBackend(rules: s.rules)
        defer { host.shutdown() }
        let reports = try ScenarioRunner.run(s, on: host)
        let sim = try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
        #expect(reports.map(\.label) == ["forked", "after"])  // no "final": the last step is a report
        #expect(reports[0].processes.map(\.name) == ["a", "b", "c"])
        #expect(reports[1].processes.map(\.name) == ["b", "c"])
        #expect(reports[1].processes[0].vmas.map { [$0.start, $0.end] } == [[10, 11]])
        #expect(reports.map(comparable) == sim.map(comparable))
        // The parent's and the child's pages differ only where the child wrote.
        #expect(reports[0].processes[1].contentDigest == reports[0].processes[2].contentDigest)
        #expect(reports[0].processes[0].contentDigest != reports[0].processes[1].contentDigest)

        #expect(host.hostPID("a") == nil)
        let pids = try ["b", "c"].map { try #require(host.hostPID($0)) }
        host.shutdown()
        host.shutdown()  // idempotent
        for pid in pids { #expect(isGone(pid)) }
    }

    @Test func kernelErrorsComeBackAsErrno() throws {
        let s = try Scenario.parse(
            #"""
            {"steps":[
              {"op":"spawn","process":"a"},
              {"op":"mmap","process":"a","at":0,"pages":4,"prot":"rw","map":"private-anon"},
              {"op":"mmap","process":"a","at":2,"pages":1,"prot":"rw","map":"private-anon","expect":"EEXIST"},
              {"op":"munmap","process":"a","at":0,"pages":0,"expect":"EINVAL"},
              {"op":"brk","process":"a","pages":2}
            ]}
            """#)
        let host = try HostKernelBackend(rules: s.rules)
        defer { host.shutdown() }
        _ = try ScenarioRunner.run(s, on: host)

        let fills = FillGenerator()
        try host.perform(.spawn("x"), fills: fills)
        try host.perform(
            .mmap("x", at: 5, pages: 2, prot: .readWrite, MapSpec(map: "private-anon", request: .privateAnonymous)), fills: fills)
        #expect(throws: Errno.EEXIST) {
            try host.perform(
                .mmap("x", at: 6, pages: 1, prot: .read, MapSpec(map: "private-anon", request: .privateAnonymous)), fills: fills)
        }
        // A write stops at the first unmapped page.
        #expect(throws: Errno.EIO) { try host.perform(.write("x", at: 6, pages: 2, fill: .byte(3)), fills: fills) }
        #expect(throws: ScenarioError.self) {
            try host.perform(
                .mmap(
                    "x", at: 50, pages: 1, prot: .read,
                    MapSpec(map: "private-dax", request: MapRequest(backing: .dax, shared: false, file: "d"))), fills: fills)
        }
    }

    @Test func refusesOtherRuleSetsAndFindsTheWorker() throws {
        #expect {
            try HostKernelBackend(rules: .linux6_4)
        } throws: { error in
            (error as? ScenarioError)?.message.hasPrefix("the host kernel runs the linux-6.17 rules; ") == true
        }
        var renamed = EligibilityRules.linux6_17
        renamed.name = "same-as-6.17"
        let host = try HostKernelBackend(rules: renamed)
        #expect(host.workerPath.hasSuffix("/ksm-worker"))
        host.shutdown()
    }

    @Test func aWorkerThatDiesIsReported() throws {
        let host = try HostKernelBackend(rules: .linux6_17)
        defer { host.shutdown() }
        let fills = FillGenerator()
        try host.perform(.spawn("a"), fills: fills)
        try host.perform(.fork("a", child: "b"), fills: fills)
        try host.perform(.spawn("c"), fills: fills)
        for name in ["b", "a"] { kill(try #require(host.hostPID(name)), SIGKILL) }
        func died(_ name: String) -> (any Error) -> Bool {
            { ($0 as? ScenarioError)?.message == "worker for process \(name) died" }
        }
        #expect(performing: { try host.perform(.prctl("b", memoryMerge: true), fills: fills) }, throws: died("b"))
        #expect(performing: { _ = try host.report(label: "r", processes: ["a"]) }, throws: died("a"))
        #expect(performing: { try host.perform(.write("a", at: 0, pages: 1, fill: .byte(1)), fills: fills) }, throws: died("a"))
        // The others carry on.
        #expect(try host.report(label: "r", processes: ["c"]).processes.map(\.name) == ["c"])
    }

    func isGone(_ pid: pid_t) -> Bool {
        for _ in 0..<1000 {
            if kill(pid, 0) != 0 { return true }
            guard let stat = try? String(procStat: pid), stat.contains(") Z ") == false else { return true }
            usleep(1000)
        }
        return false
    }
}

/// Placement of unplaced mappings: the host backend's copy of the simulator's top-down search.
@Suite struct HostKernelBackendPlacementTests {
    @Test func topDownGapAgreesWithTheSimulator() throws {
        let k = SimulatedKernel()
        let p = k.spawn()
        try k.setHeapSize(p, pages: 5)
        for pages in [3, 1, 7, 2, SimulatedKernel.windowPages - SimulatedKernel.heapRegion.upperBound - 12, 4, 5, 1 << 19, 2] {
            let used = try k.vmas(p).map(\.range)
            let expected = HostKernelBackend.topDownGap(used, pages: pages)
            let got = try? k.mmap(p, at: nil, pages: pages, prot: .read, .privateAnonymous)
            #expect(got == expected, "\(pages) pages")
            if let got { try k.munmap(p, at: got + pages - 1, pages: 1) }  // leave holes
        }
    }
}

extension String {
    fileprivate init(procStat pid: pid_t) throws {
        guard case .success(let text) = ProcFiles.read("/proc/\(pid)/stat") else { throw Errno.ENOENT }
        self = text
    }
}
