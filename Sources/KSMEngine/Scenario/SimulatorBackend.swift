/// Runs scenarios on a ``SimulatedKernel``.
public final class SimulatorBackend: ScenarioBackend {
    /// The simulated machine.
    public let kernel: SimulatedKernel
    // The stored properties are `@exclusivity(unchecked)`, as in `KSMState`: every step reads them.
    /// The scenario's processes by name, under the scenario's naming rules.
    @exclusivity(unchecked) var names = ProcessNames<ProcessID>()

    /// The global counters after every full scan, for charts and CSV.
    @exclusivity(unchecked) public private(set) var series = CounterSeries()

    /// Creates a backend with a new ``SimulatedKernel`` under `rules`.
    ///
    /// - Parameters:
    ///   - rules: The eligibility rule set.
    ///   - memoryBudgetPages: The most pages the simulator may hold (``SimulatedKernel/memoryBudgetPages``);
    ///     `nil` keeps the default (``SimulatedKernel/defaultMemoryBudgetPages``, or its equivalent with ids).
    ///   - content: What a simulated page holds: 4 KiB of bytes or a content id (``PageContentMode``).
    ///   - costModel: What ksmd's batches, pages and sleeps cost on the clock
    ///     (``SimulatedKernel/costModel``).
    public init(
        rules: EligibilityRules, memoryBudgetPages: Int? = nil, content: PageContentMode = .bytes,
        costModel: KSMDCostModel = .default
    ) {
        kernel = SimulatedKernel(rules: rules, content: content)
        kernel.costModel = costModel
        if let memoryBudgetPages { kernel.memoryBudgetPages = memoryBudgetPages }
        // A full scan ends a batch: its sample is taken at the end of that batch's CPU time, after
        // the batch's merge counters, so that the changes of the batch count in the scan it ends.
        kernel.onFullScan = { [unowned self] in self.fullScanPending = true }
        kernel.onBatchEnd = { [unowned self] in
            self.noteMergeCounters()
            if self.fullScanPending {
                self.fullScanPending = false
                self.recordSample()
            }
        }
    }

    @exclusivity(unchecked) private var fullScanPending = false

    /// The scenario's transparent-huge-page settings (``configureTHP(_:)``), or `nil`.
    @exclusivity(unchecked) public private(set) var thp: THPSettings?

    /// Takes a scenario's THP settings: reports then carry `Rss`, `AnonHugePages` (0) and the THP
    /// events (0).
    ///
    /// Sets ``SimulatedKernel/thpMode``. `shrink_underused` changes nothing here: it governs the
    /// deferred-split shrinker under memory pressure, which is not modelled (ksmd's splits map
    /// zero-filled subpages to the zero page either way, measured). `load`, `clone` and
    /// `mutator` steps are refused in such a scenario (not modelled with huge pages).
    public func configureTHP(_ settings: THPSettings) throws {
        thp = settings
        kernel.thpMode = settings.enabled
        thpBaseline = kernel.thpEvents
    }

    @exclusivity(unchecked) private var thpBaseline = THPEvents()

    /// The kernel's THP events since ``configureTHP(_:)``.
    private var thpEventsSinceStart: THPEvents {
        let now = kernel.thpEvents
        var d = THPEvents()
        d.faultAlloc = now.faultAlloc - thpBaseline.faultAlloc
        d.faultFallback = now.faultFallback - thpBaseline.faultFallback
        d.splitPage = now.splitPage - thpBaseline.splitPage
        d.splitPMD = now.splitPMD - thpBaseline.splitPMD
        return d
    }

    /// Convergence, savings, their times and ksmd's CPU time, from the run so far (the state now
    /// counts as the series' last point).
    public var summary: RunSummary {
        var s = series
        s.noteMergeCounters(seconds: kernel.simulatedSeconds, counters: kernel.ksmCounters)
        return RunSummary(
            series: s, simulatedSeconds: kernel.simulatedSeconds, ksmdCPUSeconds: kernel.ksmdCPUSeconds,
            generalProfit: kernel.ksmCounters.generalProfit)
    }

    private func recordSample() {
        series.append(CounterSeries.Sample(seconds: kernel.simulatedSeconds, counters: kernel.ksmCounters))
    }

    private func noteMergeCounters() {
        series.noteMergeCounters(seconds: kernel.simulatedSeconds, counters: kernel.ksmCounters)
    }

