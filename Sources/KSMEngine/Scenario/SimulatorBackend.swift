/// Runs scenarios on a ``SimulatedKernel``.
public final class SimulatorBackend: ScenarioBackend {
    /// The simulated machine.
    public let kernel: SimulatedKernel
    // The stored properties are `@exclusivity(unchecked)`, as in `KSMState`: every step reads them.
    @exclusivity(unchecked) private var pids: [String: ProcessID] = [:]

    /// The global counters after every full scan, for charts and CSV.
    @exclusivity(unchecked) public private(set) var series = CounterSeries()

    public init(rules: EligibilityRules, memoryBudgetPages: Int? = nil) {
        kernel = SimulatedKernel(rules: rules)
        if let memoryBudgetPages { kernel.memoryBudgetPages = memoryBudgetPages }
        kernel.onFullScan = { [unowned self] in self.recordSample() }
    }

    /// Time to converge and ksmd's CPU share, from the run so far.
    public var summary: RunSummary {
        let t = kernel.simulatedSeconds
        return RunSummary(
            convergedAtSeconds: series.convergedAtSeconds, simulatedSeconds: t,
            ksmdCPUShare: t > 0 ? kernel.ksmdCPUSeconds / t : 0)
    }

    private func recordSample() {
        series.append(CounterSeries.Sample(seconds: kernel.simulatedSeconds, counters: kernel.ksmCounters))
    }

    /// The process a scenario name refers to.
    public func pid(_ name: String) -> ProcessID? { pids[name] }

    private func p(_ name: String) -> ProcessID {
        guard let pid = pids[name] else { preconditionFailure("decoder let unknown process \(name) through") }
        return pid
    }

    public func perform(_ action: StepAction, fills: FillGenerator) throws {
        switch action {
        case .spawn(let name): pids[name] = kernel.spawn()
        case .fork(let parent, let child): pids[child] = kernel.fork(p(parent))
        case .exec(let name): kernel.exec(p(name))
        case .exit(let name):
            kernel.exit(p(name))
            pids[name] = nil
        case .prctl(let name, let on): try kernel.setMemoryMerge(p(name), on)
        case .mmap(let name, let at, let pages, let prot, let spec):
            try kernel.mmap(p(name), at: at, pages: pages, prot: prot, spec.request)
        case .munmap(let name, let at, let pages): try kernel.munmap(p(name), at: at, pages: pages)
        case .mprotect(let name, let at, let pages, let prot): try kernel.mprotect(p(name), at: at, pages: pages, prot: prot)
        case .madvise(let name, let at, let pages, let advice): try kernel.madvise(p(name), at: at, pages: pages, advice: advice)
        case .brk(let name, let pages): try kernel.setHeapSize(p(name), pages: pages)
        case .write(let name, let at, let pages, let fill):
            let room = kernel.memoryBudgetPages - kernel.residentPages
            guard pages <= room else {
                throw ScenarioError(
                    "writing \(pages) pages could need \(pages * 4 / 1024) MiB, more than the simulator's memory budget allows (\(max(room, 0) * 4 / 1024) MiB left of \(kernel.memoryBudgetPages * 4 / 1024) MiB; ksmd-sim --memory-budget-mib raises it)"
                )
            }
            try kernel.write(p(name), at: at, pages: pages, fill: fills.filler(for: fill))
        case .scan(let n):
            recordSample()
            try kernel.runKSMD(fullScans: n)
        case .ksmRun(let v): try kernel.setKSMKnob("run", .int(v))
        case .ksmKnobs(let settings):
            for k in settings { try kernel.setKSMKnob(k.name, k.value) }
        case .mutator(let name, let at, let pages, let rate):
            mutators.removeAll { $0.process == name && $0.at == at && $0.pages == pages }
            let nanos = rate > 0 ? 1e9 / rate : .infinity
            if nanos < 1e18 {
                let interval = max(1, Int(nanos))
                mutators.append(
                    Mutator(
                        process: name, at: at, pages: pages, interval: interval,
                        next: SimulatedKernel.saturatingAdd(kernel.clockNanos, interval)))
            }
        case .runFor(let seconds):
            recordSample()
            try runFor(seconds, fills: fills)
            recordSample()
        case .report:
            break
        }
    }

    /// A process rewriting random pages of a range at a steady rate.
    struct Mutator {
        var process: String
        var at: Int
        var pages: Int
        /// Nanoseconds between writes, and when the next is due.
        var interval: Int
        var next: Int
        var rng = RandomScenario.Generator(seed: 0x6D75_7461_746F_72)
    }

    @exclusivity(unchecked) private var mutators: [Mutator] = []

    /// Simulated time passes with ksmd and the mutators interleaved. A mutator whose process is
    /// gone stops; a write the kernel refuses (the range was unmapped) is skipped.
    private func runFor(_ seconds: Double, fills: FillGenerator) throws {
        mutators.removeAll { pids[$0.process] == nil }
        for i in mutators.indices where mutators[i].next < kernel.clockNanos { mutators[i].next = kernel.clockNanos }
        try kernel.runFor(seconds: seconds, firstEvent: mutators.map(\.next).min()) { now in
            guard let i = mutators.indices.min(by: { mutators[$0].next < mutators[$1].next }) else { return nil }
            let m = mutators[i]
            let page = m.at + Int(mutators[i].rng.next() % UInt64(m.pages))
            if let pid = pids[m.process] {
                do {
                    try kernel.write(pid, at: page, pages: 1, fill: fills.filler(for: .unique))
                } catch let e as Errno where e == .ENOMEM {
                    throw ScenarioError("a mutator's write exceeds the simulator's memory budget")
                } catch {}
            }
            mutators[i].next = SimulatedKernel.saturatingAdd(mutators[i].next, m.interval)
            return mutators.map(\.next).min()
        }
    }

    public func report(label: String, processes: [String]) throws -> Report {
        Report(
            label: label, ksm: kernel.ksmCounters,
            processes: processes.map { name in
                let pid = p(name)
                return ProcessReport(
                    name: name, ksmStat: kernel.ksmStat(pid),
                    vmas: kernel.vmas(pid).map {
                        VMAReport(start: $0.start, end: $0.end, flags: $0.flags.mnemonics, ksmKB: kernel.ksmKilobytes(pid, $0))
                    },
                    contentDigest: kernel.contentDigest(pid))
            },
            simulatedSeconds: kernel.simulatedSeconds)
    }
}
