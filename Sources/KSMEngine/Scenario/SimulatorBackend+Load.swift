// The `load` and `clone` steps on the simulator: captured memory as a process, and a fleet of
// independent copies of one.

extension SimulatorBackend {
    /// `load`: a new process holding the pages of a captured process that the estimate would scan:
    /// the plan `estimate --snapshot` and `estimate --core` make (``ProcessImage``), under the
    /// kernel's rules, each eligible VMA with pages a private anonymous read-write VMA, the pages
    /// copied by the estimate's own copy. Not yet mergeable: a `prctl` or `madvise` step makes it so.
    /// - Complexity: O(page records or dumped pages + planned pages × 4 KiB).
    func load(_ name: String, _ spec: LoadSpec) throws {
        try names.checkNew(name, key: nil)
        let image = try Self.image(spec, rules: kernel.rules)
        let withPages = image.plan.eligible.filter { $0.pages > 0 }
        try checkBudget(pages: image.plan.candidatePages, "loading the \(image.plan.candidatePages) pages of \(spec.path)")
        var ranges: [(start: Int, pages: Int)] = []
        var starts: [Int]? = nil
        switch spec.layout {
        case .window:
            guard let s = KSMSnapshot.layout(withPages.map(\.pages)) else {
                throw ScenarioError(
                    "the \(image.plan.candidatePages) pages of \(spec.path) do not fit in the simulator's window of \(SimulatedKernel.windowPages) pages"
                )
            }
            starts = s
            ranges = zip(s, withPages).map { ($0, $1.pages) }
        case .captured:
            let heap = SimulatedKernel.heapRegion
            for e in withPages {
                let first = e.vma.start / 4096
                let end = e.vma.end / 4096
                guard end <= UInt64(SimulatedKernel.windowPages), Int(end) <= heap.lowerBound || Int(first) >= heap.upperBound
                else {
                    throw ScenarioError(
                        "VMA \(ELFCoreFile.hex(e.vma.start))-\(ELFCoreFile.hex(e.vma.end)) of \(spec.path) lies "
                            + (end <= UInt64(SimulatedKernel.windowPages)
                                ? "in the simulator's heap region" : "beyond the simulator's window of 2^40 bytes")
                            + ": use \"layout\": \"window\"")
                }
                ranges.append((Int(first), Int(end - first)))
            }
        }
        let pid = kernel.spawn()
        do {
            for r in ranges { try kernel.mmap(pid, at: r.start, pages: r.pages, prot: .readWrite, .privateAnonymous) }
            _ = try image.copyPages(into: kernel, pid, starts: starts)
        } catch {
            try? kernel.exit(pid)
            throw ScenarioError("cannot load \(spec.path): \(error)")
        }
        names.insert(name, pid)
    }

    /// The process image a `load` step reads.
    static func image(_ spec: LoadSpec, rules: EligibilityRules) throws(ScenarioError) -> ProcessImage {
        do {
            switch spec.source {
            case .snapshot, .trace:
                let file =
                    spec.source == .trace ? try SnapshotFile.load(trace: spec.path) : try SnapshotFile.load(from: spec.path)
                let process: ProcessSnapshot
                let pids = "pids: " + file.processes.map { String($0.pid) }.joined(separator: ", ")
                if let pid = spec.pid {
                    guard let p = file.processes.first(where: { $0.pid == pid }) else {
                        throw ScenarioError("\(spec.path) holds no process \(pid) (\(pids))")
                    }
                    process = p
                } else {
                    guard file.processes.count == 1, let p = file.processes.first else {
                        throw ScenarioError(
                            "\(spec.path) holds \(file.processes.count) processes (\(pids)): name one with \"pid\"")
                    }
                    process = p
                }
                return try ProcessImage(process, of: file, rules: rules, range: nil)
            case .core:
                let core = try ELFCoreFile(path: spec.path)
                return try ProcessImage(
                    core: core, source: CorePageSource(core), rules: rules, range: nil, zeroFilledPages: .skipped)
            }
        } catch let e as ScenarioError {
            throw e
        } catch {
            throw ScenarioError("\(error)")
        }
    }