    /// The process a scenario name refers to.
    public func pid(_ name: String) -> ProcessID? { names[name] }

    /// The live process `name`; the scenario decoder's error for one that is unknown or gone.
    func p(_ name: String) throws(ScenarioError) -> ProcessID { try names.use(name) }

    /// Performs one step on ``kernel``.
    ///
    /// - Throws: the ``Errno`` the kernel returns; a ``KnobError`` for a refused knob; a
    ///   ``ScenarioError`` for values a scenario file could not hold (``StepAction/validate()``), a
    ///   process name that is unknown, has exited or is reused (the
    ///   scenario decoder's messages), a write, load or clone beyond the memory budget, or a file a
    ///   `load` cannot use (missing, corrupt, foreign, no such pid, beyond the window).
    public func perform(_ action: StepAction, fills: FillGenerator) throws {
        try action.validate()
        defer { noteMergeCounters() }
        if thp != nil {
            switch action {
            case .load, .clone, .mutator:
                throw ScenarioError("load, clone and mutator steps are not modelled with transparent huge pages yet")
            default: break
            }
        }
        switch action {
        case .spawn(let name):
            try names.checkNew(name, key: nil)
            names.insert(name, kernel.spawn())
        case .fork(let parent, let child):
            let parentPID = try p(parent)
            try names.checkNew(child, key: nil)
            let childPID = try kernel.fork(parentPID)
            names.insert(child, childPID)
        case .exec(let name): try kernel.exec(p(name))
        case .exit(let name):
            try kernel.exit(p(name))
            names.remove(name)
        case .prctl(let name, let on): try kernel.setMemoryMerge(p(name), on)
        case .mmap(let name, let at, let pages, let prot, let spec):
            try kernel.mmap(p(name), at: at, pages: pages, prot: prot, spec.request)
        case .munmap(let name, let at, let pages): try kernel.munmap(p(name), at: at, pages: pages)
        case .mprotect(let name, let at, let pages, let prot): try kernel.mprotect(p(name), at: at, pages: pages, prot: prot)
        case .madvise(let name, let at, let pages, let advice): try kernel.madvise(p(name), at: at, pages: pages, advice: advice)
        case .brk(let name, let pages): try kernel.setHeapSize(p(name), pages: pages)
        case .write(let name, let at, let pages, let fill):
            try checkBudget(pages: pages, "writing \(pages) pages")
            try write(p(name), at: at, pages: pages, fill: fill, fills: fills)
        case .scan(let n):
            recordSample()
            try kernel.runKSMD(fullScans: n)
            if let why = kernel.unmodelledTHPCase { throw ScenarioError(why) }
        case .ksmRun(let v): try kernel.setKSMKnob("run", .int(v))
        case .ksmKnobs(let settings):
            for k in settings { try kernel.setKSMKnob(k.name, k.value) }
        case .mutator(let name, let at, let pages, let rate):
            _ = try p(name)
            setMutator(name, at: at, pages: pages, rate: rate)
        case .load(let name, let spec):
            try load(name, spec)
        case .clone(let source, let into, let drift, let seed, let rate):
            try clone(source, into: into, drift: drift, seed: seed, mutationRate: rate, fills: fills)
        case .runFor(let seconds):
            recordSample()
            try runFor(seconds, fills: fills)
            recordSample()
            if let why = kernel.unmodelledTHPCase { throw ScenarioError(why) }
        case .ksmtuned(let config): try kernel.startKSMTuned(config)
        case .ksmtunedStop: kernel.stopKSMTuned()
        case .report:
            break
        }
    }

    /// Refuses `pages` new pages that might not fit in the memory budget, before anything is
    /// allocated: `what` names the step's need (e.g. "writing 10 pages").
    func checkBudget(pages: Int, _ what: String) throws(ScenarioError) {
        let room = kernel.memoryBudgetPages - kernel.residentPages
        let c = kernel.content
        guard pages <= room else {
            throw ScenarioError(
                "\(what) could need \(MemoryBudget.readable(MemoryBudget.bytes(forPages: pages, content: c))) "
                    + "(\(MemoryBudget.bytesPerPage(c)) bytes a page with its bookkeeping), more than the simulator's memory "
                    + "budget allows (\(MemoryBudget.readable(MemoryBudget.bytes(forPages: max(room, 0), content: c))) left of "
                    + "\(MemoryBudget.readable(MemoryBudget.bytes(forPages: kernel.memoryBudgetPages, content: c)))); "
                    + "ksmd-sim --memory-budget-mib raises it, up to this machine's physical memory"
                    + (c == .bytes && MemoryBudget.bytes(forPages: pages, content: .ids) <= MemoryBudget.bytes(forPages: room)
                        ? "; with --content ids they would need \(MemoryBudget.readable(MemoryBudget.bytes(forPages: pages, content: .ids)))"
                        : "")
            )
        }
    }

