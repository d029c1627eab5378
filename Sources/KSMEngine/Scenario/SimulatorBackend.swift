/// Runs scenarios on a ``SimulatedKernel``.
public final class SimulatorBackend: ScenarioBackend {
    /// The simulated machine.
    public let kernel: SimulatedKernel
    private var pids: [String: ProcessID] = [:]

    public init(rules: EligibilityRules, memoryBudgetPages: Int? = nil) {
        kernel = SimulatedKernel(rules: rules)
        if let memoryBudgetPages { kernel.memoryBudgetPages = memoryBudgetPages }
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
                    "writing \(pages) pages could need \(pages * 4 / 1024) MiB, more than the simulator's memory budget allows (\(max(room, 0) * 4 / 1024) MiB left of \(kernel.memoryBudgetPages * 4 / 1024) MiB; ksmd-sim --memory-budget-mib raises it)")
            }
            try kernel.write(p(name), at: at, pages: pages, fill: fills.filler(for: fill))
        case .scan(let n): try kernel.runKSMD(fullScans: n)
        case .ksmRun(let v): try kernel.setKSMKnob("run", .int(v))
        case .ksmKnobs(let settings):
            for k in settings { try kernel.setKSMKnob(k.name, k.value) }
        case .report:
            break
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