    /// `clone`: for each name of `into`, a new process with the source's VMAs (private anonymous
    /// only, the heap as a heap, the same protections, `VM_MERGEABLE` where the source has it and
    /// `PR_SET_MEMORY_MERGE` if the source has it) and a copy of each of its present pages: equal
    /// bytes, separate pages, as a VM booted from one image, not shared as by `fork`. Then
    /// `round(drift × present pages)` of the clone's pages, chosen by a generator seeded with
    /// `seed` and the clone's place in `into`, are rewritten with unique bytes; with
    /// `mutationRate` above 0 mutators rewrite the clone's pages at that rate in all, one per VMA
    /// with a share of the rate proportional to its size.
    ///
    /// The memory budget is checked for every clone's pages before the first is spawned.
    /// - Complexity: O(clones × present pages × 4 KiB).
    func clone(
        _ source: String, into: [String], drift: Double, seed: Int, mutationRate: Double, fills: FillGenerator
    ) throws {
        let sourcePID = try p(source)
        guard Set(into).count == into.count else { throw ScenarioError("\"into\" names a process twice") }
        for name in into { try names.checkNew(name, key: nil) }
        let mm = try kernel.mm(sourcePID)
        let heap = SimulatedKernel.heapRegion
        var vmas: [VMA] = []
        for v in mm.vmas {
            guard v.object == nil, v.isAnonymous, !v.flags.contains(.shared) else {
                throw ScenarioError(
                    "clone copies private anonymous memory only: pages \(v.start)..<\(v.end) of \"\(source)\" are not")
            }
            if v.start >= heap.lowerBound && v.end <= heap.upperBound && v.end <= mm.brk { continue }  // the heap
            vmas.append(v)
        }
        var present: [Int] = []
        for v in mm.vmas { mm.pageTable.forEachPresent(in: v.range) { page, _ in present.append(page) } }
        let (total, overflow) = present.count.multipliedReportingOverflow(by: into.count)
        try checkBudget(
            pages: overflow ? .max : total, "\(into.count) clones of the \(present.count) present pages of \"\(source)\"")
        let rewritten = Int((drift * Double(present.count)).rounded())
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: PageStore.pageSize, alignment: PageStore.pageSize)
        defer { scratch.deallocate() }
        var order = Array(present.indices)
        var chosen = [Bool](repeating: false, count: present.count)
        // All or nothing: a clone the kernel refuses midway takes the clones made so far with it.
        var made: [String] = []
        do {
            for (k, name) in into.enumerated() {
                let pid = kernel.spawn()
                names.insert(name, pid)
                made.append(name)
                try makeClone(
                    pid, name, k, of: sourcePID, vmas: vmas, present: present, rewritten: rewritten, seed: seed,
                    mutationRate: mutationRate, order: &order, chosen: &chosen, scratch: scratch, fills: fills)
            }
        } catch {
            for name in made {
                if let pid = names[name] { try? kernel.exit(pid) }
                names.forget(name)
            }
            mutators.removeAll { made.contains($0.process) }
            throw error
        }
    }

    /// Fills clone `k` (`pid`, named `name`) of `source`: see ``clone(_:into:drift:seed:mutationRate:fills:)``.
    private func makeClone(
        _ pid: ProcessID, _ name: String, _ k: Int, of sourcePID: ProcessID, vmas: [VMA], present: [Int], rewritten: Int,
        seed: Int, mutationRate: Double, order: inout [Int], chosen: inout [Bool], scratch: UnsafeMutableRawBufferPointer,
        fills: FillGenerator
    ) throws {
        let mm = try kernel.mm(sourcePID)
        if mm.brk > SimulatedKernel.heapBase { try kernel.setHeapSize(pid, pages: mm.brk - SimulatedKernel.heapBase) }
        for v in vmas {
            var prot: Protection = []
            if v.flags.contains(.read) { prot.insert(.read) }
            if v.flags.contains(.write) { prot.insert(.write) }
            if v.flags.contains(.exec) { prot.insert(.exec) }
            _ = try kernel.mmap(pid, at: v.start, pages: v.pages, prot: prot, .privateAnonymous)
            if v.flags.contains(.mergeable) { try kernel.madvise(pid, at: v.start, pages: v.pages, advice: .mergeable) }
        }
        if mm.mergeAny { try kernel.setMemoryMerge(pid, true) }
        // The first `rewritten` of a seeded partial Fisher-Yates shuffle.
        var rng = RandomScenario.Generator(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(k))
        for i in 0..<rewritten {
            let j = i + Int(rng.next() % UInt64(present.count - i))
            order.swapAt(i, j)
            chosen[order[i]] = true
        }
        let unique = kernel.content == .ids ? nil : try fills.filler(for: .unique)
        let uniqueIDs = kernel.content == .ids ? try fills.idFiller(for: .unique) : nil
        for (i, page) in present.enumerated() {
            if chosen[i] {
                if let uniqueIDs {
                    try kernel.write(pid, at: page, pages: 1, ids: { _ in uniqueIDs(i) })
                } else if let unique {
                    try kernel.write(pid, at: page, pages: 1) { _, bytes in unique(i, bytes) }
                }
            } else {
                _ = try kernel.withPage(sourcePID, page) { scratch.copyMemory(from: $0) }
                try kernel.write(pid, at: page, pages: 1) { _, bytes in
                    bytes.copyMemory(from: UnsafeRawBufferPointer(scratch))
                }
            }
        }
        for i in 0..<rewritten { chosen[order[i]] = false }
        if mutationRate > 0 {
            // One mutator per VMA, the rate shared by size: writes land in mapped pages only.
            let mapped = mm.vmas.reduce(0) { $0 + $1.pages }
            for v in mm.vmas {
                setMutator(name, at: v.start, pages: v.pages, rate: mutationRate * Double(v.pages) / Double(mapped))
            }
        }
    }
}