    /// Starts (or, at rate 0, stops) the mutator of process `name` on `[at, at + pages)`.
    func setMutator(_ name: String, at: Int, pages: Int, rate: Double) {
        mutators.removeAll { $0.process == name && $0.at == at && $0.pages == pages }
        let nanos = rate > 0 ? 1e9 / rate : .infinity
        if nanos < 1e18 {
            let interval = max(1, Int(nanos))
            mutators.append(
                Mutator(
                    process: name, at: at, pages: pages, interval: interval,
                    next: SimulatedKernel.saturatingAdd(kernel.clockNanos, interval)))
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

    @exclusivity(unchecked) var mutators: [Mutator] = []

    /// Simulated time passes with ksmd and the mutators interleaved. A mutator whose process is
    /// gone stops; a write the kernel refuses (the range was unmapped) is skipped.
    private func runFor(_ seconds: Double, fills: FillGenerator) throws {
        mutators.removeAll { names[$0.process] == nil }
        for i in mutators.indices where mutators[i].next < kernel.clockNanos { mutators[i].next = kernel.clockNanos }
        try kernel.runFor(seconds: seconds, firstEvent: mutators.map(\.next).min()) { now in
            guard let i = mutators.indices.min(by: { mutators[$0].next < mutators[$1].next }) else { return nil }
            let m = mutators[i]
            let page = m.at + Int(mutators[i].rng.next() % UInt64(m.pages))
            if let pid = names[m.process] {
                do {
                    try write(pid, at: page, pages: 1, fill: .unique, fills: fills)
                } catch let e as Errno where e == .ENOMEM {
                    throw ScenarioError("a mutator's write exceeds the simulator's memory budget")
                } catch let e as ScenarioError {
                    throw e
                } catch {}
            }
            mutators[i].next = SimulatedKernel.saturatingAdd(mutators[i].next, m.interval)
            return mutators.map(\.next).min()
        }
    }

    /// A scenario write: bytes, or with content ids the fill's ids.
    func write(_ pid: ProcessID, at: Int, pages: Int, fill: Fill, fills: FillGenerator) throws {
        if kernel.content == .ids {
            try kernel.write(pid, at: at, pages: pages, ids: try fills.idFiller(for: fill))
        } else {
            try kernel.write(pid, at: at, pages: pages, fill: try fills.filler(for: fill))
        }
    }

    /// The counters, `ksm_stat`, VMAs with their `KSM:` kilobytes, and content digests of `processes`.
    ///
    /// - Complexity: O(VMAs + mapped pages) of the processes reported: each digest reads every mapped
    ///   page's bytes.
    public func report(label: String, processes: [String]) throws -> Report {
        Report(
            label: label, ksm: kernel.ksmCounters,
            processes: try processes.map { (name) throws -> ProcessReport in
                let pid = try p(name)
                return ProcessReport(
                    name: name, ksmStat: try kernel.ksmStat(pid),
                    vmas: try kernel.vmas(pid).map {
                        VMAReport(
                            start: $0.start, end: $0.end, flags: $0.flags.mnemonics, ksmKB: try kernel.ksmKilobytes(pid, $0),
                            rssKB: thp == nil ? nil : try kernel.residentKilobytes(pid, $0),
                            anonHugeKB: thp == nil ? nil : try kernel.anonHugeKilobytes(pid, $0))
                    },
                    contentDigest: try kernel.contentDigest(pid))
            },
            simulatedSeconds: kernel.simulatedSeconds, ksmdCPUSeconds: kernel.ksmdCPUSeconds, knobs: kernel.ksmKnobs,
            thp: thp == nil ? nil : thpEventsSinceStart)
    }
}
